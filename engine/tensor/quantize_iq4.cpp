// Quantizers of the non-linear 4-bit formats IQ4_NL and IQ4_XS: every weight
// becomes the nearest of the 16 fixed levels (kIq4nlValues) times a scale,
// and the scale of each group of 32 is searched to minimise the weighted
// squared error, as ggml's quantize_iq4_nl / quantize_iq4_xs do. Unlike
// ggml, the final levels are picked against the scale as stored (rounded to
// fp16, and for IQ4_XS to its 6-bit sub-block scale), the one the decoders
// multiply with, so no weight is rounded against a scale the file lacks.
#include "tensor/block_formats.h"
#include "tensor/half.h"
#include "tensor/quant_search.h"
#include "tensor/quantize_formats.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace nibble::quant {
namespace {

using namespace nibble::blocks;

constexpr int kGroup = 32;
// Candidate scales tried on each side of the one that maps the largest
// magnitude onto the outermost level (ggml's ntry).
constexpr int kTries = 7;
// ggml treats a group whose largest magnitude is below this as all zeros.
constexpr float kGroupMaxEps = 1e-15f;

// The index of the level nearest to v; a tie goes to the upper level.
int nearestLevel(float v) {
    if (v <= kIq4nlValues[0]) return 0;
    if (v >= kIq4nlValues[15]) return 15;
    int low = 0, high = 15;
    while (high - low > 1) {
        const int mid = (low + high) / 2;
        if (v < kIq4nlValues[mid]) high = mid;
        else low = mid;
    }
    return v - float(kIq4nlValues[high - 1]) < float(kIq4nlValues[high]) - v ? high - 1 : high;
}

// Error weights of one group: x^2 without importance, else the importance
// scaled by the weight's size against the block's spread (sigma2), as ggml.
void groupWeights(const float* x, const float* importance, float sigma2, float* weights) {
    for (int j = 0; j < kGroup; ++j)
        weights[j] = importance ? importance[j] * std::sqrt(sigma2 + x[j] * x[j]) : x[j] * x[j];
}

float spread(const float* x, int n) {
    float sumX2 = 0;
    for (int j = 0; j < n; ++j) sumX2 += x[j] * x[j];
    return sumX2 * 2.f / float(n);
}

// The scale of one group of 32 that minimises sum w (x - scale * level)^2
// over the candidate inverse scales; 0 for an all-zero group.
float fitGroup(const float* x, const float* weights) {
    float amax = 0, max = 0;
    for (int j = 0; j < kGroup; ++j) {
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    if (amax < kGroupMaxEps) return 0.f;
    const auto sums = [&](float inverse, float& sumQX, float& sumQ2) {
        sumQX = sumQ2 = 0;
        for (int j = 0; j < kGroup; ++j) {
            const float q = kIq4nlValues[nearestLevel(inverse * x[j])];
            sumQX += weights[j] * q * x[j];
            sumQ2 += weights[j] * q * q;
        }
    };
    // First the largest magnitude on the positive edge, then the candidates
    // that put it at or near the negative one (-127).
    float sumQX, sumQ2;
    sums(float(-kIq4nlValues[0]) / max, sumQX, sumQ2);
    float scale = sumQ2 > 0 ? sumQX / sumQ2 : 0.f;
    float best = scale * sumQX;
    for (int t = -kTries; t <= kTries; ++t) {
        sums(float(t + kIq4nlValues[0]) / max, sumQX, sumQ2);
        if (sumQ2 > 0 && sumQX * sumQX > best * sumQ2) {
            scale = sumQX / sumQ2;
            best = scale * sumQX;
        }
    }
    return scale;
}

// Packs the 32 levels of a group as IQ4_NL's qs (block_formats.h).
void packGroup(const float* x, float scale, uint8_t* qs) {
    const float inverse = scale != 0 ? 1.f / scale : 0.f;
    uint8_t levels[kGroup];
    for (int j = 0; j < kGroup; ++j) levels[j] = uint8_t(nearestLevel(inverse * x[j]));
    for (int j = 0; j < 16; ++j) qs[j] = uint8_t(levels[j] | (levels[j + 16] << 4));
}

}  // namespace

void quantizeIQ4_NL(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    float weights[kGroup];
    for (int64_t i = 0; i < n / kGroup; ++i) {
        const float* xb = x + i * kGroup;
        groupWeights(xb, importance ? importance + i * kGroup : nullptr, spread(xb, kGroup), weights);
        BlockIQ4_NL b{};
        b.d = floatToHalf(fitGroup(xb, weights));
        packGroup(xb, halfToFloat(b.d), b.qs);
        std::memcpy(dst + i * int64_t(sizeof b), &b, sizeof b);
    }
}

void quantizeIQ4_XS(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    constexpr int kGroups = kSuperBlock / kGroup;
    float weights[kGroup];
    for (int64_t i = 0; i < n / kSuperBlock; ++i) {
        const float* xb = x + i * kSuperBlock;
        const float sigma2 = spread(xb, kSuperBlock);
        float scales[kGroups];
        float maxScale = 0, amaxScale = 0;
        for (int s = 0; s < kGroups; ++s) {
            const float* qw = importance ? importance + i * kSuperBlock + s * kGroup : nullptr;
            groupWeights(xb + s * kGroup, qw, sigma2, weights);
            scales[s] = fitGroup(xb + s * kGroup, weights);
            if (std::fabs(scales[s]) > amaxScale) {
                amaxScale = std::fabs(scales[s]);
                maxScale = scales[s];
            }
        }
        // The largest sub-block scale becomes -32 times d, the end of the
        // 6-bit range with the most room.
        BlockIQ4_XS b{};
        b.d = floatToHalf(-maxScale / 32.f);
        const float d = halfToFloat(b.d);
        const float inverse = d != 0 ? 1.f / d : 0.f;
        for (int s = 0; s < kGroups; ++s) {
            const int level = std::clamp(nearestInt(inverse * scales[s]), -32, 31);
            packGroup(xb + s * kGroup, d * float(level), b.qs + 16 * s);
            const int stored = level + 32;
            b.scales_l[s / 2] |= uint8_t((stored & 0x0f) << (4 * (s % 2)));
            b.scales_h |= uint16_t((stored >> 4) << (2 * s));
        }
        std::memcpy(dst + i * int64_t(sizeof b), &b, sizeof b);
    }
}

}  // namespace nibble::quant
