// Prompt tiles of Q4_K and Q6_K against refined Q8_K inputs, with the AMX
// tile unit (WeightKernel::promptDot; legacy_amx.cpp explains the tiles, the
// weights' gathered layout and the inputs read in place).
//
// A Q4_K weight is d * sc * q - dmin * m, with a 6-bit sc and m per 32
// weights; a Q6_K weight d * sc * (q - 32), an 8-bit sc per 16 weights.
// Each sub-block is one pair of tdpbssd (the inputs' coarse and remainder
// rows; Q6_K's q - 32 is a signed byte) whose int32 sums meet as 256 q + r
// (at most 32 * 63 * 127 * 257 in magnitude) and are converted and scaled
// by the 16 rows' d * sc in one multiply-add per input; Q4_K's minimums
// meet the inputs' block sums in float once per super-block, where the
// input's step multiplies the super-block's sum.
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
constexpr int kTileRows = 16;
constexpr int kTileCols = 16;
constexpr int kMaxPromptCols = 64;  // a prompt chunk (cpu_transformer.cpp)
constexpr int kMaxSubs = 16;

__m512i gatherRows(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t offset) {
    return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), rows, rowOffsets, w + offset, 1);
}

// One super-block of up to 16 weight rows: each row's scale (d * sc) and
// minimum (dmin * m, Q4_K only) per sub-block, lane r for row r.
struct RowScales {
    __m512 scale[kMaxSubs];
    __m512 min[kMaxSubs];
};

// Q4_K: 8 sub-blocks of 32, unsigned 4-bit q, 6-bit scales and minimums.
// Gather unit u is qs[32 u .. 32 u + 31]: sub-block 2u in its low nibbles,
// 2u + 1 in its high ones.
struct Q4K {
    static constexpr int kSub = 32;
    static constexpr int kSubs = 8;
    static constexpr int kUnits = 4;
    static constexpr int kSubsPerUnit = 2;
    static constexpr bool kMins = true;
    static constexpr size_t kBytes = sizeof(BlockQ4_K);

    static void decodeScales(const uint8_t* w, size_t wStride, int rows, size_t at, RowScales& out) {
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

    static void gather(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t at, int u,
                       __m512i out[kSubsPerUnit][kSub / 4], int sub[kSubsPerUnit]) {
        const __m512i low4 = _mm512_set1_epi8(0x0f);
        for (int v = 0; v < kSub / 4; ++v) {
            const __m512i qs = gatherRows(w, rowOffsets, rows, at + offsetof(BlockQ4_K, qs) + size_t(32 * u + 4 * v));
            out[0][v] = _mm512_and_si512(qs, low4);
            out[1][v] = _mm512_and_si512(_mm512_srli_epi32(qs, 4), low4);
        }
        sub[0] = 2 * u;
        sub[1] = 2 * u + 1;
    }
};

// Q6_K: 16 sub-blocks of 16, q = 4 bits of ql and 2 of qh, less 32, 8-bit
// scales, no minimums. In each half n of 128 weights, weight 32 m + l
// (l < 32) is ql[64 n + l + 32 (m & 1)]'s low (m < 2) or high nibble and
// bits 2m, 2m + 1 of qh[32 n + l]. Gather unit (n, h) is l = 16 h .. 16 h +
// 15 of all four m: sub-blocks 8 n + 2 m + h.
struct Q6K {
    static constexpr int kSub = 16;
    static constexpr int kSubs = 16;
    static constexpr int kUnits = 4;
    static constexpr int kSubsPerUnit = 4;
    static constexpr bool kMins = false;
    static constexpr size_t kBytes = sizeof(BlockQ6_K);

    static void decodeScales(const uint8_t* w, size_t wStride, int rows, size_t at, RowScales& out) {
        alignas(64) float scale[kSubs][kTileRows] = {};
        for (int r = 0; r < rows; ++r) {
            const auto* block = reinterpret_cast<const BlockQ6_K*>(w + size_t(r) * wStride + at);
            const float d = _cvtsh_ss(block->d);
            for (int j = 0; j < kSubs; ++j) scale[j][r] = d * float(block->scales[j]);
        }
        for (int j = 0; j < kSubs; ++j) out.scale[j] = _mm512_load_ps(scale[j]);
    }

