// Prompt tiles of Q4_K against refined Q8_K inputs, with the AMX tile unit
// (WeightKernel::promptDot; legacy_amx.cpp explains the tiles, the weights'
// gathered layout and the inputs read in place).
//
// A Q4_K weight is d * sc * q - dmin * m, with a 6-bit sc and m per 32
// weights. Each 32-weight sub-block is one pair of tdpbssd (the inputs'
// coarse and remainder rows) whose int32 sums meet as 256 q + r and are
// converted and scaled by the 16 rows' d * sc in one multiply-add per input;
// the minimums meet the inputs' block sums in float, once per super-block,
// and the input's step multiplies both once per super-block.
#include "cpu/kernel_table.h"
#include "cpu/kernels/amx_tile_config.h"
#include "tensor/block_formats.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

constexpr int kSuperBlock = 256;
constexpr int kSub = 32;
constexpr int kSubs = kSuperBlock / kSub;
constexpr int kTileRows = 16;
constexpr int kTileCols = 16;

// Tile numbers, as literals for the tile instructions.
#define NIBBLE_KQ_COARSE_SUMS 0
#define NIBBLE_KQ_FINE_SUMS 1
#define NIBBLE_KQ_WEIGHTS 2
#define NIBBLE_KQ_COARSE_INPUTS 3
#define NIBBLE_KQ_FINE_INPUTS 4

__m512i gatherRows(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t offset) {
    return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), rows, rowOffsets, w + offset, 1);
}

// One super-block of up to 16 weight rows: each row's d * sc and dmin * m
// per sub-block, lane r for row r.
struct RowScales {
    __m512 scale[kSubs];
    __m512 min[kSubs];
};

void decodeScales(const uint8_t* w, size_t wStride, int rows, size_t at, RowScales& out) {
    alignas(64) float scale[kSubs][kTileRows] = {}, min[kSubs][kTileRows] = {};
    for (int r = 0; r < rows; ++r) {
        const auto* block = reinterpret_cast<const BlockQ4_K*>(w + size_t(r) * wStride + at);
        const float d = _cvtsh_ss(block->d), dmin = _cvtsh_ss(block->dmin);
        const uint8_t* q = block->scales;
        for (int j = 0; j < kSubs; ++j) {
            int sc, m;
            if (j < 4) {
                sc = q[j] & 63;
                m = q[j + 4] & 63;
            } else {
                sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
                m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
            }
            scale[j][r] = d * float(sc);
            min[j][r] = dmin * float(m);
        }
    }
    for (int j = 0; j < kSubs; ++j) {
        out.scale[j] = _mm512_load_ps(scale[j]);
        out.min[j] = _mm512_load_ps(min[j]);
    }
}

// The sums of 32 inputs per sub-block, 256 q + r over both rows, as floats.
void subBlockSums(const uint8_t* coarse, const uint8_t* fine, float out[kSubs]) {
    int16_t qs[16], rs[16];
    std::memcpy(qs, coarse + offsetof(ActivationQ8_K, bsums), sizeof qs);
    std::memcpy(rs, fine + offsetof(ActivationQ8_K, bsums), sizeof rs);
    for (int j = 0; j < kSubs; ++j)
        out[j] = float(256 * (int(qs[2 * j]) + qs[2 * j + 1]) + int(rs[2 * j]) + rs[2 * j + 1]);
}

