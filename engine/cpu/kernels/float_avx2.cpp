// F32, F16 and BF16 weights against f32 inputs, with AVX2, FMA and F16C.
//
// Eight weights at a time are widened to f32 in a register (vcvtph2ps for
// F16, a 16-bit shift for BF16) and reused for every input row of the tile.
// Tile shapes are compiled separately so the accumulators stay in
// registers; tiles of one or two products keep two sets of them to
// hide the latency of the fused multiply-adds.
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

constexpr int kLanes = 8;

uint16_t loadU16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

float loadFloat(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}

__m128i load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

struct F32 {
    static constexpr size_t kBytes = 4;
    static __m256 load8(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
    static float load1(const uint8_t* p) { return loadFloat(p); }
};

struct F16 {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t* p) { return _mm256_cvtph_ps(load128(p)); }
    static float load1(const uint8_t* p) { return _cvtsh_ss(loadU16(p)); }
};

struct BF16 {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t* p) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
    }
    static float load1(const uint8_t* p) {
        const uint32_t bits = uint32_t(loadU16(p)) << 16;
        float v;
        std::memcpy(&v, &bits, 4);
        return v;
    }
};

template <class Format, int Rows, int Cols>
void tile(int64_t k, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y, size_t ldy) {
    constexpr int kSets = Rows * Cols <= 2 ? 2 : 1;
    __m256 acc[kSets][Cols][Rows] = {};

    // -O2 does not unroll these short loops by itself; unrolled, the arrays
    // become registers.
    const auto step = [&](int64_t i, int s) {
        __m256 weights[Rows];
        #pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) weights[r] = Format::load8(w + r * wStride + size_t(i) * Format::kBytes);
        #pragma GCC unroll 4
        for (int c = 0; c < Cols; ++c) {
            const __m256 inputs = _mm256_loadu_ps(reinterpret_cast<const float*>(x + c * xStride + size_t(i) * 4));
            #pragma GCC unroll 4
            for (int r = 0; r < Rows; ++r) acc[s][c][r] = _mm256_fmadd_ps(weights[r], inputs, acc[s][c][r]);
        }
    };
    int64_t i = 0;
    for (; i + kSets * kLanes <= k; i += kSets * kLanes) {
        #pragma GCC unroll 4
        for (int s = 0; s < kSets; ++s) step(i + s * kLanes, s);
    }
    for (; i + kLanes <= k; i += kLanes) step(i, 0);

    for (int c = 0; c < Cols; ++c)
        for (int r = 0; r < Rows; ++r) {
            __m256 total = acc[0][c][r];
            for (int s = 1; s < kSets; ++s) total = _mm256_add_ps(total, acc[s][c][r]);
            float sum = horizontalSum(total);
            for (int64_t j = i; j < k; ++j)
                sum += Format::load1(w + r * wStride + size_t(j) * Format::kBytes) *
                       loadFloat(x + c * xStride + size_t(j) * 4);
            y[c * ldy + r] = sum;
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

void addFloatAvx2(KernelTable& table) {
    set(table, GgmlType::F32, dotTile<F32>);
    set(table, GgmlType::F16, dotTile<F16>);
    set(table, GgmlType::BF16, dotTile<BF16>);
}

}  // namespace nibble::cpu
