// Q2_K to Q6_K against Q8_K activations, with AVX2.
//
// As in the portable set, each weight is d * sc * q - dmin * mn with an
// unsigned q (Q3_K shifted by 4, Q6_K by 32, their mn = 4 sc and 32 sc).
// A super-block is unpacked with byte shuffles into 256 unsigned bytes and
// its 16 scales into the 16-bit lanes vpmaddwd wants, once per weight row,
// and then reused by every input row of the tile: vpmaddubsw multiplies the
// bytes with the activations (q <= 63 and |x| <= 127, so its 16-bit pair
// sums cannot saturate), vpmaddwd applies the scales, and the minimums go
// through the activations' bsums.
#include "cpu/kernel_table.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c")

#include "cpu/kernels/avx2_lanes.h"
#include "cpu/kernels/kquant_x86_scales.h"

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

struct SuperBlock {
    alignas(32) uint8_t q[256];
    // scales[i]: the scale of every 16-bit product lane of bytes 32 i .. 32 i + 31.
    __m256i scales[8];
    __m256i mins;  // mn of sub-block s in lane s
    float d;
    float dmin;
};

__m256i load32(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

void store32(uint8_t* p, __m256i v) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(p), v);
}

// Sets the per-chunk scale vectors from the 16 signed byte scales of the
// sub-blocks of 16 weights (Q4_K/Q5_K repeat each of theirs twice): lanes
// 2i, 2i+1 of the widened scales are one dword, broadcast and then spread.
void setScales(__m128i scales8, SuperBlock& out) {
    const __m256i scales16 = _mm256_cvtepi8_epi16(scales8);
    const __m256i spread =
        _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
    for (int i = 0; i < 8; ++i)
        out.scales[i] = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(scales16, _mm256_set1_epi32(i)), spread);
}

// Whether bit `bit` of each byte of v is set, as `value` or 0.
__m256i bitAs(__m256i v, int bit, uint8_t value) {
    const __m256i mask = _mm256_set1_epi8(char(1 << bit));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, mask), mask), _mm256_set1_epi8(char(value)));
}

void decodeQ2K(const uint8_t* b, SuperBlock& out) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + offsetof(BlockQ2_K, scales)));
    const __m128i low4 = _mm_set1_epi8(0x0f);
    setScales(_mm_and_si128(packed, low4), out);
    out.mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), low4));
    const __m256i three = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; ++h) {
        const __m256i v = load32(b + offsetof(BlockQ2_K, qs) + 32 * h);
        for (int k = 0; k < 4; ++k)
            store32(out.q + 128 * h + 32 * k, _mm256_and_si256(_mm256_srli_epi16(v, 2 * k), three));
    }
    out.d = loadHalf(b + offsetof(BlockQ2_K, d));
    out.dmin = loadHalf(b + offsetof(BlockQ2_K, dmin));
}

void decodeQ3K(const uint8_t* b, SuperBlock& out) {
    const __m128i scales8 = q3Scales(b);
    setScales(scales8, out);
    out.mins = _mm256_slli_epi16(_mm256_cvtepi8_epi16(scales8), 2);
    const __m256i three = _mm256_set1_epi8(3);
    const __m256i hmask = load32(b + offsetof(BlockQ3_K, hmask));
    for (int h = 0; h < 2; ++h) {
        const __m256i v = load32(b + offsetof(BlockQ3_K, qs) + 32 * h);
        for (int k = 0; k < 4; ++k) {
            const __m256i low = _mm256_and_si256(_mm256_srli_epi16(v, 2 * k), three);
            store32(out.q + 128 * h + 32 * k, _mm256_or_si256(low, bitAs(hmask, 4 * h + k, 4)));
        }
    }
    out.d = loadHalf(b + offsetof(BlockQ3_K, d));
    out.dmin = out.d;
}

void q4q5Scales(const uint8_t* b, SuperBlock& out) {
    const __m128i unpacked = q4q5ScalesAndMins(b);
    setScales(doubled(unpacked), out);
    out.mins = _mm256_cvtepu8_epi16(doubled(_mm_srli_si128(unpacked, 8)));
    out.d = loadHalf(b + offsetof(BlockQ4_K, d));
    out.dmin = loadHalf(b + offsetof(BlockQ4_K, dmin));
}

void decodeQ4K(const uint8_t* b, SuperBlock& out) {
    q4q5Scales(b, out);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int c = 0; c < 4; ++c) {
        const __m256i v = load32(b + offsetof(BlockQ4_K, qs) + 32 * c);
        store32(out.q + 64 * c, _mm256_and_si256(v, low4));
        store32(out.q + 64 * c + 32, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
    }
}

