// Quantizers of the 256-weight K-quant formats Q4_K, Q5_K and Q6_K.
#include "tensor/block_decode.h"
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

constexpr int kQK = kSuperBlock;
constexpr int kSub = 32;  // weights per sub-block of Q4_K / Q5_K
constexpr int kSubCount = kQK / kSub;

template <typename Block>
void store(const Block& b, uint8_t* dst, int64_t i) {
    std::memcpy(dst + i * int64_t(sizeof(Block)), &b, sizeof(Block));
}

// Packs the eight 6-bit scales and mins of a Q4_K/Q5_K block (see block_formats.h).
void packScaleMins(const uint8_t* scales, const uint8_t* mins, uint8_t* packed) {
    std::memset(packed, 0, 12);
    for (int j = 0; j < kSubCount; ++j) {
        const uint8_t ls = scales[j], lm = mins[j];
        if (j < 4) {
            packed[j] = ls;
            packed[j + 4] = lm;
        } else {
            packed[j + 4] = uint8_t((ls & 0x0f) | ((lm & 0x0f) << 4));
            packed[j - 4] |= uint8_t((ls >> 4) << 6);
            packed[j] |= uint8_t((lm >> 4) << 6);
        }
    }
}

// Sub-block scales and mins of one Q4_K/Q5_K super-block, quantized to
// 6 bits against the block's d and dmin (written into the block).
struct ScaleMins {
    float scales[kSubCount];
    float mins[kSubCount];  // negated: the value subtracted
};

// The reference path: each sub-block fitted alone, then the 6-bit scales
// are plain rounding against the largest.
template <typename Block>
void fitReference(const float* x, int nmax, float rmin, float rdelta, int nstep, Block& b, uint8_t* levels) {
    ScaleMins fit;
    float weights[kSub];
    float maxScale = 0, maxMin = 0;
    for (int j = 0; j < kSubCount; ++j) {
        const float* xs = x + kSub * j;
        float sumX2 = 0;
        for (int l = 0; l < kSub; ++l) sumX2 += xs[l] * xs[l];
        const float avX = std::sqrt(sumX2 / kSub);
        for (int l = 0; l < kSub; ++l) weights[l] = avX + std::fabs(xs[l]);
        fit.scales[j] = makeQkx2Quants(kSub, nmax, xs, weights, levels + kSub * j, &fit.mins[j], rmin, rdelta, nstep, false);
        maxScale = std::max(maxScale, fit.scales[j]);
        maxMin = std::max(maxMin, fit.mins[j]);
    }
    const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
    const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
    uint8_t ls[kSubCount], lm[kSubCount];
    for (int j = 0; j < kSubCount; ++j) {
        ls[j] = std::min<uint8_t>(63, uint8_t(nearestInt(invScale * fit.scales[j])));
        lm[j] = std::min<uint8_t>(63, uint8_t(nearestInt(invMin * fit.mins[j])));
    }
    packScaleMins(ls, lm, b.scales);
    b.d = floatToHalf(maxScale / 63.f);
    b.dmin = floatToHalf(maxMin / 63.f);
}

// The importance path: sub-blocks fitted under the caller's weights, then the
// 6-bit scales themselves searched, weighted by each sub-block's total weight.
template <typename Block>
void fitWeighted(const float* x, const float* importance, int nmax, Block& b, uint8_t* levels) {
    ScaleMins fit;
    float weights[kSub];
    float subWeight[kSubCount];
    float sumX2 = 0;
    for (int l = 0; l < kQK; ++l) sumX2 += x[l] * x[l];
    const float sigma2 = 2 * sumX2 / kQK;
    for (int j = 0; j < kSubCount; ++j) {
        const float* xs = x + kSub * j;
        const float* qw = importance + kSub * j;
        for (int l = 0; l < kSub; ++l) weights[l] = qw[l] * std::sqrt(sigma2 + xs[l] * xs[l]);
        float sumW = 0;
        for (int l = 0; l < kSub; ++l) sumW += weights[l];
        subWeight[j] = sumW;
        fit.scales[j] = makeQkx3Quants(kSub, nmax, xs, weights, levels + kSub * j, &fit.mins[j], -0.9f, 0.05f, 36, false);
    }
    uint8_t ls[kSubCount], lm[kSubCount];
    const float dBlock = makeQpQuants(kSubCount, 63, fit.scales, ls, subWeight);
    const float mBlock = makeQpQuants(kSubCount, 63, fit.mins, lm, subWeight);
    for (int j = 0; j < kSubCount; ++j) {
        ls[j] = std::min<uint8_t>(63, ls[j]);
        lm[j] = std::min<uint8_t>(63, lm[j]);
    }
    packScaleMins(ls, lm, b.scales);
    b.d = floatToHalf(dBlock);
    b.dmin = floatToHalf(mBlock);
}

