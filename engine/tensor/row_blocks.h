#pragma once
// Shared by dequantizeRow and dotRow: checks a row request, and walks the
// blocks of a row of any quantized format through one generic visitor.
#include "tensor/block_formats.h"
#include "tensor/ggml_type.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <tuple>

namespace nibble::blocks {

// Throws Error(Unsupported) for types we cannot compute with and
// Error(InvalidArgument) when n is not a whole number of blocks.
void checkRow(GgmlType type, int64_t n, const char* operation);

// Copies block i of a row out of the raw bytes (which have no alignment).
template <typename Block>
inline Block loadBlock(const uint8_t* row, int64_t i) {
    Block b;
    std::memcpy(&b, row + i * int64_t(sizeof(Block)), sizeof(Block));
    return b;
}

// The block structs of the quantized types the CPU reference decodes.
using DecodedBlocks = std::tuple<BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ5_1, BlockQ8_0, BlockQ2_K, BlockQ3_K,
                                 BlockQ4_K, BlockQ5_K, BlockQ6_K, BlockIQ4_NL, BlockIQ4_XS,
                                 BlockIQ3_XXS,
                                 BlockIQ2_XXS,
                                 BlockIQ3_S,
                                 BlockIQ2_XS, BlockTQ1_0, BlockTQ2_0, BlockMXFP4,
                                 BlockIQ2_S, BlockIQ1_S, BlockIQ1_M>;

// Calls fn(Block{}) with a value of the block struct of a quantized type;
// returns false for types that are not block-quantized.
template <typename Fn>
bool withBlockType(GgmlType type, Fn&& fn) {
    return std::apply([&](auto... block) { return ((type == decltype(block)::kType && (fn(block), true)) || ...); },
                      DecodedBlocks{});
}

// The table (tensor/ggml_type.h) marks cpu exactly the types decoded here,
// with the layouts of their structs; the float types have no struct.
constexpr bool hasDecodedBlock(GgmlType type) {
    return std::apply([&](auto... block) { return ((type == decltype(block)::kType) || ...); }, DecodedBlocks{});
}

constexpr bool isFloatFormat(GgmlType type) {
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

static_assert(std::apply(
    [](auto... block) {
        return ((typeTraits(decltype(block)::kType)->blockSize == uint32_t(decltype(block)::kWeights) &&
                 typeTraits(decltype(block)::kType)->blockBytes == sizeof(block)) && ...);
    },
    DecodedBlocks{}), "a block struct disagrees with its type's row in kGgmlTypes");
static_assert(std::ranges::all_of(kGgmlTypes, [](const TypeTraits& t) {
    return t.cpu == (hasDecodedBlock(t.type) || isFloatFormat(t.type));
}), "kGgmlTypes marks cpu a type without a decoder, or not one with a decoder");

}  // namespace nibble::blocks
