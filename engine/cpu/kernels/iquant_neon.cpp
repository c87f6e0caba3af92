// The i-quants, the ternary types and MXFP4 against 8-bit activations, with
// the ARM dot-product instructions.
//
// The arithmetic is the portable kernel's: a group of 32 IQ4_NL or MXFP4
// weights becomes its 32 signed levels in two 16-byte registers (the nibbles
// looked up in the level table with vqtbl1q_s8), and vdotq_s32 forms the
// integer sums with the input bytes. IQ4_NL and MXFP4 meet floats once per
// block; IQ4_XS scales each sub-block's sum by its 6-bit scale first, once
// per super-block, and the grid i-quants and ternary types, decoded by the
// portable decoders (iquant_levels.h), each 16 weights' sum by its integer
// scale.
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

#include "cpu/kernels/iquant_levels.h"

namespace nibble::cpu {
namespace {

// The 32 levels of a group stored as IQ4_NL's qs: weights 0..15 and 16..31.
struct Group {
    int8x16_t lo;
    int8x16_t hi;
};

Group levels(const uint8_t* qs, const int8_t* values = kIq4nlValues) {
    const int8x16_t table = vld1q_s8(values);
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

// IQ4_NL and MXFP4. Refined: input c is the pair of rows 2c and 2c + 1
// (kernel_table.h); a block's two integer sums meet in int32
// (|256 * 32 * 127 * 127| < 2^31).
template <typename Block, bool Refined>
void dotTileNl(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    for (int64_t b = 0; b < k / 32; ++b) {
        Group q[kMaxTileRows];
        float d[kMaxTileRows];
        for (int r = 0; r < rows; ++r) {
            const uint8_t* block = w + size_t(r) * wStride + size_t(b) * sizeof(Block);
            d[r] = NibbleBlock<Block>::scale(block);
            q[r] = levels(block + offsetof(Block, qs), NibbleBlock<Block>::kValues);
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

struct XsBlock {
    Group q[8];
    int32_t scales[8];  // without the -32 offset
    float d;
};

void decode(const uint8_t* p, XsBlock& out) {
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
int32_t scaledSum(const XsBlock& w, const uint8_t* x) {
    const auto* q = reinterpret_cast<const int8_t*>(x + offsetof(ActivationQ8_K, q));
    int32_t sum = 0;
    for (int s = 0; s < 8; ++s) sum += w.scales[s] * dot32(w.q[s], q + 32 * s);
    return sum;
}

// A grid i-quant's or ternary super-block, through the portable decoder.
template <typename Block>
struct GridBlock {
    DecodedSuperBlock levels;
};

template <typename Block>
void decode(const uint8_t* p, GridBlock<Block>& out) {
    Block block;
    std::memcpy(&block, p, sizeof block);
    decodeInto(block, out.levels);
}

// Within int32 (iquant_portable.cpp's bound).
template <typename Block>
int32_t scaledSum(const GridBlock<Block>& w, const uint8_t* x) {
    const auto* q = reinterpret_cast<const int8_t*>(x + offsetof(ActivationQ8_K, q));
    int32_t sum = 0;
    for (int g = 0; g < 16; ++g)
        sum += w.levels.scales[g] *
               vaddvq_s32(vdotq_s32(vdupq_n_s32(0), vld1q_s8(w.levels.q + 16 * g), vld1q_s8(q + 16 * g)));
    return sum;
}

float scaleOf(const XsBlock& w) { return w.d; }

template <typename Block>
float scaleOf(const GridBlock<Block>& w) {
    return w.levels.d;
}

// Refined: the two rows' sums meet in int64, since 256 times one can pass int32.
template <typename Block, typename Decoded, bool Refined>
void dotTileSuper(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                  float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    Decoded sb;
    for (int64_t i = 0; i < k / 256; ++i)
        for (int r = 0; r < rows; ++r) {
            decode(w + size_t(r) * wStride + size_t(i) * sizeof(Block), sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                const uint8_t* fine = xb + xStride;
                float step;
                std::memcpy(&step, (Refined ? fine : xb) + offsetof(ActivationQ8_K, d), sizeof step);
                int64_t sum = scaledSum(sb, xb);
                if constexpr (Refined) sum = 256 * sum + scaledSum(sb, fine);
                acc[c][r] += scaleOf(sb) * step * float(sum);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

template <typename Block, typename Decoded>
constexpr WeightKernel superKernel() {
    return {ActivationFormat::Q8_K, dotTileSuper<Block, Decoded, false>, dotTileSuper<Block, Decoded, true>};
}

template <typename Block>
constexpr WeightKernel gridKernel() {
    return superKernel<Block, GridBlock<Block>>();
}

template <typename Block>
constexpr WeightKernel nibbleKernel() {
    return {ActivationFormat::Q8_0, dotTileNl<Block, false>, dotTileNl<Block, true>};
}

}  // namespace

void addIQuantNeon(KernelTable& table) {
    table.weights[static_cast<int>(GgmlType::IQ4_NL)] = nibbleKernel<BlockIQ4_NL>();
    table.weights[static_cast<int>(GgmlType::MXFP4)] = nibbleKernel<BlockMXFP4>();
    table.weights[static_cast<int>(GgmlType::IQ4_XS)] = superKernel<BlockIQ4_XS, XsBlock>();
    addGridKernels(table, [](auto block) { return gridKernel<decltype(block)>(); });
}

}  // namespace nibble::cpu
