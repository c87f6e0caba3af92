// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 activations, with AVX-512 VNNI.
//
// Two blocks at a time in one 512-bit register, so every instruction after
// the byte products (int32 to float, the scale, the accumulation) also
// serves 64 weights. vpdpbusd multiplies unsigned by signed bytes and sums
// in one instruction, so every type decodes to unsigned bytes: Q8_0 flips
// its sign bits (w + 128). A fixed offset (Q4_0's -8, Q5_0's -16, Q8_0's
// -128) is taken out in the int32 lanes, through the inputs' byte sums
// formed once per input row and pair of blocks; a minimum (Q4_1, Q5_1) meets
// the inputs' float block sums. A refined pair's remainder row (Q4_1, Q5_1)
// goes into the same int32 lanes after the 8-bit row's sums are shifted up
// by 8 bits (kernel_table.h). Each lane's scale is formed from the weight row's and
// the input row's once per pair of blocks and tile cell. Activations come
// from the AVX2 quantizer.
//
// Refined inputs of the types without a minimum (Q4_0, Q5_0, Q8_0) come as
// 16-bit values instead (ActivationQ16_0), and the weights decode to signed
// 16-bit lanes: two vpdpwssd per pair of blocks and cell replace the pair's
// two vpdpbusd, the shift, the offset's subtraction and the copy of its
// start, which made the refined tile half as fast as an 8-bit one.
#include "cpu/kernel_table.h"
#include "cpu/kernels/tile_shapes.h"
#include "tensor/ggml_type.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")

namespace nibble::cpu {
namespace {

constexpr int kBlock = 32;

uint16_t loadU16(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
}

uint32_t loadU32(const uint8_t* p) {
    uint32_t h;
    std::memcpy(&h, p, 4);
    return h;
}

// Lanes 0-7 of the result take float j of `four`, lanes 8-15 float k.
__m512 spread(__m128 four, int j, int k) {
    const __m512i index = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(j)), _mm256_set1_epi32(k), 1);
    return _mm512_permutexvar_ps(index, _mm512_castps128_ps512(four));
}

// Eight lanes of the half at p0, then eight of the one at p1, as floats:
// both halves go through one register and one conversion, as the shuffle
// port is what the scales of a decode's one-input tiles wait on.
__m512 pairOfHalves(const uint8_t* p0, const uint8_t* p1) {
    const uint32_t both = uint32_t(loadU16(p0)) | uint32_t(loadU16(p1)) << 16;
    return spread(_mm_cvtph_ps(_mm_cvtsi32_si128(int(both))), 0, 1);
}

// The same for the two adjacent halves at each of p0 and p1 (a scale and a
// minimum): the first pair into `first`, the second into `second`.
void pairsOfHalves(const uint8_t* p0, const uint8_t* p1, __m512& first, __m512& second) {
    const uint64_t all = uint64_t(loadU32(p0)) | uint64_t(loadU32(p1)) << 32;
    const __m128 four = _mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(all)));  // p0's two, then p1's
    first = spread(four, 0, 2);
    second = spread(four, 1, 3);
}

// Eight lanes of the float at p0, then eight of the one at p1.
__m512 pairOfFloats(const uint8_t* p0, const uint8_t* p1) {
    float a, b;
    std::memcpy(&a, p0, 4);
    std::memcpy(&b, p1, 4);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm256_set1_ps(a))),
                                                 _mm256_castps_pd(_mm256_set1_ps(b)), 1));
}

// 32 bytes from p0, then 32 from p1.
__m512i pairOfRows(const uint8_t* p0, const uint8_t* p1) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p0))),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p1)), 1);
}

// Block 0's qs[j] low nibble -> byte j, high nibble -> byte j + 16; block
// 1's the same in bytes 32..63.
__m512i unpackNibbles(const uint8_t* qs0, const uint8_t* qs1) {
    const __m512i packed = _mm512_mask_broadcast_i32x4(
        _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs0))), 0xff00,
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs1)));
    const __m512i shifts = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    return _mm512_and_si512(_mm512_srlv_epi64(packed, shifts), _mm512_set1_epi8(15));
}

