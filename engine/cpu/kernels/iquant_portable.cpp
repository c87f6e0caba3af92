// The i-quants, the ternary TQ1_0/TQ2_0 and MXFP4 in plain C++, every kernel
// set's fallback for them.
//
// Each is small signed integers times integer scales times one float, so
// floats meet once per block. IQ4_NL and MXFP4 store 32 weights as 4-bit
// indices into 16 signed levels (kIq4nlValues, kMxfp4Values) with one scale
// per block, against Q8_0 inputs. The rest are super-blocks of 256 against
// Q8_K inputs, decoded once into levels and an integer scale per 16 weights:
// IQ4_XS has 6-bit sub-block scales, the grids of IQ3_XXS, IQ2_XXS, IQ3_S and
// IQ2_XS hold magnitudes up to 62 with sign bits, and their fractional scales
// (0.5 + s) * 0.25 are (2s + 1) / 8, the 1/8 moving into the float; the
// ternary digits are -1..1 with scale 1. IQ2_S is IQ2_XS with 10-bit grid
// entries and explicit sign bytes. IQ1_S and IQ1_M add +-1/8 to grid values
// of -1..1, so a weight is (8 * grid +- 1) / 8 times the scale: levels of
// -9..9, exact in int8, the 1/8 moving into the float.
#include "cpu/kernel_table.h"
#include "tensor/block_decode.h"
#include "tensor/block_formats.h"
#include "cpu/kernels/iquant_levels.h"

#include <cstddef>
#include <cstring>

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

int32_t dot16(const int8_t* a, const int8_t* b) {
    int32_t sum = 0;
    for (int j = 0; j < 16; ++j) sum += int32_t(a[j]) * int32_t(b[j]);
    return sum;
}

int32_t dot32(const int8_t* a, const int8_t* b) { return dot16(a, b) + dot16(a + 16, b + 16); }

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h); a
// block's two integer sums meet in int32 (|256 * 32 * 127 * 127| < 2^31).
template <typename Block, bool Refined>
void dotTile32(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    for (int64_t b = 0; b < k / 32; ++b) {
        int8_t q[kMaxTileRows][32];
        float d[kMaxTileRows];
        for (int r = 0; r < rows; ++r) {
            Block block;
            std::memcpy(&block, w + size_t(r) * wStride + size_t(b) * sizeof(Block), sizeof block);
            d[r] = decodeBlock(block, q[r]);
        }
        for (int c = 0; c < cols; ++c) {
            const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(b) * sizeof(ActivationQ8_0);
            ActivationQ8_0 coarse, fine;
            std::memcpy(&coarse, xb, sizeof coarse);
            float step = coarse.d;
            if constexpr (Refined) {
                std::memcpy(&fine, xb + xStride, sizeof fine);
                step = fine.d;  // exactly the coarse step / 256
            }
            for (int r = 0; r < rows; ++r) {
                int32_t dot = dot32(q[r], coarse.q);
                if constexpr (Refined) dot = 256 * dot + dot32(q[r], fine.q);
                acc[c][r] += d[r] * step * float(dot);
            }
        }
    }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

// At most 16 groups * 32 * 16 * 127 * 127 in magnitude (IQ4_XS; the grid
// types stay below 16 * 31 * 16 * 62 * 127, IQ1 below 16 * 15 * 16 * 9 * 127),
// which fits int32.
int32_t scaledSum(const DecodedSuperBlock& w, const ActivationQ8_K& x) {
    int32_t sum = 0;
    for (int g = 0; g < 16; ++g) sum += w.scales[g] * dot16(w.q + 16 * g, x.q + 16 * g);
    return sum;
}

// Refined: input c is rows 2c and 2c + 1 (kernel_table.h); their sums meet
// in int64, since 256 times one can pass int32.
template <typename Block, bool Refined>
void dotTileSuper(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                  float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    DecodedSuperBlock sb;
    Block block;
    ActivationQ8_K coarse, fine;
    for (int64_t i = 0; i < k / 256; ++i)
        for (int r = 0; r < rows; ++r) {
            std::memcpy(&block, w + size_t(r) * wStride + size_t(i) * sizeof(Block), sizeof block);
            decodeInto(block, sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                // Activation rows carry no alignment guarantee, so each block is copied out.
                std::memcpy(&coarse, xb, sizeof coarse);
                int64_t sum = scaledSum(sb, coarse);
                float step = coarse.d;
                if constexpr (Refined) {
                    std::memcpy(&fine, xb + xStride, sizeof fine);
                    sum = 256 * sum + scaledSum(sb, fine);
                    step = fine.d;  // exactly the coarse step / 256
                }
                acc[c][r] += sb.d * step * float(sum);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

template <typename Block>
constexpr WeightKernel superKernel() {
    return {ActivationFormat::Q8_K, dotTileSuper<Block, false>, dotTileSuper<Block, true>};
}

}  // namespace

void addIQuantPortable(KernelTable& table) {
    table.weights[static_cast<int>(GgmlType::IQ4_NL)] = {ActivationFormat::Q8_0, dotTile32<BlockIQ4_NL, false>,
                                                         dotTile32<BlockIQ4_NL, true>};
    table.weights[static_cast<int>(GgmlType::IQ4_XS)] = superKernel<BlockIQ4_XS>();
    addGridKernels(table, [](auto block) { return superKernel<decltype(block)>(); });
    table.weights[static_cast<int>(GgmlType::MXFP4)] = {ActivationFormat::Q8_0, dotTile32<BlockMXFP4, false>,
                                                        dotTile32<BlockMXFP4, true>};
}

}  // namespace nibble::cpu