    static void gather(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t at, int u,
                       __m512i out[kSubsPerUnit][kSub / 4], int sub[kSubsPerUnit]) {
        const int n = u / 2, h = u % 2;
        const __m512i low4 = _mm512_set1_epi8(0x0f), two = _mm512_set1_epi8(3), offset = _mm512_set1_epi8(32);
        for (int v = 0; v < kSub / 4; ++v) {
            const size_t l = size_t(16 * h + 4 * v);
            const __m512i ql0 = gatherRows(w, rowOffsets, rows, at + offsetof(BlockQ6_K, ql) + size_t(64 * n) + l);
            const __m512i ql1 = gatherRows(w, rowOffsets, rows, at + offsetof(BlockQ6_K, ql) + size_t(64 * n) + 32 + l);
            const __m512i qh = gatherRows(w, rowOffsets, rows, at + offsetof(BlockQ6_K, qh) + size_t(32 * n) + l);
            const __m512i nibbles[4] = {_mm512_and_si512(ql0, low4), _mm512_and_si512(ql1, low4),
                                        _mm512_and_si512(_mm512_srli_epi32(ql0, 4), low4),
                                        _mm512_and_si512(_mm512_srli_epi32(ql1, 4), low4)};
            for (int m = 0; m < 4; ++m) {
                const __m512i top = _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(qh, 2 * m), two), 4);
                out[m][v] = _mm512_sub_epi8(_mm512_or_si512(nibbles[m], top), offset);
            }
        }
        for (int m = 0; m < 4; ++m) sub[m] = 8 * n + 2 * m + h;
    }
};

// The sums of each sub-block's inputs, 256 q + r over both rows, as floats.
template <class Format>
void subBlockSums(const uint8_t* coarse, const uint8_t* fine, float out[Format::kSubs]) {
    int16_t qs[16], rs[16];
    std::memcpy(qs, coarse + offsetof(ActivationQ8_K, bsums), sizeof qs);
    std::memcpy(rs, fine + offsetof(ActivationQ8_K, bsums), sizeof rs);
    constexpr int kPer = Format::kSub / 16;
    for (int j = 0; j < Format::kSubs; ++j) {
        int q = 0, r = 0;
        for (int i = 0; i < kPer; ++i) {
            q += qs[kPer * j + i];
            r += rs[kPer * j + i];
        }
        out[j] = float(256 * q + r);
    }
}

// The int32 sums of one sub-block's 16 inputs at most, already stored to
// `coarse` and `fine`, converted and handed to add(c, sums).
template <int Cols, class Add>
[[gnu::always_inline]] inline void addSums(const int32_t (*coarse)[kTileRows], const int32_t (*fine)[kTileRows],
                                           Add&& add) {
    #pragma GCC unroll 16
    for (int c = 0; c < Cols; ++c)
        add(c, _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_slli_epi32(_mm512_load_si512(coarse[c]), 8),
                                                   _mm512_load_si512(fine[c]))));
}

