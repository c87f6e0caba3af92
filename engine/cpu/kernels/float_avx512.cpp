// F32, F16 and BF16 weights against f32 inputs, with AVX-512.
//
// The float tiles serve attention above all (cpu_transformer.cpp): rows of
// 64 to 256 cached keys' values against the query heads, and rows of as many
// values as there are positions against the scores, so rows are short and
// their lengths arbitrary. What the AVX2 set spends around the multiply-adds
// then outweighs them: a horizontal sum per product, and a scalar loop over
// the last k % 8 weights. Here sixteen weights go per step, the last step
// takes the rest through masked loads, and the four products of a weight
// row group with one input are summed across lanes together (three shuffle
// rounds for four sums), landing as four adjacent floats of y.
#include "cpu/kernel_table.h"
#include "cpu/kernels/tile_shapes.h"
#include "tensor/ggml_type.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")

namespace nibble::cpu {
namespace {

constexpr int kLanes = 16;

struct F32 {
    static constexpr size_t kBytes = 4;
    static __m512 load(const uint8_t* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};

struct F16 {
    static constexpr size_t kBytes = 2;
    static __m512 load(const uint8_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
};

struct BF16 {
    static constexpr size_t kBytes = 2;
    static __m512 load(const uint8_t* p, __mmask16 m) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
    }
};

// The lane sums of a[0..3], in that order.
__m128 fourSums(const __m512 a[4]) {
    const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a[0], a[1]), _mm512_unpackhi_ps(a[0], a[1]));
    const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a[2], a[3]), _mm512_unpackhi_ps(a[2], a[3]));
    // Each 128-bit lane now holds a0, a1, a0, a1 partial sums, then a2, a3, a2, a3.
    const __m512 s = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, 0x44), _mm512_shuffle_ps(s01, s23, 0xee));
    const __m256 half = _mm256_add_ps(_mm512_castps512_ps256(s), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
    return _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
}

template <class Format, int Rows, int Cols>
void tile(int64_t k, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y, size_t ldy) {
    __m512 acc[Cols][4] = {};
    const auto step = [&](int64_t i, __mmask16 m) {
        __m512 weights[Rows];
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) weights[r] = Format::load(w + r * wStride + size_t(i) * Format::kBytes, m);
        #pragma GCC unroll 4
        for (int c = 0; c < Cols; ++c) {
            const __m512 inputs = _mm512_maskz_loadu_ps(m, x + c * xStride + size_t(i) * 4);
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) acc[c][r] = _mm512_fmadd_ps(weights[r], inputs, acc[c][r]);
        }
    };
    int64_t i = 0;
    for (; i + kLanes <= k; i += kLanes) step(i, __mmask16(0xffff));
    if (i < k) step(i, __mmask16((1u << (k - i)) - 1));

    for (int c = 0; c < Cols; ++c) {
        const __m128 sums = fourSums(acc[c]);
        if constexpr (Rows == 4) {
            _mm_storeu_ps(y + size_t(c) * ldy, sums);
        } else {
            alignas(16) float lanes[4];
            _mm_store_ps(lanes, sums);
            for (int r = 0; r < Rows; ++r) y[size_t(c) * ldy + size_t(r)] = lanes[r];
        }
    }
}

template <class Format>
struct Tiles {
    template <int Rows, int Cols>
    static constexpr TileFn fn = tile<Format, Rows, Cols>;
};

template <class Format>
constexpr DotTileFn dotTile = dotTileOf<Tiles<Format>, 1>;

void set(KernelTable& table, GgmlType type, DotTileFn dot) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::F32, dot};
}

}  // namespace

void addFloatAvx512(KernelTable& table) {
    set(table, GgmlType::F32, dotTile<F32>);
    set(table, GgmlType::F16, dotTile<F16>);
    set(table, GgmlType::BF16, dotTile<BF16>);
}

}  // namespace nibble::cpu