// 16 in byte j where bit j of block 0's little-endian u32 at qh0 is set,
// and in byte 32 + j for block 1's.
__m512i fifthBits(const uint8_t* qh0, const uint8_t* qh1) {
    const uint64_t bits = uint64_t(loadU32(qh0)) | uint64_t(loadU32(qh1)) << 32;
    return _mm512_maskz_mov_epi8(__mmask64(bits), _mm512_set1_epi8(16));
}

// A pair of weight blocks: w[j] = d * q[j] - kOffset * d, or + m for the
// types with a minimum, lane by lane (eight int32 lanes per block).
struct DecodedPair {
    __m512i q;
    __m512 d;
    __m512 m;
};

struct Q4_0 {
    static constexpr size_t kBytes = 18;
    static constexpr int kOffset = 8;
    static DecodedPair decode(const uint8_t* p0, const uint8_t* p1) {
        return {unpackNibbles(p0 + 2, p1 + 2), pairOfHalves(p0, p1), _mm512_setzero_ps()};
    }
};

struct Q4_1 {
    static constexpr size_t kBytes = 20;
    static constexpr int kOffset = 0;
    static DecodedPair decode(const uint8_t* p0, const uint8_t* p1) {
        DecodedPair pair;
        pair.q = unpackNibbles(p0 + 4, p1 + 4);
        pairsOfHalves(p0, p1, pair.d, pair.m);
        return pair;
    }
};

struct Q5_0 {
    static constexpr size_t kBytes = 22;
    static constexpr int kOffset = 16;
    static DecodedPair decode(const uint8_t* p0, const uint8_t* p1) {
        return {_mm512_or_si512(unpackNibbles(p0 + 6, p1 + 6), fifthBits(p0 + 2, p1 + 2)), pairOfHalves(p0, p1),
                _mm512_setzero_ps()};
    }
};

struct Q5_1 {
    static constexpr size_t kBytes = 24;
    static constexpr int kOffset = 0;
    static DecodedPair decode(const uint8_t* p0, const uint8_t* p1) {
        DecodedPair pair;
        pair.q = _mm512_or_si512(unpackNibbles(p0 + 8, p1 + 8), fifthBits(p0 + 4, p1 + 4));
        pairsOfHalves(p0, p1, pair.d, pair.m);
        return pair;
    }
};

struct Q8_0 {
    static constexpr size_t kBytes = 34;
    static constexpr int kOffset = 128;
    static DecodedPair decode(const uint8_t* p0, const uint8_t* p1) {
        return {_mm512_xor_si512(pairOfRows(p0 + 2, p1 + 2), _mm512_set1_epi8(char(0x80))), pairOfHalves(p0, p1),
                _mm512_setzero_ps()};
    }
};

float horizontalSum(__m512 v) { return _mm512_reduce_add_ps(v); }

