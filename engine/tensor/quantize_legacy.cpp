// Quantizers of the 32-weight formats Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0.
#include "tensor/block_formats.h"
#include "tensor/half.h"
#include "tensor/quant_search.h"
#include "tensor/quantize_formats.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace nibble::quant {
namespace {

using namespace nibble::blocks;

constexpr int kQK = 32;

template <typename Block>
void store(const Block& b, uint8_t* dst, int64_t i) {
    std::memcpy(dst + i * int64_t(sizeof(Block)), &b, sizeof(Block));
}

// The value of largest magnitude, the first one on ties.
float signedAbsMax(const float* x) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

void minMax(const float* x, float& min, float& max) {
    min = FLT_MAX;
    max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
}

// Packs 5-bit levels: low nibbles as Q4_0, bit 4 of level j into bit j of qh.
void pack5(const uint8_t* levels, uint8_t* qs, uint8_t* qh) {
    uint32_t high = 0;
    for (int j = 0; j < 16; ++j) {
        qs[j] = uint8_t((levels[j] & 0x0f) | ((levels[j + 16] & 0x0f) << 4));
        high |= uint32_t((levels[j] & 0x10u) >> 4) << j;
        high |= uint32_t((levels[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(qh, &high, sizeof high);
}

// ggml's importance path weighs each error by importance * sqrt(sigma^2 + x^2),
// sigma^2 being the mean square of the whole row.
float rowMeanSquare(const float* x, int64_t n) {
    float sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += x[j] * x[j];
    return sum / float(n);
}

void errorWeights(const float* x, const float* importance, float sigma2, float* weights) {
    for (int j = 0; j < kQK; ++j) weights[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

}  // namespace

void quantizeQ4_0(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    const float sigma2 = importance ? rowMeanSquare(x, n) : 0.f;
    for (int64_t i = 0; i < count; ++i) {
        const float* xb = x + i * kQK;
        BlockQ4_0 b{};
        if (importance) {
            float weights[kQK];
            int8_t levels[kQK];
            errorWeights(xb, importance + i * kQK, sigma2, weights);
            b.d = floatToHalf(makeQxQuants(kQK, 8, xb, levels, weights));
            for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(levels[j] | (levels[j + 16] << 4));
        } else {
            const float d = signedAbsMax(xb) / -8;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            b.d = floatToHalf(d);
            for (int j = 0; j < 16; ++j) {
                const int q0 = std::min(15, int(int8_t(xb[j] * id + 8.5f)));
                const int q1 = std::min(15, int(int8_t(xb[j + 16] * id + 8.5f)));
                b.qs[j] = uint8_t(q0 | (q1 << 4));
            }
        }
        store(b, dst, i);
    }
}

void quantizeQ4_1(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    const float sigma2 = importance ? rowMeanSquare(x, n) : 0.f;
    for (int64_t i = 0; i < count; ++i) {
        const float* xb = x + i * kQK;
        BlockQ4_1 b{};
        if (importance) {
            float weights[kQK];
            uint8_t levels[kQK];
            float negMin;
            errorWeights(xb, importance + i * kQK, sigma2, weights);
            const float d = makeQkx3Quants(kQK, 15, xb, weights, levels, &negMin, -0.9f, 0.05f, 36, false);
            b.d = floatToHalf(d);
            b.m = floatToHalf(-negMin);
            for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(levels[j] | (levels[j + 16] << 4));
        } else {
            float min, max;
            minMax(xb, min, max);
            const float d = (max - min) / 15;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            b.d = floatToHalf(d);
            b.m = floatToHalf(min);
            for (int j = 0; j < 16; ++j) {
                const int q0 = std::min(15, int(int8_t((xb[j] - min) * id + 0.5f)));
                const int q1 = std::min(15, int(int8_t((xb[j + 16] - min) * id + 0.5f)));
                b.qs[j] = uint8_t(q0 | (q1 << 4));
            }
        }
        store(b, dst, i);
    }
}

void quantizeQ5_0(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    const float sigma2 = importance ? rowMeanSquare(x, n) : 0.f;
    for (int64_t i = 0; i < count; ++i) {
        const float* xb = x + i * kQK;
        BlockQ5_0 b{};
        uint8_t levels[kQK];
        if (importance) {
            float weights[kQK];
            int8_t signedLevels[kQK];
            errorWeights(xb, importance + i * kQK, sigma2, weights);
            b.d = floatToHalf(makeQxQuants(kQK, 16, xb, signedLevels, weights));
            for (int j = 0; j < kQK; ++j) levels[j] = uint8_t(signedLevels[j]);
        } else {
            const float d = signedAbsMax(xb) / -16;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            b.d = floatToHalf(d);
            for (int j = 0; j < kQK; ++j) levels[j] = uint8_t(std::min(31, int(int8_t(xb[j] * id + 16.5f))));
        }
        pack5(levels, b.qs, b.qh);
        store(b, dst, i);
    }
}

void quantizeQ5_1(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    const float sigma2 = importance ? rowMeanSquare(x, n) : 0.f;
    for (int64_t i = 0; i < count; ++i) {
        const float* xb = x + i * kQK;
        BlockQ5_1 b{};
        uint8_t levels[kQK];
        if (importance) {
            float weights[kQK];
            float negMin;
            errorWeights(xb, importance + i * kQK, sigma2, weights);
            const float d = makeQkx3Quants(kQK, 31, xb, weights, levels, &negMin, -0.9f, 0.05f, 36, false);
            b.d = floatToHalf(d);
            b.m = floatToHalf(-negMin);
        } else {
            float min, max;
            minMax(xb, min, max);
            const float d = (max - min) / 31;
            const float id = d != 0 ? 1.0f / d : 0.0f;
            b.d = floatToHalf(d);
            b.m = floatToHalf(min);
            for (int j = 0; j < kQK; ++j) levels[j] = uint8_t((xb[j] - min) * id + 0.5f);
        }
        pack5(levels, b.qs, b.qh);
        store(b, dst, i);
    }
}

void quantizeQ8_0(const float* x, uint8_t* dst, int64_t n) {
    const int64_t count = n / kQK;
    for (int64_t i = 0; i < count; ++i) {
        const float* xb = x + i * kQK;
        float amax = 0;
        for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const float d = amax / 127;
        const float id = d != 0 ? 1.0f / d : 0.0f;
        BlockQ8_0 b{};
        b.d = floatToHalf(d);
        for (int j = 0; j < kQK; ++j) b.qs[j] = int8_t(std::round(xb[j] * id));
        store(b, dst, i);
    }
}

}  // namespace nibble::quant
