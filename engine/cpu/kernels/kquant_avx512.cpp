// Q2_K to Q6_K against Q8_K activations, with AVX-512 VNNI.
//
// As in the AVX2 set, each weight is d * sc * q - dmin * mn with an unsigned
// q (Q3_K shifted by 4, Q6_K by 32, their mn = 4 sc and 32 sc), and a
// super-block is unpacked once per weight row and reused by every input row
// of the tile. Here it stays in registers: its 256 bytes are four 64-byte
// registers, each formed with shifts and masks from at most two loads (the
// nibbles of a 32-byte row into both halves of one register, for instance)
// rather than stored and reloaded, and its 16 scales are spread over the
// 16-bit lanes with one vpermw per register, where AVX2 needs two shuffles
// per 32 bytes. vpmaddubsw forms the byte pair sums (q <= 63 and
// |x| <= 127: no saturation) and vpdpwssd scales and accumulates them in one
// instruction, so 64 weights cost two instructions per input row.
//
// A refined input's two rows meet in the int32 lanes, the 8-bit row's sums
// shifted up by 8 bits before the remainder row's are added (kernel_table.h),
// where that cannot overflow: each lane holds 16 products, at most
// 16 * 31 * 63 * 127 * 257 < 2^31 for Q5_K. Q6_K's (64 * 128 scales) can,
// so its two rows meet in float as in the AVX2 set.
#include "cpu/kernel_table.h"
#include "cpu/kernels/tile_shapes.h"
#include "tensor/block_formats.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")

#include "cpu/kernels/kquant_x86_scales.h"

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

constexpr int kSuperBlock = 256;

// A weight row's super-block, unpacked.
struct SuperBlock {
    __m512i q[4];       // weights 64 i .. 64 i + 63 as unsigned bytes
    __m512i scales[4];  // the scale of each 16-bit pair-sum lane of q[i]
    __m256i mins;       // mn of weights 16 j .. 16 j + 15 in lane j, as the bsums
    __m512 d;
    __m512 dmin;
};

// The 32 bytes at p in both halves of a register.
__m512i twice(const uint8_t* p) {
    return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Shift counts for the 64-bit words of the lower and the upper half.
__m512i halves(int lower, int upper) {
    return _mm512_set_epi64(upper, upper, upper, upper, lower, lower, lower, lower);
}

// Bytes that are 0 when the bit chosen per half (lower, upper) of the same
// byte of v is clear, `value` when it is set.
__m512i bitAs(__m512i v, int lower, int upper, uint8_t value) {
    const __m512i bits = _mm512_inserti64x4(_mm512_set1_epi8(char(1 << lower)), _mm256_set1_epi8(char(1 << upper)), 1);
    return _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(v, bits), _mm512_set1_epi8(char(value)));
}

// From the 16 scales of 16 weights each (16-bit lanes of `groups`): lane l
// of scales[i] covers weights 64 i + 2 l and the next, so takes group
// 4 i + l / 8.
void spreadScales(__m256i groups, SuperBlock& out) {
    const __m512i all = _mm512_castsi256_si512(groups);
    for (int i = 0; i < 4; ++i) {
        const auto word = [](int64_t g) { return g * 0x0001000100010001; };
        const int g = 4 * i;
        const __m512i index = _mm512_set_epi64(word(g + 3), word(g + 3), word(g + 2), word(g + 2), word(g + 1),
                                               word(g + 1), word(g), word(g));
        out.scales[i] = _mm512_permutexvar_epi16(index, all);
    }
}

// Q2_K's and Q3_K's 2-bit fields: 32 bytes hold weights j (bits 0-1),
// 32 + j, 64 + j and 96 + j, so each register takes one load, twice.
void lowPairs(const uint8_t* qs, SuperBlock& out) {
    const __m512i three = _mm512_set1_epi8(3);
    for (int h = 0; h < 2; ++h) {
        const __m512i v = twice(qs + 32 * h);
        out.q[2 * h] = _mm512_and_si512(_mm512_srlv_epi64(v, halves(0, 2)), three);
        out.q[2 * h + 1] = _mm512_and_si512(_mm512_srlv_epi64(v, halves(4, 6)), three);
    }
}

// Q4_K's and Q5_K's nibbles: 32 bytes hold weights j (low) and 32 + j (high).
void nibbles(const uint8_t* qs, SuperBlock& out) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    for (int i = 0; i < 4; ++i) out.q[i] = _mm512_and_si512(_mm512_srlv_epi64(twice(qs + 32 * i), halves(0, 4)), low4);
}

