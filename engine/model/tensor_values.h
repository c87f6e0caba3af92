#pragma once
// A tensor's values as f32, for the small tensors (norms, biases) and the
// embedding rows that both backends read on the host.
#include "model/model_weights.h"

#include <cstdint>
#include <vector>

namespace nibble {

// One dequantized row of an embedding-like tensor.
void tensorRow(const Tensor& t, uint64_t row, float* out);
// The whole (small) tensor as floats: norm weights, biases.
std::vector<float> tensorToFloat(const Tensor& t);

}  // namespace nibble