// With d, dmin and the 6-bit scales fixed, rounds every weight to its level.
template <typename Block>
void requantize(const float* x, int nmax, const Block& b, uint8_t* levels) {
    for (int j = 0; j < kSubCount; ++j) {
        uint8_t sc, mn;
        kScaleMin(j, b.scales, sc, mn);
        const float d = halfToFloat(b.d) * float(sc);
        if (d == 0) continue;
        const float dm = halfToFloat(b.dmin) * float(mn);
        for (int l = 0; l < kSub; ++l)
            levels[kSub * j + l] = uint8_t(std::clamp(nearestInt((x[kSub * j + l] + dm) / d), 0, nmax));
    }
}

// Q4_K and Q5_K share everything but the level count and the search range
// of the reference path. Sub-blocks whose 6-bit scale came out zero keep
// the levels of their first fit, as in ggml.
template <typename Block>
void quantizeScaleMin(const float* x, const float* importance, int nmax, float rmin, float rdelta, int nstep,
                      Block& b, uint8_t* levels) {
    if (importance)
        fitWeighted(x, importance, nmax, b, levels);
    else
        fitReference(x, nmax, rmin, rdelta, nstep, b, levels);
    requantize(x, nmax, b, levels);
}

}  // namespace

void quantizeQ4_K(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    for (int64_t i = 0; i < count; ++i) {
        BlockQ4_K b{};
        uint8_t levels[kQK];
        quantizeScaleMin(x + i * kQK, importance ? importance + i * kQK : nullptr, 15, -1.f, 0.1f, 20, b, levels);
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l)
                b.qs[32 * c + l] = uint8_t(levels[64 * c + l] | (levels[64 * c + 32 + l] << 4));
        store(b, dst, i);
    }
}

void quantizeQ5_K(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    for (int64_t i = 0; i < count; ++i) {
        BlockQ5_K b{};
        uint8_t levels[kQK];
        quantizeScaleMin(x + i * kQK, importance ? importance + i * kQK : nullptr, 31, -0.5f, 0.1f, 15, b, levels);
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l) {
                const int l1 = levels[64 * c + l], l2 = levels[64 * c + 32 + l];
                b.qs[32 * c + l] = uint8_t((l1 & 0x0f) | ((l2 & 0x0f) << 4));
                b.qh[l] |= uint8_t(((l1 >> 4) << (2 * c)) | ((l2 >> 4) << (2 * c + 1)));
            }
        }
        store(b, dst, i);
    }
}

void quantizeQ6_K(const float* x, uint8_t* dst, int64_t n, const float* importance) {
    const int64_t count = n / kQK;
    for (int64_t i = 0; i < count; ++i) {
        const float* xb = x + i * kQK;
        BlockQ6_K b{};
        int8_t levels[kQK];
        float scales[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int s = 0; s < 16; ++s) {
            const float* qw = importance ? importance + i * kQK + 16 * s : nullptr;
            scales[s] = makeQxQuants(16, 32, xb + 16 * s, levels + 16 * s, qw);
            if (std::fabs(scales[s]) > maxAbsScale) {
                maxAbsScale = std::fabs(scales[s]);
                maxScale = scales[s];
            }
        }
        if (maxAbsScale >= 1e-15f) {
            const float iscale = -128.f / maxScale;
            b.d = floatToHalf(1 / iscale);
            for (int s = 0; s < 16; ++s) b.scales[s] = int8_t(std::min(127, nearestInt(iscale * scales[s])));
            for (int s = 0; s < 16; ++s) {
                const float d = halfToFloat(b.d) * float(b.scales[s]);
                if (d == 0) continue;
                for (int l = 0; l < 16; ++l)
                    levels[16 * s + l] = int8_t(std::clamp(nearestInt(xb[16 * s + l] / d), -32, 31) + 32);
            }
            for (int h = 0; h < 2; ++h) {
                const int8_t* L = levels + 128 * h;
                for (int l = 0; l < 32; ++l) {
                    const int q1 = L[l], q2 = L[l + 32], q3 = L[l + 64], q4 = L[l + 96];
                    b.ql[64 * h + l] = uint8_t((q1 & 0x0f) | ((q3 & 0x0f) << 4));
                    b.ql[64 * h + 32 + l] = uint8_t((q2 & 0x0f) | ((q4 & 0x0f) << 4));
                    b.qh[32 * h + l] = uint8_t((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
        }
        store(b, dst, i);
    }
}

}  // namespace nibble::quant
