// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 activations, with AVX-512 VNNI.
//
// As the AVX2 kernels, with vpdpbusd doing the unsigned-by-signed byte
// products and their sums in one instruction, without the int16 step. Every
// type decodes to unsigned bytes: Q8_0 flips its sign bits (w + 128) and,
// like the 4- and 5-bit types' -8 / -16 and minimums, corrects that through
// the input block sums. Activations come from the AVX2 quantizer. A refined
// input's remainder row goes into the same int32 lanes, after the 8-bit
// row's sums are shifted up by 8 bits (kernel_table.h).
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")

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
    return _mm256_maskz_mov_epi8(__mmask32(h), _mm256_set1_epi8(16));
}

// One weight block: w[j] = d * q[j] + offset.
struct DecodedBlock {
    __m256i q;
    float d;
    float offset;
};

struct Q4_0 {
    static constexpr size_t kBytes = 18;
    static DecodedBlock decode(const uint8_t* p) {
        const float d = loadHalf(p);
        return {unpackNibbles(p + 2), d, -8.0f * d};
    }
};

struct Q4_1 {
    static constexpr size_t kBytes = 20;
    static DecodedBlock decode(const uint8_t* p) { return {unpackNibbles(p + 4), loadHalf(p), loadHalf(p + 2)}; }
};

struct Q5_0 {
    static constexpr size_t kBytes = 22;
    static DecodedBlock decode(const uint8_t* p) {
        const float d = loadHalf(p);
        return {_mm256_or_si256(unpackNibbles(p + 6), fifthBits(p + 2)), d, -16.0f * d};
    }
};

struct Q5_1 {
    static constexpr size_t kBytes = 24;
    static DecodedBlock decode(const uint8_t* p) {
        return {_mm256_or_si256(unpackNibbles(p + 8), fifthBits(p + 4)), loadHalf(p), loadHalf(p + 2)};
    }
};

struct Q8_0 {
    static constexpr size_t kBytes = 34;
    static DecodedBlock decode(const uint8_t* p) {
        const float d = loadHalf(p);
        return {_mm256_xor_si256(loadBytes(p + 2), _mm256_set1_epi8(char(0x80))), d, -128.0f * d};
    }
};

// Eight int32 partial sums of unsigned w[j] times signed x[j].
__m256i dot32(__m256i w, __m256i x) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), w, x); }

float horizontalSum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
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
        for (int r = 0; r < Rows; ++r) weights[r] = Format::decode(w + r * wStride + size_t(b) * Format::kBytes);
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
                __m256i sums = dot32(weights[r].q, qx);
                if constexpr (Refined) sums = _mm256_dpbusd_epi32(_mm256_slli_epi32(sums, 8), weights[r].q, rx);
                const __m256 products = _mm256_cvtepi32_ps(sums);
                acc[s][c][r] = _mm256_fmadd_ps(products, _mm256_set1_ps(weights[r].d * dx), acc[s][c][r]);
            }
            float sx = loadFloat(xb + offsetof(ActivationQ8_0, sum));
            if constexpr (Refined) sx += loadFloat(fine + offsetof(ActivationQ8_0, sum));
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) offsets[c][r] += weights[r].offset * sx;
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

using TileFn = void (*)(int64_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);

template <class Format, bool Refined>
constexpr TileFn kTiles[kMaxTileRows][kMaxTileCols] = {
    {tile<Format, 1, 1, Refined>, tile<Format, 1, 2, Refined>, tile<Format, 1, 3, Refined>, tile<Format, 1, 4, Refined>},
    {tile<Format, 2, 1, Refined>, tile<Format, 2, 2, Refined>, tile<Format, 2, 3, Refined>, tile<Format, 2, 4, Refined>},
    {tile<Format, 3, 1, Refined>, tile<Format, 3, 2, Refined>, tile<Format, 3, 3, Refined>, tile<Format, 3, 4, Refined>},
    {tile<Format, 4, 1, Refined>, tile<Format, 4, 2, Refined>, tile<Format, 4, 3, Refined>, tile<Format, 4, 4, Refined>},
};

template <class Format, bool Refined>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    kTiles<Format, Refined>[rows - 1][cols - 1](k / kBlock, w, wStride, x, xStride, y, ldy);
}

template <class Format>
void set(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_0, dotTile<Format, false>, dotTile<Format, true>};
}

}  // namespace

void addLegacyAvx512(KernelTable& table) {
    set<Q4_0>(table, GgmlType::Q4_0);
    set<Q4_1>(table, GgmlType::Q4_1);
    set<Q5_0>(table, GgmlType::Q5_0);
    set<Q5_1>(table, GgmlType::Q5_1);
    set<Q8_0>(table, GgmlType::Q8_0);
}

}  // namespace nibble::cpu