void decodeQ5K(const uint8_t* b, SuperBlock& out) {
    q4q5Scales(b, out);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i qh = load32(b + offsetof(BlockQ5_K, qh));
    for (int c = 0; c < 4; ++c) {
        const __m256i v = load32(b + offsetof(BlockQ5_K, qs) + 32 * c);
        store32(out.q + 64 * c, _mm256_or_si256(_mm256_and_si256(v, low4), bitAs(qh, 2 * c, 16)));
        store32(out.q + 64 * c + 32,
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4), bitAs(qh, 2 * c + 1, 16)));
    }
}

void decodeQ6K(const uint8_t* b, SuperBlock& out) {
    const __m128i scales8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + offsetof(BlockQ6_K, scales)));
    setScales(scales8, out);
    out.mins = _mm256_slli_epi16(_mm256_cvtepi8_epi16(scales8), 5);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i top2 = _mm256_set1_epi8(0x30);
    for (int h = 0; h < 2; ++h) {
        const __m256i lo = load32(b + offsetof(BlockQ6_K, ql) + 64 * h);
        const __m256i hi = load32(b + offsetof(BlockQ6_K, ql) + 64 * h + 32);
        const __m256i top = load32(b + offsetof(BlockQ6_K, qh) + 32 * h);
        uint8_t* q = out.q + 128 * h;
        store32(q, _mm256_or_si256(_mm256_and_si256(lo, low4), _mm256_and_si256(_mm256_slli_epi16(top, 4), top2)));
        store32(q + 32,
                _mm256_or_si256(_mm256_and_si256(hi, low4), _mm256_and_si256(_mm256_slli_epi16(top, 2), top2)));
        store32(q + 64, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 4), low4), _mm256_and_si256(top, top2)));
        store32(q + 96, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(hi, 4), low4),
                                        _mm256_and_si256(_mm256_srli_epi16(top, 2), top2)));
    }
    out.d = loadHalf(b + offsetof(BlockQ6_K, d));
    out.dmin = out.d;
}

// The super-block's scaled integer products with one row's 256 values, and
// its minimums' with that row's bsums, lane by lane.
struct Sums {
    __m256i products;
    __m256i mins;
};

Sums integerSums(const SuperBlock& w, const uint8_t* x) {
    const uint8_t* xq = x + offsetof(ActivationQ8_K, q);
    __m256i sumi = _mm256_setzero_si256();
    for (int i = 0; i < 8; ++i) {
        const __m256i products = _mm256_maddubs_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(w.q + 32 * i)),
                                                      load32(xq + 32 * i));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(products, w.scales[i]));
    }
    return {sumi, _mm256_madd_epi16(load32(x + offsetof(ActivationQ8_K, bsums)), w.mins)};
}

// Adds the super-block's contribution to one dot product to acc's lanes.
// Refined (kernel_table.h): x is a pair of rows, fine the second, whose
// step is the first's / 256. Their sums meet in float: Q6_K's, times 256,
// can pass int32.
template <bool Refined>
__m256 superBlockDot(const SuperBlock& w, const uint8_t* x, const uint8_t* fine, __m256 acc) {
    float dx;
    std::memcpy(&dx, (Refined ? fine : x) + offsetof(ActivationQ8_K, d), sizeof dx);
    const Sums coarse = integerSums(w, x);
    __m256 products = _mm256_cvtepi32_ps(coarse.products), mins = _mm256_cvtepi32_ps(coarse.mins);
    if constexpr (Refined) {
        const Sums rest = integerSums(w, fine);
        const __m256 steps = _mm256_set1_ps(256.0f);
        products = _mm256_fmadd_ps(products, steps, _mm256_cvtepi32_ps(rest.products));
        mins = _mm256_fmadd_ps(mins, steps, _mm256_cvtepi32_ps(rest.mins));
    }
    acc = _mm256_fmadd_ps(products, _mm256_set1_ps(w.d * dx), acc);
    return _mm256_fnmadd_ps(mins, _mm256_set1_ps(w.dmin * dx), acc);
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h).
template <size_t BlockBytes, void (*Decode)(const uint8_t*, SuperBlock&), bool Refined>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    const int64_t blocks = k / 256;
    __m256 acc[kMaxTileCols][kMaxTileRows];
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) acc[c][r] = _mm256_setzero_ps();
    SuperBlock sb;
    for (int64_t i = 0; i < blocks; ++i)
        for (int r = 0; r < rows; ++r) {
            const uint8_t* block = w + size_t(r) * wStride + size_t(i) * BlockBytes;
            // The same place in the next tile's rows, as in the legacy
            // kernels: a decode's tiles wait on memory otherwise.
            for (size_t line = 0; line < BlockBytes; line += 64)
                _mm_prefetch(reinterpret_cast<const char*>(block + kMaxTileRows * wStride + line), _MM_HINT_T0);
            Decode(block, sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                acc[c][r] = superBlockDot<Refined>(sb, xb, xb + xStride, acc[c][r]);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = horizontalSum(acc[c][r]);
}

int32_t horizontalSum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Two registers of int32 values in -128..127 as 16 bytes in input order.
void store16Bytes(__m256i a, __m256i b, int8_t* out) {
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), _MM_SHUFFLE(3, 1, 2, 0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                     _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1)));
}

