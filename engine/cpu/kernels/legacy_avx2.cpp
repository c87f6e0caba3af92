// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 activations, with AVX2.
//
// A weight block becomes 32 bytes in one register: unsigned 4- or 5-bit
// values (their -8 / -16 or minimum goes into an offset that meets the
// inputs through their block sum, as in the portable kernels), or Q8_0's
// signed bytes. vpmaddubsw multiplies unsigned by signed bytes, so Q8_0
// moves the weights' signs onto the inputs first. Each decoded block is
// reused for every input row of the tile; tiles are compiled for each shape
// so the accumulators stay in registers, and tiles of one or two products
// run two blocks at a time to hide the latency of the float adds. A refined
// input's two rows meet in int32 lanes, the 8-bit row's sums times 256 plus
// the remainder row's (kernel_table.h), before the one float multiply.
#include "cpu/kernel_table.h"
#include "cpu/kernels/tile_shapes.h"
#include "tensor/ggml_type.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c")

#include "cpu/kernels/avx2_lanes.h"

namespace nibble::cpu {
namespace {

constexpr int kBlock = 32;

float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

float loadFloat(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}

__m256i loadBytes(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// qs[j] low nibble -> byte j, high nibble -> byte j + 16.
__m256i unpackNibbles(const uint8_t* qs) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(15));
}

// 16 in byte j where bit j of the little-endian u32 at qh is set.
__m256i fifthBits(const uint8_t* qh) {
    uint32_t h;
    std::memcpy(&h, qh, 4);
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(int32_t(h)),
        _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
    const __m256i allOtherBits = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_or_si256(spread, allOtherBits), _mm256_set1_epi64x(-1));
    return _mm256_and_si256(set, _mm256_set1_epi8(16));
}

// One weight block: w[j] = d * q[j] + offset.
struct DecodedBlock {
    __m256i q;
    float d;
    float offset;
};

struct Q4_0 {
    static constexpr size_t kBytes = 18;
    static constexpr bool kSigned = false;
    static DecodedBlock decode(const uint8_t* p) {
        const float d = loadHalf(p);
        return {unpackNibbles(p + 2), d, -8.0f * d};
    }
};

struct Q4_1 {
    static constexpr size_t kBytes = 20;
    static constexpr bool kSigned = false;
    static DecodedBlock decode(const uint8_t* p) { return {unpackNibbles(p + 4), loadHalf(p), loadHalf(p + 2)}; }
};

struct Q5_0 {
    static constexpr size_t kBytes = 22;
    static constexpr bool kSigned = false;
    static DecodedBlock decode(const uint8_t* p) {
        const float d = loadHalf(p);
        return {_mm256_or_si256(unpackNibbles(p + 6), fifthBits(p + 2)), d, -16.0f * d};
    }
};

struct Q5_1 {
    static constexpr size_t kBytes = 24;
    static constexpr bool kSigned = false;
    static DecodedBlock decode(const uint8_t* p) {
        return {_mm256_or_si256(unpackNibbles(p + 8), fifthBits(p + 4)), loadHalf(p), loadHalf(p + 2)};
    }
};

struct Q8_0 {
    static constexpr size_t kBytes = 34;
    static constexpr bool kSigned = true;
    static DecodedBlock decode(const uint8_t* p) { return {loadBytes(p + 2), loadHalf(p), 0.0f}; }
};

// Eight int32 partial sums of w[j] * x[j]. Pairs of products fit int16:
// unsigned weights are below 32, and the quantizer keeps inputs in -127..127.
template <bool Signed>
__m256i dot32(__m256i w, __m256i x) {
    __m256i pairs;
    if constexpr (Signed)
        pairs = pairSums(w, x);
    else
        pairs = _mm256_maddubs_epi16(w, x);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h).
template <class Format, int Rows, int Cols, bool Refined>
void tile(int64_t blocks, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y,
          size_t ldy) {
    constexpr int kSets = Rows * Cols <= 2 ? 2 : 1;
    __m256 acc[kSets][Cols][Rows] = {};
    float offsets[Cols][Rows] = {};

    // -O2 does not unroll these short loops by itself; unrolled, the arrays
    // become registers.
    const auto step = [&](int64_t b, int s) {
        DecodedBlock weights[Rows];
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) {
            const uint8_t* block = w + r * wStride + size_t(b) * Format::kBytes;
            // The same place in the next tile's rows: a decode's tiles wait
            // on memory otherwise (legacy_avx512.cpp).
            _mm_prefetch(reinterpret_cast<const char*>(block + Rows * wStride), _MM_HINT_T0);
            weights[r] = Format::decode(block);
        }
        #pragma GCC unroll 4
        for (int c = 0; c < Cols; ++c) {
            const uint8_t* xb = x + (Refined ? 2 * c : c) * xStride + size_t(b) * sizeof(ActivationQ8_0);
            const uint8_t* fine = xb + xStride;
            // The fine row's step is exactly the coarse one's / 256.
            const float dx = loadFloat((Refined ? fine : xb) + offsetof(ActivationQ8_0, d));
            const __m256i qx = loadBytes(xb + offsetof(ActivationQ8_0, q));
            __m256i rx = _mm256_setzero_si256();
            if constexpr (Refined) rx = loadBytes(fine + offsetof(ActivationQ8_0, q));
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) {
                __m256i sums = dot32<Format::kSigned>(weights[r].q, qx);
                if constexpr (Refined) sums = _mm256_add_epi32(_mm256_slli_epi32(sums, 8), dot32<Format::kSigned>(weights[r].q, rx));
                const __m256 products = _mm256_cvtepi32_ps(sums);
                acc[s][c][r] = _mm256_fmadd_ps(products, _mm256_set1_ps(weights[r].d * dx), acc[s][c][r]);
            }
            if constexpr (!Format::kSigned) {
                float sx = loadFloat(xb + offsetof(ActivationQ8_0, sum));
                if constexpr (Refined) sx += loadFloat(fine + offsetof(ActivationQ8_0, sum));
                #pragma GCC unroll 4
                for (int r = 0; r < Rows; ++r) offsets[c][r] += weights[r].offset * sx;
            }
        }
    };
    int64_t b = 0;
    for (; b + kSets <= blocks; b += kSets) {
        #pragma GCC unroll 4
        for (int s = 0; s < kSets; ++s) step(b + s, s);
    }
    for (; b < blocks; ++b) step(b, 0);

    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) {
            __m256 total = acc[0][c][r];
            for (int s = 1; s < kSets; ++s) total = _mm256_add_ps(total, acc[s][c][r]);
            y[c * ldy + r] = horizontalSum(total) + offsets[c][r];
        }
}

