#pragma once
// Tensor element types as numbered in the GGUF format, in one table: the
// block layout each stores (how many weights share one block, and its size
// in bytes) and what Nibble can do with it. A type the engine learns to run
// starts as a change to its row here; one the Vulkan kernels multiply also
// needs its entry in NIBBLE_VULKAN_WEIGHT_TYPES (shaders/CMakeLists.txt) and
// its decode include (shaders/include/<shader>.glsl). test_weight_types
// checks that the shaders, the CPU decoders and this table agree.
#include <array>
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
    GgmlType type;
    std::string_view name;    // as the GGUF tools print it
    uint32_t blockSize;       // weights per block
    uint32_t blockBytes;      // bytes per block
    bool cpu;                 // the CPU reference decodes it and computes with it (dequantize.h)
    bool quantize;            // quantizeRow writes it (quantize.h)
    bool vulkan;              // the Vulkan products take it in its block format (vulkan/mat_vec.h, mat_mat.h)
    std::string_view shader;  // the name in shader modules (mul_mat_vec_<shader>, mul_mm_<shader>) and,
                              // upper case, in the DATA_<SHADER> define that compiles them
};

// Every type a GGUF format revision defines, in the order of their numbers.
inline constexpr std::array kGgmlTypes = std::to_array<TypeTraits>({
    // type               name       block bytes  cpu    quantize vulkan shader
    {GgmlType::F32,     "F32",      1,   4,   true,  true,  true,  "f32"},
    {GgmlType::F16,     "F16",      1,   2,   true,  true,  true,  "f16"},
    {GgmlType::Q4_0,    "Q4_0",     32,  18,  true,  true,  true,  "q4_0"},
    {GgmlType::Q4_1,    "Q4_1",     32,  20,  true,  true,  true,  "q4_1"},
    {GgmlType::Q5_0,    "Q5_0",     32,  22,  true,  true,  true,  "q5_0"},
    {GgmlType::Q5_1,    "Q5_1",     32,  24,  true,  true,  true,  "q5_1"},
    {GgmlType::Q8_0,    "Q8_0",     32,  34,  true,  true,  true,  "q8_0"},
    {GgmlType::Q8_1,    "Q8_1",     32,  36,  false, false, false, "q8_1"},
    {GgmlType::Q2_K,    "Q2_K",     256, 84,  true,  false, true,  "q2_k"},
    {GgmlType::Q3_K,    "Q3_K",     256, 110, true,  false, true,  "q3_k"},
    {GgmlType::Q4_K,    "Q4_K",     256, 144, true,  true,  true,  "q4_k"},
    {GgmlType::Q5_K,    "Q5_K",     256, 176, true,  true,  true,  "q5_k"},
    {GgmlType::Q6_K,    "Q6_K",     256, 210, true,  true,  true,  "q6_k"},
    {GgmlType::Q8_K,    "Q8_K",     256, 292, false, false, false, "q8_k"},
    {GgmlType::IQ2_XXS, "IQ2_XXS",  256, 66,  true,  false, true,  "iq2_xxs"},
    {GgmlType::IQ2_XS,  "IQ2_XS",   256, 74,  true,  false, true,  "iq2_xs"},
    {GgmlType::IQ3_XXS, "IQ3_XXS",  256, 98,  true,  false, true,  "iq3_xxs"},
    {GgmlType::IQ1_S,   "IQ1_S",    256, 50,  true,  false, true,  "iq1_s"},
    {GgmlType::IQ4_NL,  "IQ4_NL",   32,  18,  true,  true,  true,  "iq4_nl"},
    {GgmlType::IQ3_S,   "IQ3_S",    256, 110, true,  false, true,  "iq3_s"},
    {GgmlType::IQ2_S,   "IQ2_S",    256, 82,  true,  false, true,  "iq2_s"},
    {GgmlType::IQ4_XS,  "IQ4_XS",   256, 136, true,  true,  true,  "iq4_xs"},
    {GgmlType::I8,      "I8",       1,   1,   false, false, false, "i8"},
    {GgmlType::I16,     "I16",      1,   2,   false, false, false, "i16"},
    {GgmlType::I32,     "I32",      1,   4,   false, false, false, "i32"},
    {GgmlType::I64,     "I64",      1,   8,   false, false, false, "i64"},
    {GgmlType::F64,     "F64",      1,   8,   false, false, false, "f64"},
    {GgmlType::IQ1_M,   "IQ1_M",    256, 56,  true,  false, true,  "iq1_m"},
    {GgmlType::BF16,    "BF16",     1,   2,   true,  true,  true,  "bf16"},
    {GgmlType::TQ1_0,   "TQ1_0",    256, 54,  true,  false, true,  "tq1_0"},
    {GgmlType::TQ2_0,   "TQ2_0",    256, 66,  true,  false, true,  "tq2_0"},
    {GgmlType::MXFP4,   "MXFP4",    32,  17,  true,  false, true,  "mxfp4"},
});

// The row of a type number, or nullopt for a number no format revision
// defines. Knowing the layout does not mean we can compute with it: see the
// cpu, quantize and vulkan columns.
constexpr std::optional<TypeTraits> typeTraits(uint32_t type) {
    for (const TypeTraits& t : kGgmlTypes)
        if (static_cast<uint32_t>(t.type) == type) return t;
    return std::nullopt;
}

constexpr std::optional<TypeTraits> typeTraits(GgmlType type) { return typeTraits(static_cast<uint32_t>(type)); }

// The type printed as `name` ("Q4_K"), or nullopt for none.
constexpr std::optional<GgmlType> typeNamed(std::string_view name) {
    for (const TypeTraits& t : kGgmlTypes)
        if (t.name == name) return t.type;
    return std::nullopt;
}

// Types the engine can dequantize and run.
constexpr bool isSupportedWeightType(GgmlType type) {
    const auto traits = typeTraits(type);
    return traits && traits->cpu;
}

// Types the Vulkan products multiply with.
constexpr bool isVulkanWeightType(GgmlType type) {
    const auto traits = typeTraits(type);
    return traits && traits->vulkan;
}

constexpr std::string_view typeName(GgmlType type) {
    const auto traits = typeTraits(type);
    return traits ? traits->name : std::string_view("unknown");
}

namespace detail {

constexpr bool isShaderNameOf(std::string_view shader, std::string_view name) {
    if (shader.size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (shader[i] != (c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c)) return false;
    }
    return true;
}

constexpr bool isConsistent() {
    for (size_t i = 0; i < kGgmlTypes.size(); ++i) {
        const TypeTraits& t = kGgmlTypes[i];
        if (i > 0 && static_cast<uint32_t>(kGgmlTypes[i - 1].type) >= static_cast<uint32_t>(t.type)) return false;
        if (t.blockSize == 0 || t.blockBytes == 0 || !isShaderNameOf(t.shader, t.name)) return false;
        // The quantizers' and the GPU's results are checked against the CPU decoders.
        if ((t.quantize || t.vulkan) && !t.cpu) return false;
    }
    return true;
}

}  // namespace detail

static_assert(detail::isConsistent(),
              "kGgmlTypes: rows in number order, shader names the lower-case type names, and only types the CPU "
              "decodes marked quantize or vulkan");

}  // namespace nibble
