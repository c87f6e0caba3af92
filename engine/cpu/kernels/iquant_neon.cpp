// IQ4_NL against Q8_0 activations and IQ4_XS against Q8_K, with the ARM
// dot-product instructions.
//
// The arithmetic is the portable kernel's: a group of 32 weights becomes its
// 32 signed levels in two 16-byte registers (the nibbles looked up in the
// level table with vqtbl1q_s8), and vdotq_s32 forms the integer sums with
// the input bytes. IQ4_NL meets floats once per block; IQ4_XS scales each
// sub-block's sum by its 6-bit scale first, once per super-block.
#include "cpu/kernel_table.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <cstddef>
#include <cstring>

#include <arm_neon.h>

// GCC 12 declares vdotq_s32 for arch=armv8.2-a+dotprod and refuses to
// inline it into a function that only adds "+dotprod" to the baseline.
#pragma GCC target("arch=armv8.2-a+dotprod")

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

// The 32 levels of a group stored as IQ4_NL's qs: weights 0..15 and 16..31.
struct Group {
    int8x16_t lo;
    int8x16_t hi;
};

Group levels(const uint8_t* qs) {
    const int8x16_t table = vld1q_s8(kIq4nlValues);
    const uint8x16_t packed = vld1q_u8(qs);
    return {vqtbl1q_s8(table, vandq_u8(packed, vdupq_n_u8(0x0f))), vqtbl1q_s8(table, vshrq_n_u8(packed, 4))};
}

int32_t dot32(const Group& w, const int8_t* x) {
    const int32x4_t sums = vdotq_s32(vdotq_s32(vdupq_n_s32(0), w.lo, vld1q_s8(x)), w.hi, vld1q_s8(x + 16));
    return vaddvq_s32(sums);
}

float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return halfToFloat(h);
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h); a
// block's two integer sums meet in int32 (|256 * 32 * 127 * 127| < 2^31).
template <bool Refined>
void dotTileNl(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    for (int64_t b = 0; b < k / 32; ++b) {
        Group q[kMaxTileRows];
        float d[kMaxTileRows];
        for (int r = 0; r < rows; ++r) {
            const uint8_t* block = w + size_t(r) * wStride + size_t(b) * sizeof(BlockIQ4_NL);
            d[r] = loadHalf(block + offsetof(BlockIQ4_NL, d));
            q[r] = levels(block + offsetof(BlockIQ4_NL, qs));
        }
        for (int c = 0; c < cols; ++c) {
            const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(b) * sizeof(ActivationQ8_0);
            const uint8_t* fine = xb + xStride;
            float step;
            // The fine row's step is exactly the coarse one's / 256.
            std::memcpy(&step, (Refined ? fine : xb) + offsetof(ActivationQ8_0, d), sizeof step);
            const auto* qx = reinterpret_cast<const int8_t*>(xb + offsetof(ActivationQ8_0, q));
            const auto* rx = reinterpret_cast<const int8_t*>(fine + offsetof(ActivationQ8_0, q));
            for (int r = 0; r < rows; ++r) {
                int32_t dot = dot32(q[r], qx);
                if constexpr (Refined) dot = 256 * dot + dot32(q[r], rx);
                acc[c][r] += d[r] * step * float(dot);
            }
        }
    }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

struct SuperBlock {
    Group q[8];
    int32_t scales[8];  // without the -32 offset
    float d;
};

void decodeXs(const uint8_t* p, SuperBlock& out) {
    uint16_t high;
    std::memcpy(&high, p + offsetof(BlockIQ4_XS, scales_h), sizeof high);
    const uint8_t* low = p + offsetof(BlockIQ4_XS, scales_l);
    for (int s = 0; s < 8; ++s) {
        out.scales[s] = iq4xsScale(low, high, s) - 32;
        out.q[s] = levels(p + offsetof(BlockIQ4_XS, qs) + 16 * s);
    }
    out.d = loadHalf(p + offsetof(BlockIQ4_XS, d));
}

// At most 8 * 32 * 32 * 127 * 127 in magnitude, which fits int32.
int32_t scaledSum(const SuperBlock& w, const uint8_t* x) {
    const auto* q = reinterpret_cast<const int8_t*>(x + offsetof(ActivationQ8_K, q));
    int32_t sum = 0;
    for (int s = 0; s < 8; ++s) sum += w.scales[s] * dot32(w.q[s], q + 32 * s);
    return sum;
}

// Refined: the two rows' sums meet in int64, since 256 times one can pass int32.
template <bool Refined>
void dotTileXs(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    SuperBlock sb;
    for (int64_t i = 0; i < k / 256; ++i)
        for (int r = 0; r < rows; ++r) {
            decodeXs(w + size_t(r) * wStride + size_t(i) * sizeof(BlockIQ4_XS), sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                const uint8_t* fine = xb + xStride;
                float step;
                std::memcpy(&step, (Refined ? fine : xb) + offsetof(ActivationQ8_K, d), sizeof step);
                int64_t sum = scaledSum(sb, xb);
                if constexpr (Refined) sum = 256 * sum + scaledSum(sb, fine);
                acc[c][r] += sb.d * step * float(sum);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

}  // namespace

void addIQuantNeon(KernelTable& table) {
    table.weights[static_cast<int>(GgmlType::IQ4_NL)] = {ActivationFormat::Q8_0, dotTileNl<false>, dotTileNl<true>};
    table.weights[static_cast<int>(GgmlType::IQ4_XS)] = {ActivationFormat::Q8_K, dotTileXs<false>, dotTileXs<true>};
}

}  // namespace nibble::cpu