template <int Cols>
void amxTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int /*cols*/,
             float* y, size_t ldy) {
    AmxTileConfig config;
    for (int t : {NIBBLE_KQ_COARSE_SUMS, NIBBLE_KQ_FINE_SUMS}) {
        config.rows[t] = Cols;
        config.bytesPerRow[t] = kTileRows * 4;
    }
    config.rows[NIBBLE_KQ_WEIGHTS] = kSub / 4;
    config.bytesPerRow[NIBBLE_KQ_WEIGHTS] = kTileRows * 4;
    for (int t : {NIBBLE_KQ_COARSE_INPUTS, NIBBLE_KQ_FINE_INPUTS}) {
        config.rows[t] = Cols;
        config.bytesPerRow[t] = kSub;
    }
    _tile_loadconfig(&config);

    const __mmask16 rowMask = __mmask16((1u << rows) - 1);
    const __m512i rowOffsets = _mm512_mullo_epi32(_mm512_set1_epi32(int(wStride)),
                                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    const long pairStride = long(2 * xStride);
    __m512 acc[Cols];
    for (int c = 0; c < Cols; ++c) acc[c] = _mm512_setzero_ps();
    alignas(64) __m512i weights[2][kSub / 4];
    alignas(64) int32_t coarse[Cols][kTileRows], fine[Cols][kTileRows];
    RowScales scales;
    for (int64_t s = 0; s < k / kSuperBlock; ++s) {
        const size_t at = size_t(s) * sizeof(BlockQ4_K);
        decodeScales(w, wStride, rows, at, scales);
        const uint8_t* xs = x + size_t(s) * sizeof(ActivationQ8_K);
        __m512 blockAcc[Cols];
        for (int c = 0; c < Cols; ++c) blockAcc[c] = _mm512_setzero_ps();
        for (int j = 0; j < kSubs; ++j) {
            // Sub-blocks 2i and 2i + 1 are the low and high nibbles of qs[32 i .. 32 i + 31].
            if (j % 2 == 0)
                for (int v = 0; v < kSub / 4; ++v) {
                    const __m512i qs =
                        gatherRows(w, rowOffsets, rowMask, at + offsetof(BlockQ4_K, qs) + size_t(16 * j) + size_t(4 * v));
                    weights[0][v] = _mm512_and_si512(qs, low4);
                    weights[1][v] = _mm512_and_si512(_mm512_srli_epi32(qs, 4), low4);
                }
            const uint8_t* xq = xs + offsetof(ActivationQ8_K, q) + size_t(kSub * j);
            _tile_zero(NIBBLE_KQ_COARSE_SUMS);
            _tile_zero(NIBBLE_KQ_FINE_SUMS);
            _tile_loadd(NIBBLE_KQ_WEIGHTS, weights[j % 2], kTileRows * 4);
            _tile_loadd(NIBBLE_KQ_COARSE_INPUTS, xq, pairStride);
            _tile_loadd(NIBBLE_KQ_FINE_INPUTS, xq + xStride, pairStride);
            _tile_dpbssd(NIBBLE_KQ_COARSE_SUMS, NIBBLE_KQ_COARSE_INPUTS, NIBBLE_KQ_WEIGHTS);
            _tile_dpbssd(NIBBLE_KQ_FINE_SUMS, NIBBLE_KQ_FINE_INPUTS, NIBBLE_KQ_WEIGHTS);
            _tile_stored(NIBBLE_KQ_COARSE_SUMS, coarse, kTileRows * 4);
            _tile_stored(NIBBLE_KQ_FINE_SUMS, fine, kTileRows * 4);
            #pragma GCC unroll 16
            for (int c = 0; c < Cols; ++c) {
                const __m512i sums = _mm512_add_epi32(_mm512_slli_epi32(_mm512_load_si512(coarse[c]), 8),
                                                      _mm512_load_si512(fine[c]));
                blockAcc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), scales.scale[j], blockAcc[c]);
            }
        }
        for (int c = 0; c < Cols; ++c) {
            const uint8_t* xc = xs + size_t(2 * c) * xStride;
            float inputSums[kSubs];
            subBlockSums(xc, xc + xStride, inputSums);
            __m512 mins = _mm512_setzero_ps();
            for (int j = 0; j < kSubs; ++j) mins = _mm512_fmadd_ps(scales.min[j], _mm512_set1_ps(inputSums[j]), mins);
            // The remainder row's step is exactly the coarse one's / 256.
            float dx;
            std::memcpy(&dx, xc + xStride + offsetof(ActivationQ8_K, d), sizeof dx);
            acc[c] = _mm512_fmadd_ps(_mm512_sub_ps(blockAcc[c], mins), _mm512_set1_ps(dx), acc[c]);
        }
    }
    _tile_release();
    for (int c = 0; c < Cols; ++c) _mm512_mask_storeu_ps(y + size_t(c) * ldy, rowMask, acc[c]);
}

template <int... Cols>
constexpr DotTileFn kByCols[] = {amxTile<Cols + 1>...};

template <int... Cols>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy, std::integer_sequence<int, Cols...>) {
    kByCols<Cols...>[cols - 1](k, w, wStride, rows, x, xStride, cols, y, ldy);
}

void promptTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                float* y, size_t ldy) {
    dotTile(k, w, wStride, rows, x, xStride, cols, y, ldy, std::make_integer_sequence<int, kTileCols>());
}

}  // namespace

void addKQuantAmx(KernelTable& table) {
    WeightKernel& kernel = table.weights[static_cast<int>(GgmlType::Q4_K)];
    kernel.promptDot = promptTile;
    kernel.promptInput = RefinedInput::Pair;
    kernel.promptRows = kTileRows;
    kernel.promptCols = kTileCols;
}

}  // namespace nibble::cpu
