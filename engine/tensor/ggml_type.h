#pragma once
// Tensor element types as numbered in the GGUF format, with the block layout
// each one stores (how many weights share one block, and its size in bytes).
#include <cstdint>
#include <optional>
#include <string_view>

namespace nibble {

enum class GgmlType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct TypeTraits {
    std::string_view name;
    uint32_t blockSize;   // weights per block
    uint32_t blockBytes;  // bytes per block
};

// Layout of a type known to the GGUF format, or nullopt for a number no
// format revision defines. Knowing the layout does not mean we can compute
// with it: see isSupportedWeightType.
std::optional<TypeTraits> typeTraits(uint32_t type);

// Types the engine can dequantize and run.
bool isSupportedWeightType(GgmlType type);

std::string_view typeName(GgmlType type);

}  // namespace nibble