// One input row's pair of blocks, ready for every weight row of the tile.
// Inlined by force: returned from a call, its registers would go through memory.
struct InputPair {
    __m512i q;       // the 8-bit row
    __m512i r;       // the remainder row (refined only)
    __m512 d;        // the scale of the row whose sums reach the float step
    __m512i negOffset;  // -kOffset * the 8-bit row's byte sums, the int32 lanes' start
    __m512 sum;      // the inputs' float block sum / 8 per lane (types with a minimum)
};

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h).
// Pair false: only block b, the upper lanes zero (an odd block count's last).
template <class Format, bool Refined, bool Pair>
[[gnu::always_inline]] inline InputPair loadInput(const uint8_t* x, size_t xStride, int c, int64_t b) {
    const uint8_t* xb0 = x + (Refined ? 2 * c : c) * xStride + size_t(b) * sizeof(ActivationQ8_0);
    const uint8_t* xb1 = Pair ? xb0 + sizeof(ActivationQ8_0) : xb0;
    const uint8_t* fb0 = xb0 + xStride;
    const uint8_t* fb1 = xb1 + xStride;
    constexpr __mmask16 kLanes = Pair ? 0xffff : 0x00ff;
    constexpr __mmask64 kBytesMask = Pair ? ~__mmask64(0) : __mmask64(0xffffffff);
    InputPair in{};
    in.q = _mm512_maskz_mov_epi8(kBytesMask, pairOfRows(xb0 + offsetof(ActivationQ8_0, q), xb1 + offsetof(ActivationQ8_0, q)));
    if constexpr (Refined)
        in.r = _mm512_maskz_mov_epi8(kBytesMask, pairOfRows(fb0 + offsetof(ActivationQ8_0, q), fb1 + offsetof(ActivationQ8_0, q)));
    // The fine row's step is exactly the coarse one's / 256.
    in.d = _mm512_maskz_mov_ps(kLanes, Refined ? pairOfFloats(fb0, fb1) : pairOfFloats(xb0, xb1));
    if constexpr (Format::kOffset != 0) {
        const __m512i u = _mm512_set1_epi8(char(Format::kOffset));
        in.negOffset = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, in.q));
    } else {
        __m512 sum = pairOfFloats(xb0 + offsetof(ActivationQ8_0, sum), xb1 + offsetof(ActivationQ8_0, sum));
        if constexpr (Refined)
            sum = _mm512_add_ps(sum, pairOfFloats(fb0 + offsetof(ActivationQ8_0, sum), fb1 + offsetof(ActivationQ8_0, sum)));
        // Eight lanes carry each block's sum, so each carries an eighth.
        in.sum = _mm512_maskz_mul_ps(kLanes, sum, _mm512_set1_ps(0.125f));
    }
    return in;
}

template <class Format, int Rows, int Cols, bool Refined>
void tile(int64_t blocks, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y,
          size_t ldy) {
    // The offset types take refined inputs as 16-bit values (wideTile).
    static_assert(!Refined || Format::kOffset == 0);
    __m512 acc[Cols][Rows] = {};

    // -O2 does not unroll these short loops by itself; unrolled, the arrays
    // become registers.
    const auto step = [&]<bool Pair>(int64_t b) {
        DecodedPair weights[Rows];
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) {
            const uint8_t* p0 = w + r * wStride + size_t(b) * Format::kBytes;
            // The same place in the next tile's rows (the matrix's next
            // rows): a decode's tiles wait on memory, and four short
            // interleaved streams are more than the hardware prefetcher
            // follows in time. Past the matrix's end a prefetch is dropped.
            _mm_prefetch(reinterpret_cast<const char*>(p0 + Rows * wStride), _MM_HINT_T0);
            weights[r] = Format::decode(p0, Pair ? p0 + Format::kBytes : p0);
        }
        #pragma GCC unroll 4
        for (int c = 0; c < Cols; ++c) {
            const InputPair in = loadInput<Format, Refined, Pair>(x, xStride, c, b);
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) {
                __m512i sums = _mm512_dpbusd_epi32(Format::kOffset != 0 ? in.negOffset : _mm512_setzero_si512(),
                                                   weights[r].q, in.q);
                if constexpr (Refined) sums = _mm512_dpbusd_epi32(_mm512_slli_epi32(sums, 8), weights[r].q, in.r);
                acc[c][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(weights[r].d, in.d), acc[c][r]);
                if constexpr (Format::kOffset == 0) acc[c][r] = _mm512_fmadd_ps(weights[r].m, in.sum, acc[c][r]);
            }
        }
    };
    int64_t b = 0;
    for (; b + 2 <= blocks; b += 2) step.template operator()<true>(b);
    if (b < blocks) step.template operator()<false>(b);

    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) y[c * ldy + r] = horizontalSum(acc[c][r]);
}

