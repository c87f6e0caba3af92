// The i-quants, the ternary types and MXFP4 against 8-bit activations, with
// AVX2.
//
// IQ4_NL and MXFP4 store a group of 32 weights as 4-bit indices into 16
// signed levels: the nibbles are split into bytes and looked up in the level
// table with vpshufb, 32 levels to a register. vpmaddubsw multiplies unsigned
// by signed bytes, so the weights' signs move onto the inputs first (levels
// and inputs are within -127..127, so the 16-bit pair sums cannot saturate).
// Blocks are decoded once per tile row and reused for every input. IQ4_XS
// super-blocks likewise, with vpmaddwd applying each sub-block's 6-bit scale.
// The grid i-quants and the ternary types are decoded by the portable
// decoders (iquant_levels.h) into levels and an integer scale per 16 weights,
// then multiplied the same way.
#include "cpu/kernel_table.h"
#include "tensor/block_decode.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c")

#include "cpu/kernels/avx2_lanes.h"
#include "cpu/kernels/iquant_levels.h"

namespace nibble::cpu {
namespace {

float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

float loadFloat(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

__m256i load32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The 32 levels of the 16 bytes at qs (IQ4_NL's qs layout), in order.
__m256i levels(const uint8_t* qs, const int8_t* values = kIq4nlValues) {
    const __m128i table = _mm_loadu_si128(reinterpret_cast<const __m128i*>(values));
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m256i indices =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(15));
    return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(table), indices);
}

// IQ4_NL and MXFP4. Refined: input c is the pair of rows 2c and 2c + 1
// (kernel_table.h), whose int32 lane sums meet, the 8-bit row's times 256,
// before the one float multiply.
template <typename Block, int Rows, int Cols, bool Refined>
void tileNl(int64_t blocks, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y,
            size_t ldy) {
    __m256 acc[Cols][Rows];
    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) acc[c][r] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < blocks; ++b) {
        __m256i q[Rows];
        float d[Rows];
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) {
            const uint8_t* block = w + r * wStride + size_t(b) * sizeof(Block);
            q[r] = levels(block + offsetof(Block, qs), NibbleBlock<Block>::kValues);
            d[r] = NibbleBlock<Block>::scale(block);
        }
        #pragma GCC unroll 4
        for (int c = 0; c < Cols; ++c) {
            const uint8_t* xb = x + (Refined ? 2 * c : c) * xStride + size_t(b) * sizeof(ActivationQ8_0);
            const uint8_t* fine = xb + xStride;
            // The fine row's step is exactly the coarse one's / 256.
            const float dx = loadFloat((Refined ? fine : xb) + offsetof(ActivationQ8_0, d));
            const __m256i qx = load32(xb + offsetof(ActivationQ8_0, q));
            __m256i rx = _mm256_setzero_si256();
            if constexpr (Refined) rx = load32(fine + offsetof(ActivationQ8_0, q));
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) {
                __m256i sums = _mm256_madd_epi16(pairSums(q[r], qx), ones);
                if constexpr (Refined)
                    sums = _mm256_add_epi32(_mm256_slli_epi32(sums, 8), _mm256_madd_epi16(pairSums(q[r], rx), ones));
                acc[c][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_set1_ps(d[r] * dx), acc[c][r]);
            }
        }
    }
    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) y[c * ldy + r] = horizontalSum(acc[c][r]);
}

using TileFn = void (*)(int64_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);

template <typename B, bool R>
constexpr TileFn kNlTiles[kMaxTileRows][kMaxTileCols] = {
    {tileNl<B, 1, 1, R>, tileNl<B, 1, 2, R>, tileNl<B, 1, 3, R>, tileNl<B, 1, 4, R>},
    {tileNl<B, 2, 1, R>, tileNl<B, 2, 2, R>, tileNl<B, 2, 3, R>, tileNl<B, 2, 4, R>},
    {tileNl<B, 3, 1, R>, tileNl<B, 3, 2, R>, tileNl<B, 3, 3, R>, tileNl<B, 3, 4, R>},
    {tileNl<B, 4, 1, R>, tileNl<B, 4, 2, R>, tileNl<B, 4, 3, R>, tileNl<B, 4, 4, R>},
};

template <typename Block, bool Refined>
void dotTileNl(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    kNlTiles<Block, Refined>[rows - 1][cols - 1](k / 32, w, wStride, x, xStride, y, ldy);
}

// One IQ4_XS super-block: its levels, 32 to a register, and each sub-block's
// scale (without the -32 offset) in every 16-bit lane, for vpmaddwd.
struct XsBlock {
    __m256i q[8];
    __m256i scales[8];
    float d;
};

