// Q4_K and Q6_K against Q8_K activations, with the ARM dot-product
// instructions.
//
// The arithmetic is the portable kernel's: each weight is d * sc * q -
// dmin * mn with an unsigned q (Q6_K's signed q shifted by 32, mn = 32 * sc),
// a super-block is unpacked once into sixteen 16-byte registers of q, and
// vdotq_s32 forms each sub-block's integer sum with every input row of the
// tile; the minimums meet the inputs through their bsums.
//
// Q2_K, Q3_K and Q5_K keep the portable kernels on ARM: the files Nibble
// runs use Q4_K and Q6_K for nearly all their weights, and a NEON version of
// the others is only worth its review once a model shows the need.
#include "cpu/kernel_table.h"
#include "tensor/block_decode.h"
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

struct SuperBlock {
    int8x16_t q[16];  // weights 16 s .. 16 s + 15, each 0..63
    int32_t sc[16];
    int32_t mn[16];
    float d;
    float dmin;
};

uint16_t loadU16(const uint8_t* p) {
    return uint16_t(p[0] | (p[1] << 8));
}

void decodeQ4K(const uint8_t* b, SuperBlock& out) {
    for (int s = 0; s < 8; ++s) {
        uint8_t sc, mn;
        kScaleMin(s, b + offsetof(BlockQ4_K, scales), sc, mn);
        out.sc[2 * s] = out.sc[2 * s + 1] = sc;
        out.mn[2 * s] = out.mn[2 * s + 1] = mn;
    }
    out.d = halfToFloat(loadU16(b + offsetof(BlockQ4_K, d)));
    out.dmin = halfToFloat(loadU16(b + offsetof(BlockQ4_K, dmin)));
    const uint8_t* qs = b + offsetof(BlockQ4_K, qs);
    const uint8x16_t low = vdupq_n_u8(0x0f);
    // Each 32 bytes hold 64 weights: the low nibbles first, then the high.
    for (int c = 0; c < 4; ++c)
        for (int half = 0; half < 2; ++half) {
            const uint8x16_t packed = vld1q_u8(qs + 32 * c + 16 * half);
            out.q[4 * c + half] = vreinterpretq_s8_u8(vandq_u8(packed, low));
            out.q[4 * c + 2 + half] = vreinterpretq_s8_u8(vshrq_n_u8(packed, 4));
        }
}

void decodeQ6K(const uint8_t* b, SuperBlock& out) {
    const uint8_t* ql = b + offsetof(BlockQ6_K, ql);
    const uint8_t* qh = b + offsetof(BlockQ6_K, qh);
    const uint8_t* scales = b + offsetof(BlockQ6_K, scales);
    for (int s = 0; s < 16; ++s) {
        out.sc[s] = int8_t(scales[s]);
        out.mn[s] = 32 * out.sc[s];
    }
    out.d = halfToFloat(loadU16(b + offsetof(BlockQ6_K, d)));
    out.dmin = out.d;
    const uint8x16_t low = vdupq_n_u8(0x0f);
    const uint8x16_t two = vdupq_n_u8(0x30);
    // Per 128 weights: 64 bytes of low nibbles and 32 of high bit pairs.
    for (int h = 0; h < 2; ++h)
        for (int half = 0; half < 2; ++half) {
            const int l = 16 * half;
            const uint8x16_t lo = vld1q_u8(ql + 64 * h + l);
            const uint8x16_t hi = vld1q_u8(ql + 64 * h + 32 + l);
            const uint8x16_t top = vld1q_u8(qh + 32 * h + l);
            int8x16_t* q = out.q + 8 * h + half;
            q[0] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(lo, low), vandq_u8(vshlq_n_u8(top, 4), two)));
            q[2] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(hi, low), vandq_u8(vshlq_n_u8(top, 2), two)));
            q[4] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(lo, 4), vandq_u8(top, two)));
            q[6] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(hi, 4), vandq_u8(vshrq_n_u8(top, 2), two)));
        }
}

// The super-block's contribution to one dot product; xb is one ActivationQ8_K.
float superBlockDot(const SuperBlock& w, const uint8_t* xb) {
    float dx;
    std::memcpy(&dx, xb + offsetof(ActivationQ8_K, d), 4);
    const auto* qx = reinterpret_cast<const int8_t*>(xb + offsetof(ActivationQ8_K, q));
    int32_t sumi = 0;
    for (int s = 0; s < 16; ++s)
        sumi += w.sc[s] * vaddvq_s32(vdotq_s32(vdupq_n_s32(0), w.q[s], vld1q_s8(qx + 16 * s)));
    int16_t bsums[16];
    std::memcpy(bsums, xb + offsetof(ActivationQ8_K, bsums), sizeof bsums);
    int32_t summ = 0;
    for (int s = 0; s < 16; ++s) summ += w.mn[s] * int32_t(bsums[s]);
    return dx * (w.d * float(sumi) - w.dmin * float(summ));
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h),
// each row with its own step, the unpacked super-block shared by both.
template <size_t BlockBytes, void (*Decode)(const uint8_t*, SuperBlock&), bool Refined>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    const int64_t blocks = k / 256;
    float acc[kMaxTileCols][kMaxTileRows] = {};
    SuperBlock sb;
    for (int64_t i = 0; i < blocks; ++i)
        for (int r = 0; r < rows; ++r) {
            Decode(w + size_t(r) * wStride + size_t(i) * BlockBytes, sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* input = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                acc[c][r] += superBlockDot(sb, input);
                if constexpr (Refined) acc[c][r] += superBlockDot(sb, input + xStride);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

}  // namespace

void addKQuantNeon(KernelTable& table) {
    const auto set = [&](GgmlType type, DotTileFn dot, DotTileFn refinedDot) {
        table.weights[static_cast<int>(type)] = WeightKernel{ActivationFormat::Q8_K, dot, refinedDot};
    };
    set(GgmlType::Q4_K, dotTile<sizeof(BlockQ4_K), decodeQ4K, false>, dotTile<sizeof(BlockQ4_K), decodeQ4K, true>);
    set(GgmlType::Q6_K, dotTile<sizeof(BlockQ6_K), decodeQ6K, false>, dotTile<sizeof(BlockQ6_K), decodeQ6K, true>);
}

}  // namespace nibble::cpu
