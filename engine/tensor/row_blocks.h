#pragma once
// Shared by dequantizeRow and dotRow: checks a row request, and walks the
// blocks of a row of any quantized format through one generic visitor.
#include "tensor/block_formats.h"
#include "tensor/ggml_type.h"

#include <cstdint>
#include <cstring>

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

// Calls fn(Block{}) with a value of the block struct of a quantized type;
// returns false for types that are not block-quantized.
template <typename Fn>
bool withBlockType(GgmlType type, Fn&& fn) {
    switch (type) {
    case GgmlType::Q4_0: fn(BlockQ4_0{}); return true;
    case GgmlType::Q4_1: fn(BlockQ4_1{}); return true;
    case GgmlType::Q5_0: fn(BlockQ5_0{}); return true;
    case GgmlType::Q5_1: fn(BlockQ5_1{}); return true;
    case GgmlType::Q8_0: fn(BlockQ8_0{}); return true;
    case GgmlType::Q2_K: fn(BlockQ2_K{}); return true;
    case GgmlType::Q3_K: fn(BlockQ3_K{}); return true;
    case GgmlType::Q4_K: fn(BlockQ4_K{}); return true;
    case GgmlType::Q5_K: fn(BlockQ5_K{}); return true;
    case GgmlType::Q6_K: fn(BlockQ6_K{}); return true;
    default: return false;
    }
}

}  // namespace nibble::blocks