void decode(const uint8_t* p, XsBlock& out) {
    uint16_t high;
    std::memcpy(&high, p + offsetof(BlockIQ4_XS, scales_h), sizeof high);
    const uint8_t* low = p + offsetof(BlockIQ4_XS, scales_l);
    for (int s = 0; s < 8; ++s) {
        const int scale = iq4xsScale(low, high, s) - 32;
        out.scales[s] = _mm256_set1_epi16(int16_t(scale));
        out.q[s] = levels(p + offsetof(BlockIQ4_XS, qs) + 16 * s);
    }
    out.d = loadHalf(p + offsetof(BlockIQ4_XS, d));
}

// A grid i-quant's or ternary super-block, through the portable decoder; its
// levels stay in memory (loading them per input is cheaper than keeping
// sixteen registers' worth on the stack), and scales[s] holds the integer
// scale of weights 32s..32s+15 in lanes 0-7 and of 32s+16..32s+31 in lanes
// 8-15, where vpmaddubsw leaves their pair sums.
template <typename Block>
struct GridBlock {
    DecodedSuperBlock levels;
    __m256i scales[8];
    float d;
};

template <typename Block>
void decode(const uint8_t* p, GridBlock<Block>& out) {
    Block block;
    std::memcpy(&block, p, sizeof block);
    decodeInto(block, out.levels);
    for (int s = 0; s < 8; ++s)
        out.scales[s] = _mm256_set_m128i(_mm_set1_epi16(int16_t(out.levels.scales[2 * s + 1])),
                                         _mm_set1_epi16(int16_t(out.levels.scales[2 * s])));
    out.d = out.levels.d;
}

__m256i levelsAt(const XsBlock& w, int s) { return w.q[s]; }

template <typename Block>
__m256i levelsAt(const GridBlock<Block>& w, int s) {
    return load32(reinterpret_cast<const uint8_t*>(w.levels.q) + 32 * s);
}

// The super-block's scaled integer sums with one row's 256 values, lane by
// lane: each lane at most 8 * 2 * 32 * 2 * 127 * 127 in magnitude.
template <typename Decoded>
__m256i scaledSums(const Decoded& w, const uint8_t* x) {
    const uint8_t* xq = x + offsetof(ActivationQ8_K, q);
    __m256i sum = _mm256_setzero_si256();
    for (int s = 0; s < 8; ++s)
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairSums(levelsAt(w, s), load32(xq + 32 * s)), w.scales[s]));
    return sum;
}

// Refined: the two rows' sums meet in float, since 256 times one can pass int32.
template <typename Block, typename Decoded, bool Refined>
void dotTileSuper(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                  float* y, size_t ldy) {
    __m256 acc[kMaxTileCols][kMaxTileRows];
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) acc[c][r] = _mm256_setzero_ps();
    Decoded sb;
    for (int64_t i = 0; i < k / 256; ++i)
        for (int r = 0; r < rows; ++r) {
            decode(w + size_t(r) * wStride + size_t(i) * sizeof(Block), sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                const uint8_t* fine = xb + xStride;
                const float dx = loadFloat((Refined ? fine : xb) + offsetof(ActivationQ8_K, d));
                __m256 sums = _mm256_cvtepi32_ps(scaledSums(sb, xb));
                if constexpr (Refined)
                    sums = _mm256_fmadd_ps(sums, _mm256_set1_ps(256.0f), _mm256_cvtepi32_ps(scaledSums(sb, fine)));
                acc[c][r] = _mm256_fmadd_ps(sums, _mm256_set1_ps(sb.d * dx), acc[c][r]);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = horizontalSum(acc[c][r]);
}

template <typename Block, typename Decoded>
constexpr WeightKernel superKernel() {
    return {ActivationFormat::Q8_K, dotTileSuper<Block, Decoded, false>, dotTileSuper<Block, Decoded, true>};
}

template <typename Block>
constexpr WeightKernel gridKernel() {
    return superKernel<Block, GridBlock<Block>>();
}

}  // namespace

void addIQuantAvx2(KernelTable& table) {
    table.weights[static_cast<int>(GgmlType::IQ4_NL)] = {ActivationFormat::Q8_0, dotTileNl<BlockIQ4_NL, false>,
                                                         dotTileNl<BlockIQ4_NL, true>};
    table.weights[static_cast<int>(GgmlType::MXFP4)] = {ActivationFormat::Q8_0, dotTileNl<BlockMXFP4, false>,
                                                        dotTileNl<BlockMXFP4, true>};
    table.weights[static_cast<int>(GgmlType::IQ4_XS)] = superKernel<BlockIQ4_XS, XsBlock>();
    addGridKernels(table, [](auto block) { return gridKernel<decltype(block)>(); });
}

}  // namespace nibble::cpu