// Up to 16 weight rows by `cols` inputs, in groups of 16 and a last group of
// Tail, each sub-block's weights gathered once for all of them
// (legacy_amx.cpp has the same shape and says why). Input c is rows 2c and
// 2c + 1 of x (kernel_table.h).
template <class Format, int Tail>
void amxTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    constexpr int kSub = Format::kSub;
    const int groups = cols / kTileCols;
    const AmxTileConfig config = promptTileConfig(kSub, Tail);
    _tile_loadconfig(&config);

    const __mmask16 rowMask = __mmask16((1u << rows) - 1);
    const __m512i rowOffsets = _mm512_mullo_epi32(_mm512_set1_epi32(int(wStride)),
                                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const long pairStride = long(2 * xStride);
    const size_t groupStride = size_t(kTileCols) * 2 * xStride;
    // Per input: the dot products so far, and this super-block's before the
    // minimums and the input's step.
    alignas(64) float acc[kMaxPromptCols][kTileRows] = {};
    alignas(64) float blockAcc[kMaxPromptCols][kTileRows];
    __m512 tailBlockAcc[Tail > 0 ? Tail : 1];
    alignas(64) __m512i weights[Format::kSubsPerUnit][kSub / 4];
    int subs[Format::kSubsPerUnit];
    alignas(64) int32_t coarse[kTileCols][kTileRows], fine[kTileCols][kTileRows];
    RowScales scales;
    for (int64_t s = 0; s < k / kSuperBlock; ++s) {
        const size_t at = size_t(s) * Format::kBytes;
        Format::decodeScales(w, wStride, rows, at, scales);
        const uint8_t* xs = x + size_t(s) * sizeof(ActivationQ8_K);
        for (int c = 0; c < groups * kTileCols; ++c) _mm512_store_ps(blockAcc[c], _mm512_setzero_ps());
        for (__m512& a : tailBlockAcc) a = _mm512_setzero_ps();
        for (int u = 0; u < Format::kUnits; ++u) {
            Format::gather(w, rowOffsets, rowMask, at, u, weights, subs);
            for (int i = 0; i < Format::kSubsPerUnit; ++i) {
                const int j = subs[i];
                _tile_loadd(2, weights[i], kTileRows * 4);
                const __m512 scale = scales.scale[j];
                for (int g = 0; g < groups; ++g) {
                    const uint8_t* xq = xs + size_t(g) * groupStride + offsetof(ActivationQ8_K, q) + size_t(kSub * j);
                    _tile_zero(0);
                    _tile_zero(1);
                    _tile_loadd(3, xq, pairStride);
                    _tile_loadd(4, xq + xStride, pairStride);
                    _tile_dpbssd(0, 3, 2);
                    _tile_dpbssd(1, 4, 2);
                    _tile_stored(0, coarse, kTileRows * 4);
                    _tile_stored(1, fine, kTileRows * 4);
                    float(*block)[kTileRows] = blockAcc + g * kTileCols;
                    addSums<kTileCols>(coarse, fine, [&](int c, __m512 sums) {
                        _mm512_store_ps(block[c], _mm512_fmadd_ps(sums, scale, _mm512_load_ps(block[c])));
                    });
                }
                if constexpr (Tail > 0) {
                    const uint8_t* xq =
                        xs + size_t(groups) * groupStride + offsetof(ActivationQ8_K, q) + size_t(kSub * j);
                    _tile_zero(5);
                    _tile_zero(6);
                    _tile_loadd(7, xq, pairStride);
                    _tile_dpbssd(5, 7, 2);
                    _tile_loadd(7, xq + xStride, pairStride);
                    _tile_dpbssd(6, 7, 2);
                    _tile_stored(5, coarse, kTileRows * 4);
                    _tile_stored(6, fine, kTileRows * 4);
                    addSums<Tail>(coarse, fine, [&](int c, __m512 sums) {
                        tailBlockAcc[c] = _mm512_fmadd_ps(sums, scale, tailBlockAcc[c]);
                    });
                }
            }
        }
        for (int c = 0; c < groups * kTileCols + Tail; ++c) {
            const uint8_t* xc = xs + size_t(2 * c) * xStride;
            __m512 products =
                c < groups * kTileCols ? _mm512_load_ps(blockAcc[c]) : tailBlockAcc[c - groups * kTileCols];
            if constexpr (Format::kMins) {
                float inputSums[Format::kSubs];
                subBlockSums<Format>(xc, xc + xStride, inputSums);
                for (int j = 0; j < Format::kSubs; ++j)
                    products = _mm512_fnmadd_ps(scales.min[j], _mm512_set1_ps(inputSums[j]), products);
            }
            // The remainder row's step is exactly the coarse one's / 256.
            float dx;
            std::memcpy(&dx, xc + xStride + offsetof(ActivationQ8_K, d), sizeof dx);
            _mm512_store_ps(acc[c], _mm512_fmadd_ps(products, _mm512_set1_ps(dx), _mm512_load_ps(acc[c])));
        }
    }
    _tile_release();
    for (int c = 0; c < groups * kTileCols + Tail; ++c)
        _mm512_mask_storeu_ps(y + size_t(c) * ldy, rowMask, _mm512_load_ps(acc[c]));
}

// The prompt kernel of Format, one tile function per last group's width.
template <class Format>
struct Tiles {
    template <int Tail>
    struct Tile {
        static constexpr DotTileFn kRun = amxTile<Format, Tail>;
    };
};

}  // namespace

void addKQuantAmx(KernelTable& table) {
    setPromptKernel<Tiles<Q4K>>(table, GgmlType::Q4_K, kMaxPromptCols);
    setPromptKernel<Tiles<Q6K>>(table, GgmlType::Q6_K, kMaxPromptCols);
}

}  // namespace nibble::cpu