// A pair of weight blocks as signed 16-bit lanes in ActivationQ16_0's order:
// `low` holds weights 0-15 of each block, `high` weights 16-31.
struct WidePair {
    __m512i low;
    __m512i high;
    __m512 d;
};

// 16 bytes from p0, then 16 from p1.
__m256i pairOfHalfRows(const uint8_t* p0, const uint8_t* p1) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p0))),
                                   _mm_loadu_si128(reinterpret_cast<const __m128i*>(p1)), 1);
}

// The nibbles of two blocks' qs as 16-bit lanes, less `offset`.
void wideNibbles(const uint8_t* qs0, const uint8_t* qs1, int16_t offset, __m512i& low, __m512i& high) {
    const __m512i words = _mm512_cvtepu8_epi16(pairOfHalfRows(qs0, qs1));
    const __m512i o = _mm512_set1_epi16(offset);
    low = _mm512_sub_epi16(_mm512_and_si512(words, _mm512_set1_epi16(15)), o);
    high = _mm512_sub_epi16(_mm512_srli_epi16(words, 4), o);
}

struct WideQ4_0 {
    static constexpr size_t kBytes = 18;
    static WidePair decode(const uint8_t* p0, const uint8_t* p1) {
        WidePair pair;
        wideNibbles(p0 + 2, p1 + 2, 8, pair.low, pair.high);
        pair.d = pairOfHalves(p0, p1);
        return pair;
    }
};

struct WideQ5_0 {
    static constexpr size_t kBytes = 22;
    static WidePair decode(const uint8_t* p0, const uint8_t* p1) {
        WidePair pair;
        // Nibbles less 16, then 16 back where the fifth bit is set.
        wideNibbles(p0 + 6, p1 + 6, 16, pair.low, pair.high);
        const uint32_t h0 = loadU32(p0 + 2), h1 = loadU32(p1 + 2);
        const __m512i sixteen = _mm512_set1_epi16(16);
        pair.low = _mm512_mask_add_epi16(pair.low, __mmask32((h0 & 0xffff) | h1 << 16), pair.low, sixteen);
        pair.high = _mm512_mask_add_epi16(pair.high, __mmask32(h0 >> 16 | (h1 & 0xffff0000u)), pair.high, sixteen);
        pair.d = pairOfHalves(p0, p1);
        return pair;
    }
};

struct WideQ8_0 {
    static constexpr size_t kBytes = 34;
    static WidePair decode(const uint8_t* p0, const uint8_t* p1) {
        return {_mm512_cvtepi8_epi16(pairOfHalfRows(p0 + 2, p1 + 2)),
                _mm512_cvtepi8_epi16(pairOfHalfRows(p0 + 18, p1 + 18)), pairOfHalves(p0, p1)};
    }
};

// Refined inputs as ActivationQ16_0 rows (kernel_table.h). An odd block
// count's last pair reads its block twice: the inputs' zero second block
// takes the copy out.
template <class Format, int Rows, int Cols>
void wideTile(int64_t blocks, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y,
              size_t ldy) {
    __m512 acc[Cols][Rows] = {};
    for (int64_t b = 0; b < blocks; b += 2) {
        const bool pair = b + 1 < blocks;
        WidePair weights[Rows];
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) {
            const uint8_t* p0 = w + r * wStride + size_t(b) * Format::kBytes;
            _mm_prefetch(reinterpret_cast<const char*>(p0 + Rows * wStride), _MM_HINT_T0);
            weights[r] = Format::decode(p0, pair ? p0 + Format::kBytes : p0);
        }
        #pragma GCC unroll 8
        for (int c = 0; c < Cols; ++c) {
            const auto* in = reinterpret_cast<const ActivationQ16_0*>(x + c * xStride) + b / 2;
            const __m512i low = _mm512_loadu_si512(in->q), high = _mm512_loadu_si512(in->q + 32);
            const __m512 d = _mm512_loadu_ps(in->d);
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) {
                // vpmaddwd first: a vpdpwssd from zero would need a copy of a zero register.
                const __m512i sums = _mm512_dpwssd_epi32(_mm512_madd_epi16(weights[r].low, low), weights[r].high, high);
                acc[c][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(weights[r].d, d), acc[c][r]);
            }
        }
    }
    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) y[c * ldy + r] = horizontalSum(acc[c][r]);
}

