#include "model/tensor_values.h"

#include "tensor/dequantize.h"

namespace nibble {

void tensorRow(const Tensor& t, uint64_t row, float* out) {
    const uint64_t rowBytes = t.byteSize / t.rows();
    dequantizeRow(t.type, t.data + row * rowBytes, out, static_cast<int64_t>(t.shape[0]));
}

std::vector<float> tensorToFloat(const Tensor& t) {
    std::vector<float> out(t.elementCount());
    for (uint64_t r = 0; r < t.rows(); ++r) tensorRow(t, r, out.data() + r * t.shape[0]);
    return out;
}

}  // namespace nibble