void q4q5Scales(const uint8_t* b, SuperBlock& out) {
    const __m128i unpacked = q4q5ScalesAndMins(b);
    spreadScales(_mm256_cvtepu8_epi16(doubled(unpacked)), out);
    out.mins = _mm256_cvtepu8_epi16(doubled(_mm_srli_si128(unpacked, 8)));
    out.d = _mm512_set1_ps(loadHalf(b + offsetof(BlockQ4_K, d)));
    out.dmin = _mm512_set1_ps(loadHalf(b + offsetof(BlockQ4_K, dmin)));
}

// kShiftSafe: a refined input's two rows can meet in the int32 lanes.
struct Q2K {
    static constexpr size_t kBytes = sizeof(BlockQ2_K);
    static constexpr bool kShiftSafe = true;
    static void decode(const uint8_t* b, SuperBlock& out) {
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + offsetof(BlockQ2_K, scales)));
        const __m128i low4 = _mm_set1_epi8(0x0f);
        spreadScales(_mm256_cvtepu8_epi16(_mm_and_si128(packed, low4)), out);
        out.mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), low4));
        lowPairs(b + offsetof(BlockQ2_K, qs), out);
        out.d = _mm512_set1_ps(loadHalf(b + offsetof(BlockQ2_K, d)));
        out.dmin = _mm512_set1_ps(loadHalf(b + offsetof(BlockQ2_K, dmin)));
    }
};

struct Q3K {
    static constexpr size_t kBytes = sizeof(BlockQ3_K);
    static constexpr bool kShiftSafe = true;
    static void decode(const uint8_t* b, SuperBlock& out) {
        const __m256i scales = _mm256_cvtepi8_epi16(q3Scales(b));
        spreadScales(scales, out);
        out.mins = _mm256_slli_epi16(scales, 2);
        lowPairs(b + offsetof(BlockQ3_K, qs), out);
        // Bit k of hmask[j] is the third bit of weight 32 k + j.
        const __m512i high = twice(b + offsetof(BlockQ3_K, hmask));
        for (int i = 0; i < 4; ++i) out.q[i] = _mm512_or_si512(out.q[i], bitAs(high, 2 * i, 2 * i + 1, 4));
        out.d = _mm512_set1_ps(loadHalf(b + offsetof(BlockQ3_K, d)));
        out.dmin = out.d;
    }
};

struct Q4K {
    static constexpr size_t kBytes = sizeof(BlockQ4_K);
    static constexpr bool kShiftSafe = true;
    static void decode(const uint8_t* b, SuperBlock& out) {
        q4q5Scales(b, out);
        nibbles(b + offsetof(BlockQ4_K, qs), out);
    }
};

struct Q5K {
    static constexpr size_t kBytes = sizeof(BlockQ5_K);
    static constexpr bool kShiftSafe = true;
    static void decode(const uint8_t* b, SuperBlock& out) {
        q4q5Scales(b, out);
        nibbles(b + offsetof(BlockQ5_K, qs), out);
        // Bit k of qh[j] is the fifth bit of weight 32 k + j.
        const __m512i high = twice(b + offsetof(BlockQ5_K, qh));
        for (int i = 0; i < 4; ++i) out.q[i] = _mm512_or_si512(out.q[i], bitAs(high, 2 * i, 2 * i + 1, 16));
    }
};

struct Q6K {
    static constexpr size_t kBytes = sizeof(BlockQ6_K);
    static constexpr bool kShiftSafe = false;
    static void decode(const uint8_t* b, SuperBlock& out) {
        const __m256i scales =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + offsetof(BlockQ6_K, scales))));
        spreadScales(scales, out);
        out.mins = _mm256_slli_epi16(scales, 5);
        const __m512i low4 = _mm512_set1_epi8(0x0f);
        const __m512i top2 = _mm512_set1_epi8(0x30);
        // Per 128 weights: 64 bytes of ql hold weights j and 32 + j (low
        // nibbles), 64 + j and 96 + j (high); 32 of qh the top bit pairs of
        // weights j, 32 + j, 64 + j, 96 + j.
        for (int h = 0; h < 2; ++h) {
            const __m512i low = _mm512_loadu_si512(b + offsetof(BlockQ6_K, ql) + 64 * h);
            const __m512i top = twice(b + offsetof(BlockQ6_K, qh) + 32 * h);
            out.q[2 * h] = _mm512_or_si512(_mm512_and_si512(low, low4),
                                           _mm512_and_si512(_mm512_sllv_epi64(top, halves(4, 2)), top2));
            out.q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi64(low, 4), low4),
                                               _mm512_and_si512(_mm512_srlv_epi64(top, halves(0, 2)), top2));
        }
        out.d = _mm512_set1_ps(loadHalf(b + offsetof(BlockQ6_K, d)));
        out.dmin = out.d;
    }
};