template <class Format, bool Refined>
struct Tiles {
    template <int Rows, int Cols>
    static constexpr TileFn fn = tile<Format, Rows, Cols, Refined>;
};

// Eight int32 lanes summed.
int32_t horizontalSum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Four registers of int32 values in -128..127 as 32 bytes in input order:
// the packs work within 128-bit lanes, the permute puts the 4-byte groups
// back.
void storeBytes(const __m256i q[4], int8_t* out) {
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    const __m256i ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), ordered);
}

// Refined: also the remainder row into `fine`, with the same arithmetic as
// the generic remainder (cpu::quantizeRemainder) so both give the same bytes.
template <bool Refined>
void quantizeBlocks(const float* x, uint8_t* dst, uint8_t* fine, int64_t k) {
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < k / kBlock; ++b, x += kBlock) {
        __m256 v[4];
        for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
        __m256 maxAbs = _mm256_andnot_ps(signBit, v[0]);
        for (int i = 1; i < 4; ++i) maxAbs = _mm256_max_ps(maxAbs, _mm256_andnot_ps(signBit, v[i]));
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(maxAbs), _mm256_extractf128_ps(maxAbs, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float amax = _mm_cvtss_f32(m);

        ActivationQ8_0 block;
        block.d = amax / 127.0f;
        const __m256 inverse = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
        __m256i q[4];
        for (int i = 0; i < 4; ++i)
            q[i] = _mm256_cvtps_epi32(
                _mm256_round_ps(_mm256_mul_ps(v[i], inverse), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        block.sum = block.d * float(horizontalSum(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]),
                                                                   _mm256_add_epi32(q[2], q[3]))));
        storeBytes(q, block.q);
        std::memcpy(dst + size_t(b) * sizeof(ActivationQ8_0), &block, sizeof block);
        if constexpr (Refined) {
            ActivationQ8_0 remainder;
            const float d = block.d;
            remainder.d = d / 256.0f;
            const __m256 scale = _mm256_set1_ps(d), fineInverse = _mm256_set1_ps(d != 0.0f ? 256.0f / d : 0.0f);
            const __m256 low = _mm256_set1_ps(-127.0f), high = _mm256_set1_ps(127.0f), half = _mm256_set1_ps(0.5f);
            __m256i r[4];
            for (int i = 0; i < 4; ++i) {
                // A multiply, then a subtract, as the generic code: the empty
                // asm keeps the compiler from fusing them into one rounding.
                __m256 product = _mm256_mul_ps(scale, _mm256_cvtepi32_ps(q[i]));
                asm("" : "+x"(product));
                const __m256 left = _mm256_sub_ps(v[i], product);
                const __m256 t = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(left, fineInverse), low), high);
                // Half away from zero, then truncation.
                r[i] = _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_or_ps(half, _mm256_and_ps(t, signBit))));
            }
            remainder.sum = remainder.d * float(horizontalSum(_mm256_add_epi32(_mm256_add_epi32(r[0], r[1]),
                                                                               _mm256_add_epi32(r[2], r[3]))));
            storeBytes(r, remainder.q);
            std::memcpy(fine + size_t(b) * sizeof(ActivationQ8_0), &remainder, sizeof remainder);
        }
    }
}

void quantizeQ8_0(const float* x, void* out, int64_t k) {
    quantizeBlocks<false>(x, static_cast<uint8_t*>(out), nullptr, k);
}

void quantizeRefinedQ8_0(const float* x, void* coarse, void* fine, int64_t k) {
    quantizeBlocks<true>(x, static_cast<uint8_t*>(coarse), static_cast<uint8_t*>(fine), k);
}

template <class Format>
void set(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_0, dotTileOf<Tiles<Format, false>, kBlock>,
                                             dotTileOf<Tiles<Format, true>, kBlock>};
}

}  // namespace

void addLegacyAvx2(KernelTable& table) {
    table.quantize[static_cast<int>(ActivationFormat::Q8_0)] = quantizeQ8_0;
    table.quantizeRefined[static_cast<int>(ActivationFormat::Q8_0)] = quantizeRefinedQ8_0;
    set<Q4_0>(table, GgmlType::Q4_0);
    set<Q4_1>(table, GgmlType::Q4_1);
    set<Q5_0>(table, GgmlType::Q5_0);
    set<Q5_1>(table, GgmlType::Q5_1);
    set<Q8_0>(table, GgmlType::Q8_0);
}

}  // namespace nibble::cpu