template <class Format>
struct WideTiles {
    template <int Rows, int Cols>
    static constexpr TileFn fn = wideTile<Format, Rows, Cols>;
};

// A prompt's tiles: two weight rows by eight inputs. A 4 x 4 tile needs more
// registers than there are (16 sums, three per decoded row, three per input)
// and spilled a quarter of its sums to the stack every pair of blocks; at
// 2 x 8 nothing spills, and each decoded row serves eight inputs, not four.
constexpr int kPromptRows = 4;
constexpr int kPromptCols = 8;

// Each block's step is its largest magnitude / 32767, so no value can
// pass the int16 range. Blocks go through in pairs, the layout's unit.
void quantizeQ16_0(const float* x, void* out, int64_t k) {
    auto* pairs = static_cast<ActivationQ16_0*>(out);
    const int64_t blocks = k / kBlock;
    for (int64_t b = 0; b < blocks; ++b) {
        ActivationQ16_0& to = pairs[b / 2];
        const int half = int(b % 2);
        const __m512 v0 = _mm512_loadu_ps(x + b * kBlock), v1 = _mm512_loadu_ps(x + b * kBlock + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const __m512 inverse = _mm512_set1_ps(amax > 0.0f ? 32767.0f / amax : 0.0f);
        // Nearest, ties to even; the saturating narrowing keeps a rounding
        // of 32767 * (1 + ulp) in range.
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(to.q + 16 * half),
                            _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(v0, inverse))));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(to.q + 32 + 16 * half),
                            _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(v1, inverse))));
        _mm256_storeu_ps(to.d + 8 * half, _mm256_set1_ps(amax / 32767.0f));
    }
    if (blocks % 2 != 0) {
        ActivationQ16_0& last = pairs[blocks / 2];
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(last.q + 16), _mm256_setzero_si256());
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(last.q + 48), _mm256_setzero_si256());
        _mm256_storeu_ps(last.d + 8, _mm256_setzero_ps());
    }
}

template <class Format, bool Refined>
struct Tiles {
    template <int Rows, int Cols>
    static constexpr TileFn fn = tile<Format, Rows, Cols, Refined>;
};

template <class Format>
void set(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_0, dotTileOf<Tiles<Format, false>, kBlock>,
                                             dotTileOf<Tiles<Format, true>, kBlock>};
}

// The types without a minimum: their refined inputs as 16-bit values.
template <class Format, class Wide>
void setWide(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_0,
                                             dotTileOf<Tiles<Format, false>, kBlock>,
                                             dotTileOf<WideTiles<Wide>, kBlock>,
                                             RefinedInput::Q16_0,
                                             dotTileUpTo<WideTiles<Wide>, kBlock, kPromptRows, kPromptCols>,
                                             RefinedInput::Q16_0,
                                             kPromptRows,
                                             kPromptCols};
}

}  // namespace

void addLegacyAvx512(KernelTable& table) {
    table.quantize[static_cast<int>(ActivationFormat::Q16_0)] = quantizeQ16_0;
    setWide<Q4_0, WideQ4_0>(table, GgmlType::Q4_0);
    set<Q4_1>(table, GgmlType::Q4_1);
    setWide<Q5_0, WideQ5_0>(table, GgmlType::Q5_0);
    set<Q5_1>(table, GgmlType::Q5_1);
    setWide<Q8_0, WideQ8_0>(table, GgmlType::Q8_0);
}

}  // namespace nibble::cpu