// sums + the scaled integer products of w with the 256 values of x's block,
// lane by lane.
[[gnu::always_inline]] inline __m512i addProducts(const SuperBlock& w, const uint8_t* x, __m512i sums) {
    const uint8_t* xq = x + offsetof(ActivationQ8_K, q);
    for (int i = 0; i < 4; ++i)
        sums = _mm512_dpwssd_epi32(sums, _mm512_maddubs_epi16(w.q[i], _mm512_loadu_si512(xq + 64 * i)), w.scales[i]);
    return sums;
}

// w's minimums times x's bsums, lane by lane.
[[gnu::always_inline]] inline __m256i minSums(const SuperBlock& w, const uint8_t* x) {
    return _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + offsetof(ActivationQ8_K, bsums))),
                             w.mins);
}

// Adds the super-block's contribution to one dot product to acc's lanes.
// Refined: x is a pair of rows, fine the second (kernel_table.h).
template <bool ShiftSafe, bool Refined>
[[gnu::always_inline]] inline __m512 superBlockDot(const SuperBlock& w, const uint8_t* x, const uint8_t* fine,
                                                   __m512 acc) {
    __m512 products;
    __m256 mins;
    if constexpr (Refined && ShiftSafe) {
        products = _mm512_cvtepi32_ps(addProducts(w, fine, _mm512_slli_epi32(addProducts(w, x, _mm512_setzero_si512()), 8)));
        mins = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_slli_epi32(minSums(w, x), 8), minSums(w, fine)));
    } else {
        products = _mm512_cvtepi32_ps(addProducts(w, x, _mm512_setzero_si512()));
        mins = _mm256_cvtepi32_ps(minSums(w, x));
        if constexpr (Refined) {
            products = _mm512_fmadd_ps(products, _mm512_set1_ps(256.0f),
                                       _mm512_cvtepi32_ps(addProducts(w, fine, _mm512_setzero_si512())));
            mins = _mm256_fmadd_ps(mins, _mm256_set1_ps(256.0f), _mm256_cvtepi32_ps(minSums(w, fine)));
        }
    }
    float dx;
    std::memcpy(&dx, (Refined ? fine : x) + offsetof(ActivationQ8_K, d), sizeof dx);
    const __m512 weighted = _mm512_fnmadd_ps(_mm512_zextps256_ps512(mins), w.dmin, _mm512_mul_ps(products, w.d));
    return _mm512_fmadd_ps(weighted, _mm512_set1_ps(dx), acc);
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h).
template <class Format, int Rows, int Cols, bool Refined>
void tile(int64_t blocks, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y,
          size_t ldy) {
    __m512 acc[Cols][Rows];
    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) acc[c][r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < blocks; ++i) {
        // -O2 does not unroll these short loops by itself; unrolled, the
        // accumulators become registers.
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) {
            const uint8_t* block = w + size_t(r) * wStride + size_t(i) * Format::kBytes;
            // The same place in the next tile's rows, as in the legacy
            // kernels: a decode's tiles wait on memory otherwise.
            for (size_t line = 0; line < Format::kBytes; line += 64)
                _mm_prefetch(reinterpret_cast<const char*>(block + Rows * wStride + line), _MM_HINT_T0);
            SuperBlock sb;
            Format::decode(block, sb);
            #pragma GCC unroll 4
            for (int c = 0; c < Cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                acc[c][r] = superBlockDot<Format::kShiftSafe, Refined>(sb, xb, xb + xStride, acc[c][r]);
            }
        }
    }
    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) y[size_t(c) * ldy + size_t(r)] = _mm512_reduce_add_ps(acc[c][r]);
}

template <class Format, bool Refined>
struct Tiles {
    template <int Rows, int Cols>
    static constexpr TileFn fn = tile<Format, Rows, Cols, Refined>;
};

template <class Format>
void set(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_K, dotTileOf<Tiles<Format, false>, kSuperBlock>,
                                             dotTileOf<Tiles<Format, true>, kSuperBlock>};
}

}  // namespace

// The Q8_K quantizers stay the AVX2 set's.
void addKQuantAvx512(KernelTable& table) {
    set<Q2K>(table, GgmlType::Q2_K);
    set<Q3K>(table, GgmlType::Q3_K);
    set<Q4K>(table, GgmlType::Q4_K);
    set<Q5K>(table, GgmlType::Q5_K);
    set<Q6K>(table, GgmlType::Q6_K);
}

}  // namespace nibble::cpu
