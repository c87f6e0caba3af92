#include "nibble/file_type.h"

#include <array>
#include <utility>

namespace nibble {
namespace {

constexpr std::array<std::pair<int64_t, std::string_view>, 31> kFileTypes = {{
    {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},    {8, "Q5_0"},
    {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"},
    {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"}, {18, "Q6_K"},   {25, "IQ4_NL"}, {30, "IQ4_XS"},
    {32, "BF16"},
    {23, "IQ3_XXS"},
    {19, "IQ2_XXS"},
    {26, "IQ3_S"},
    {27, "IQ3_M"},
    {20, "IQ2_XS"},
    {36, "TQ1_0"},
    {37, "TQ2_0"},
    {38, "MXFP4_MOE"},
    {28, "IQ2_S"},
    {29, "IQ2_M"},
    {24, "IQ1_S"},
    {31, "IQ1_M"},
}};

}  // namespace

std::optional<std::string_view> fileTypeName(int64_t fileType) {
    for (const auto& [number, name] : kFileTypes)
        if (number == fileType) return name;
    return std::nullopt;
}

}  // namespace nibble
