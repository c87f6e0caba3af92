// Prompt tiles of Q4_0, Q5_0 and Q8_0 against refined Q8_0 inputs, with the
// AMX tile unit (Sapphire Rapids and later; WeightKernel::promptDot).
//
// One vector instruction of the AVX-512 set multiplies 64 weight-input pairs;
// one tdpbssd multiplies a 16 x 32 tile of input bytes by a 32 x 16 tile of
// weight bytes, 8,192 pairs. A call here takes up to 16 weight rows by a
// prompt chunk's inputs, 16 at a time, one block of 32 weights at a time,
// since each block has its own scale: for every block the weights are
// decoded to signed bytes once for all the inputs, both
// rows of the refined inputs (kernel_table.h) are multiplied with them into
// two int32 tiles, and those meet as 256 * coarse + remainder (at most
// 32 * 127 * 128 * 257 in magnitude, within int32) before one conversion and
// one multiply-add per input with the products of the scales.
//
// The unit takes the second factor in a "VNNI" layout: row j holds bytes
// 4j..4j+3 of each of the 16 weight rows, one 32-bit lane per weight row. A
// 32-bit gather over the 16 weight rows forms such a row from the blocks as
// they lie in the file, so weights are never repacked or copied at load. The
// inputs are the first factor, one row per input, read in place: each block's
// 32 values are contiguous in an ActivationQ8_0 row.
//
// Linux hands a process the tile registers only on request
// (arch_prctl(ARCH_REQ_XCOMP_PERM)); kernels.cpp asks once and offers this
// set only where the request succeeds.
#include "cpu/kernel_table.h"
#include "cpu/kernels/amx_tile_config.h"
#include "tensor/ggml_type.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")

namespace nibble::cpu {
namespace {

constexpr int kBlock = 32;
constexpr int kTileRows = 16;  // weight rows, one 32-bit lane each
constexpr int kTileCols = 16;  // inputs, one tile row each
// The most inputs a call takes: a prompt chunk (cpu_transformer.cpp).
constexpr int kMaxPromptCols = 64;

// One block of 16 weight rows in the VNNI layout, and the rows' scales.
struct alignas(64) DecodedBlock {
    __m512i rows[kBlock / 4];
    __m512 d;
};

// The 32 bits at `offset` of each weight row; rows past `rows` read as 0.
__m512i gatherRows(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t offset) {
    return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), rows, rowOffsets, w + offset, 1);
}

// The f16 scale at the start of each row's block.
__m512 gatherScales(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t offset) {
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gatherRows(w, rowOffsets, rows, offset)));
}

// Bit i of each lane's 4-bit t moved to bit 4 of byte i.
__m512i fifthBitBytes(__m512i t) {
    return _mm512_slli_epi32(
        _mm512_and_si512(_mm512_mullo_epi32(t, _mm512_set1_epi32(0x00204081)), _mm512_set1_epi32(0x01010101)), 4);
}

struct Q4_0 {
    static constexpr size_t kBytes = 18;
    static void decode(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t at, DecodedBlock& out) {
        const __m512i low4 = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
        for (int j = 0; j < 4; ++j) {
            // qs[i] holds weight i in its low nibble and weight i + 16 in its high one.
            const __m512i qs = gatherRows(w, rowOffsets, rows, at + 2 + 4 * j);
            out.rows[j] = _mm512_sub_epi8(_mm512_and_si512(qs, low4), eight);
            out.rows[j + 4] = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi32(qs, 4), low4), eight);
        }
        out.d = gatherScales(w, rowOffsets, rows, at);
    }
};

struct Q5_0 {
    static constexpr size_t kBytes = 22;
    static void decode(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t at, DecodedBlock& out) {
        const __m512i low4 = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(16), nibble = _mm512_set1_epi32(15);
        // Bit i of qh is weight i's fifth bit.
        const __m512i qh = gatherRows(w, rowOffsets, rows, at + 2);
        for (int j = 0; j < 4; ++j) {
            const __m512i qs = gatherRows(w, rowOffsets, rows, at + 6 + 4 * j);
            const __m512i lowBits = fifthBitBytes(_mm512_and_si512(_mm512_srli_epi32(qh, 4 * j), nibble));
            const __m512i highBits = fifthBitBytes(_mm512_and_si512(_mm512_srli_epi32(qh, 16 + 4 * j), nibble));
            out.rows[j] = _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(qs, low4), lowBits), sixteen);
            out.rows[j + 4] = _mm512_sub_epi8(
                _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(qs, 4), low4), highBits), sixteen);
        }
        out.d = gatherScales(w, rowOffsets, rows, at);
    }
};

struct Q8_0 {
    static constexpr size_t kBytes = 34;
    static void decode(const uint8_t* w, __m512i rowOffsets, __mmask16 rows, size_t at, DecodedBlock& out) {
        for (int j = 0; j < 8; ++j) out.rows[j] = gatherRows(w, rowOffsets, rows, at + 2 + 4 * j);
        out.d = gatherScales(w, rowOffsets, rows, at);
    }
};

