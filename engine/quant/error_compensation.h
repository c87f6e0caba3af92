#pragma once
// Error-compensating quantization (the GPTQ / OPTQ idea) into the ordinary
// block formats. A weight matrix W (rows = outputs, K columns = inputs) is
// quantized column by column; each column's rounding error is spread over
// the columns not yet quantized so that the layer's output on calibration
// activations X, W X, changes as little as possible. The spreading uses the
// upper Cholesky factor U of H^-1, H = X^T X / tokens + damping. A block's
// scales are chosen from its weights as corrected by the columns before it,
// then its weights are rounded one at a time with those scales fixed. Rows
// do not interact, so they are quantized in parallel; every row carries its
// own corrections, so one K x K factor serves the whole matrix.
#include "tensor/ggml_type.h"

#include <cstdint>
#include <vector>

namespace nibble {

class ThreadPool;

namespace quant {

// Types errorCompensatedQuantize can write (those with an element grid).
bool canCompensate(GgmlType type);

// The upper Cholesky factor of (H + damp * mean(diag H) * I)^-1, row-major
// K x K. Columns that never saw activation (zero diagonal) get a unit
// diagonal so the factor exists. Throws Error(Internal) if H is not positive
// definite even after damping.
std::vector<double> inverseCholeskyFactor(std::vector<double> hessian, int64_t k, double damp);

// Quantizes rows x k floats (row-major) into rows * quantizedRowBytes(type, k)
// bytes at dst. factor: from inverseCholeskyFactor. importance: nullable, k
// weights handed to the format's own scale search for each block.
void errorCompensatedQuantize(GgmlType type, const float* weights, uint64_t rows, int64_t k,
                              const std::vector<double>& factor, const float* importance, uint8_t* dst,
                              ThreadPool& pool);

}  // namespace quant
}  // namespace nibble
