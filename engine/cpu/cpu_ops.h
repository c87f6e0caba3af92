#pragma once
// The CPU reference path's building blocks: plain loops over float rows, in
// the same order of operations as the established engine where it matters.
#include "model/model_weights.h"
#include "cpu/thread_pool.h"

#include <cstdint>

namespace nibble::cpu {

// y[b] = W · x[b] for a batch of B input rows of W's row length.
void matmul(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y);

void rmsNorm(const float* x, const float* weight, float* out, int n, float eps);
void rope(float* head, int ropeDims, int pos, float base, float freqScale, bool neox, const float* freqFactors);
void softmax(float* x, int n);
float silu(float x);
float geluTanh(float x);

}  // namespace nibble::cpu