// The int32 sums of one block's 16 inputs at most (tiles kCoarse and kFine
// of the caller's choosing, already stored to `coarse` and `fine`) turned
// into floats and handed to acc(c, sums, scale) with the product of the
// weight rows' steps `d` and input c's.
template <int Cols, class Acc>
[[gnu::always_inline]] inline void addScaled(const int32_t (*coarse)[kTileRows], const int32_t (*fine)[kTileRows],
                                             __m512 d, const uint8_t* xb, size_t xStride, Acc&& acc) {
    #pragma GCC unroll 16
    for (int c = 0; c < Cols; ++c) {
        const __m512i sums =
            _mm512_add_epi32(_mm512_slli_epi32(_mm512_load_si512(coarse[c]), 8), _mm512_load_si512(fine[c]));
        // The fine row's step is exactly the coarse one's / 256.
        float dx;
        std::memcpy(&dx, xb + (2 * c + 1) * xStride + offsetof(ActivationQ8_0, d), sizeof dx);
        acc(c, _mm512_cvtepi32_ps(sums), _mm512_mul_ps(d, _mm512_set1_ps(dx)));
    }
}

// Up to 16 weight rows by `cols` inputs, in groups of 16 and a last group
// of Tail (a compile-time count, so its sums stay in registers): a block's
// weights are gathered once for all of them, which is why a call takes a
// whole prompt chunk rather than 16 inputs. Input c is rows 2c and 2c + 1
// of x (kernel_table.h). Tiles 0, 1, 3 and 4 serve the whole groups, 5, 6
// and 7 (its inputs' two rows one after the other) the last.
template <class Format, int Tail>
void amxTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    const int groups = cols / kTileCols;
    const AmxTileConfig config = promptTileConfig(kBlock, Tail);
    _tile_loadconfig(&config);

    const __mmask16 rowMask = __mmask16((1u << rows) - 1);
    const __m512i rowOffsets = _mm512_mullo_epi32(_mm512_set1_epi32(int(wStride)),
                                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const long pairStride = long(2 * xStride);
    const size_t groupStride = size_t(kTileCols) * 2 * xStride;
    // The whole groups' sums go through memory, the last group's stay in registers.
    alignas(64) float groupAcc[kMaxPromptCols][kTileRows] = {};
    __m512 tailAcc[Tail > 0 ? Tail : 1];
    for (__m512& a : tailAcc) a = _mm512_setzero_ps();
    DecodedBlock block;
    alignas(64) int32_t coarse[kTileCols][kTileRows], fine[kTileCols][kTileRows];
    for (int64_t b = 0; b < k / kBlock; ++b) {
        Format::decode(w, rowOffsets, rowMask, size_t(b) * Format::kBytes, block);
        _tile_loadd(2, block.rows, kTileRows * 4);
        const uint8_t* xb = x + size_t(b) * sizeof(ActivationQ8_0);
        for (int g = 0; g < groups; ++g) {
            const uint8_t* xg = xb + size_t(g) * groupStride;
            _tile_zero(0);
            _tile_zero(1);
            _tile_loadd(3, xg + offsetof(ActivationQ8_0, q), pairStride);
            _tile_loadd(4, xg + xStride + offsetof(ActivationQ8_0, q), pairStride);
            _tile_dpbssd(0, 3, 2);
            _tile_dpbssd(1, 4, 2);
            _tile_stored(0, coarse, kTileRows * 4);
            _tile_stored(1, fine, kTileRows * 4);
            float(*acc)[kTileRows] = groupAcc + g * kTileCols;
            addScaled<kTileCols>(coarse, fine, block.d, xg, xStride, [&](int c, __m512 sums, __m512 scale) {
                _mm512_store_ps(acc[c], _mm512_fmadd_ps(sums, scale, _mm512_load_ps(acc[c])));
            });
        }
        if constexpr (Tail > 0) {
            const uint8_t* xg = xb + size_t(groups) * groupStride;
            _tile_zero(5);
            _tile_zero(6);
            _tile_loadd(7, xg + offsetof(ActivationQ8_0, q), pairStride);
            _tile_dpbssd(5, 7, 2);
            _tile_loadd(7, xg + xStride + offsetof(ActivationQ8_0, q), pairStride);
            _tile_dpbssd(6, 7, 2);
            _tile_stored(5, coarse, kTileRows * 4);
            _tile_stored(6, fine, kTileRows * 4);
            addScaled<Tail>(coarse, fine, block.d, xg, xStride, [&](int c, __m512 sums, __m512 scale) {
                tailAcc[c] = _mm512_fmadd_ps(sums, scale, tailAcc[c]);
            });
        }
    }
    _tile_release();
    for (int c = 0; c < groups * kTileCols; ++c)
        _mm512_mask_storeu_ps(y + size_t(c) * ldy, rowMask, _mm512_load_ps(groupAcc[c]));
    for (int c = 0; c < Tail; ++c)
        _mm512_mask_storeu_ps(y + size_t(groups * kTileCols + c) * ldy, rowMask, tailAcc[c]);
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

void addLegacyAmx(KernelTable& table) {
    setPromptKernel<Tiles<Q4_0>>(table, GgmlType::Q4_0, kMaxPromptCols);
    setPromptKernel<Tiles<Q5_0>>(table, GgmlType::Q5_0, kMaxPromptCols);
    setPromptKernel<Tiles<Q8_0>>(table, GgmlType::Q8_0, kMaxPromptCols);
}

}  // namespace nibble::cpu