// A refined Q8_K pair in one pass (QuantizeRefinedFn): the portable
// quantizer's 8-bit row and the generic remainder (cpu::quantizeRemainder)
// with the same arithmetic, so the bytes are the same.
void quantizeRefinedQ8K(const float* x, void* coarseOut, void* fineOut, int64_t k) {
    const __m256 signBit = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f);
    const __m256 low = _mm256_set1_ps(-127.0f), high = _mm256_set1_ps(127.0f);
    for (int64_t i = 0; i < k / 256; ++i) {
        const float* v = x + i * 256;
        __m256 maxAbs = _mm256_setzero_ps();
        for (int j = 0; j < 32; ++j) maxAbs = _mm256_max_ps(maxAbs, _mm256_andnot_ps(signBit, _mm256_loadu_ps(v + 8 * j)));
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(maxAbs), _mm256_extractf128_ps(maxAbs, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float amax = _mm_cvtss_f32(m);

        ActivationQ8_K coarse, fine;
        coarse.d = amax / 127.0f;
        fine.d = coarse.d / 256.0f;
        const __m256 inverse = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
        const __m256 scale = _mm256_set1_ps(coarse.d);
        const __m256 fineInverse = _mm256_set1_ps(coarse.d != 0.0f ? 256.0f / coarse.d : 0.0f);
        for (int g = 0; g < 16; ++g) {
            __m256i q[2], r[2];
            for (int h = 0; h < 2; ++h) {
                const __m256 value = _mm256_loadu_ps(v + 16 * g + 8 * h);
                const __m256 clamped = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(value, inverse), low), high);
                const __m256 rounded = _mm256_round_ps(clamped, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                q[h] = _mm256_cvtps_epi32(rounded);
                // A multiply, then a subtract, as the generic code: the empty
                // asm keeps the compiler from fusing them into one rounding.
                __m256 product = _mm256_mul_ps(scale, rounded);
                asm("" : "+x"(product));
                const __m256 t =
                    _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_sub_ps(value, product), fineInverse), low), high);
                // Half away from zero, then truncation.
                r[h] = _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_or_ps(half, _mm256_and_ps(t, signBit))));
            }
            coarse.bsums[g] = int16_t(horizontalSum(_mm256_add_epi32(q[0], q[1])));
            fine.bsums[g] = int16_t(horizontalSum(_mm256_add_epi32(r[0], r[1])));
            store16Bytes(q[0], q[1], coarse.q + 16 * g);
            store16Bytes(r[0], r[1], fine.q + 16 * g);
        }
        std::memcpy(static_cast<uint8_t*>(coarseOut) + size_t(i) * sizeof coarse, &coarse, sizeof coarse);
        std::memcpy(static_cast<uint8_t*>(fineOut) + size_t(i) * sizeof fine, &fine, sizeof fine);
    }
}

}  // namespace

void addKQuantAvx2(KernelTable& table) {
    table.quantizeRefined[static_cast<int>(ActivationFormat::Q8_K)] = quantizeRefinedQ8K;
    const auto set = [&](GgmlType type, DotTileFn dot, DotTileFn refinedDot) {
        table.weights[static_cast<int>(type)] = WeightKernel{ActivationFormat::Q8_K, dot, refinedDot};
    };
    set(GgmlType::Q2_K, dotTile<sizeof(BlockQ2_K), decodeQ2K, false>, dotTile<sizeof(BlockQ2_K), decodeQ2K, true>);
    set(GgmlType::Q3_K, dotTile<sizeof(BlockQ3_K), decodeQ3K, false>, dotTile<sizeof(BlockQ3_K), decodeQ3K, true>);
    set(GgmlType::Q4_K, dotTile<sizeof(BlockQ4_K), decodeQ4K, false>, dotTile<sizeof(BlockQ4_K), decodeQ4K, true>);
    set(GgmlType::Q5_K, dotTile<sizeof(BlockQ5_K), decodeQ5K, false>, dotTile<sizeof(BlockQ5_K), decodeQ5K, true>);
    set(GgmlType::Q6_K, dotTile<sizeof(BlockQ6_K), decodeQ6K, false>, dotTile<sizeof(BlockQ6_K), decodeQ6K, true>);
}

}  // namespace nibble::cpu
