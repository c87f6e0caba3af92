#include "cpu/cpu_ops.h"

#include "tensor/dequantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace nibble::cpu {

void matmul(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y) {
    const int64_t k = static_cast<int64_t>(w.shape[0]);
    const uint64_t rows = w.rows();
    const uint64_t rowBytes = w.byteSize / rows;
    pool.parallelFor(rows, [&](size_t begin, size_t end) {
        if (batch == 1) {
            for (size_t r = begin; r < end; ++r) y[r] = dotRow(w.type, w.data + r * rowBytes, x, k);
            return;
        }
        // Dequantize each weight row once and use it for the whole batch.
        std::vector<float> row(k);
        for (size_t r = begin; r < end; ++r) {
            dequantizeRow(w.type, w.data + r * rowBytes, row.data(), k);
            for (int b = 0; b < batch; ++b) {
                const float* xb = x + int64_t(b) * k;
                float sum = 0;
#pragma omp simd reduction(+ : sum)
                for (int64_t i = 0; i < k; ++i) sum += row[i] * xb[i];
                y[int64_t(b) * rows + r] = sum;
            }
        }
    });
}

void rmsNorm(const float* x, const float* weight, float* out, int n, float eps) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += double(x[i]) * x[i];
    const float scale = 1.0f / std::sqrt(float(sum / n) + eps);
    for (int i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void rope(float* head, int ropeDims, int pos, float base, float freqScale, bool neox, const float* freqFactors) {
    const float thetaScale = std::pow(base, -2.0f / ropeDims);
    float theta = static_cast<float>(pos);
    for (int i = 0; i < ropeDims; i += 2) {
        float angle = theta * freqScale;
        if (freqFactors) angle /= freqFactors[i / 2];
        const float c = std::cos(angle), s = std::sin(angle);
        float* a = neox ? head + i / 2 : head + i;
        float* b = neox ? head + i / 2 + ropeDims / 2 : head + i + 1;
        const float x0 = *a, x1 = *b;
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
        theta *= thetaScale;
    }
}

void softmax(float* x, int n) {
    const float maxValue = *std::max_element(x, x + n);
    double sum = 0;
    for (int i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - maxValue);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int i = 0; i < n; ++i) x[i] *= inv;
}

float silu(float x) { return x / (1.0f + std::exp(-x)); }

float geluTanh(float x) {
    constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + 0.044715f * x * x)));
}

}  // namespace nibble::cpu
