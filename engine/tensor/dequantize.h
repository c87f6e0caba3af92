#pragma once
// Turns rows of GGUF tensor data back into f32 weights, bit-exact with ggml's
// reference dequantize_row_* functions, and computes dot products of such a
// row with an f32 vector without materialising the row (the CPU matmul's
// inner loop).
//
// Supported: the types marked cpu in tensor/ggml_type.h's table. Other types
// throw Error(Unsupported); an n that is not a multiple of the type's block
// size throws Error(InvalidArgument).
#include "tensor/ggml_type.h"

#include <cstdint>

namespace nibble {

// Decodes the n weights stored at src (n / blockSize whole blocks) into dst.
void dequantizeRow(GgmlType type, const uint8_t* src, float* dst, int64_t n);

// Sum over i < n of weight[i] * x[i], for the row of n weights stored at row.
// Agrees with a dot product of dequantizeRow's output up to float rounding
// (the summation order differs).
float dotRow(GgmlType type, const uint8_t* row, const float* x, int64_t n);

}  // namespace nibble
