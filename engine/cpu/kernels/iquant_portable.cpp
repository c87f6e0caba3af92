// IQ4_NL against Q8_0 activations and IQ4_XS against Q8_K, in plain C++.
//
// Both store 4-bit indices into one table of 16 signed levels
// (blocks::kIq4nlValues), so a weight group of 32 decodes to 32 small signed
// integers, multiplied with the inputs' bytes in int32, and floats meet only
// once per group (IQ4_NL) or per super-block (IQ4_XS, whose 6-bit sub-block
// scales multiply the integer sums first, as ggml's vec_dot_iq4_xs_q8_K).
#include "cpu/kernel_table.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <cstddef>
#include <cstring>

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

// The 32 levels of a group of 32 stored as IQ4_NL's qs.
void unpackLevels(const uint8_t* qs, int8_t* q) {
    for (int j = 0; j < 16; ++j) {
        q[j] = kIq4nlValues[qs[j] & 0x0f];
        q[j + 16] = kIq4nlValues[qs[j] >> 4];
    }
}

int32_t dot32(const int8_t* a, const int8_t* b) {
    int32_t sum = 0;
    for (int j = 0; j < 32; ++j) sum += int32_t(a[j]) * int32_t(b[j]);
    return sum;
}

float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return halfToFloat(h);
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h); a
// block's two integer sums meet in int32 (|256 * 32 * 127 * 127| < 2^31).
template <bool Refined>
void dotTileNl(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    for (int64_t b = 0; b < k / 32; ++b) {
        int8_t q[kMaxTileRows][32];
        float d[kMaxTileRows];
        for (int r = 0; r < rows; ++r) {
            const uint8_t* block = w + size_t(r) * wStride + size_t(b) * sizeof(BlockIQ4_NL);
            d[r] = loadHalf(block + offsetof(BlockIQ4_NL, d));
            unpackLevels(block + offsetof(BlockIQ4_NL, qs), q[r]);
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

// One IQ4_XS super-block: its levels and its sub-block scales without the -32 offset.
struct SuperBlock {
    int8_t q[256];
    int32_t scales[8];
    float d;
};

void decodeXs(const uint8_t* p, SuperBlock& out) {
    BlockIQ4_XS b;
    std::memcpy(&b, p, sizeof b);
    out.d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        out.scales[s] = iq4xsScale(b, s) - 32;
        unpackLevels(b.qs + 16 * s, out.q + 32 * s);
    }
}

// The super-block's scaled integer sum with one row's 256 values: at most
// 8 * 32 * 32 * 127 * 127 in magnitude, which fits int32.
int32_t scaledSum(const SuperBlock& w, const ActivationQ8_K& x) {
    int32_t sum = 0;
    for (int s = 0; s < 8; ++s) sum += w.scales[s] * dot32(w.q + 32 * s, x.q + 32 * s);
    return sum;
}

// Refined: the two rows' sums meet in int64, since 256 times one can pass int32.
template <bool Refined>
void dotTileXs(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    SuperBlock sb;
    ActivationQ8_K coarse, fine;
    for (int64_t i = 0; i < k / 256; ++i)
        for (int r = 0; r < rows; ++r) {
            decodeXs(w + size_t(r) * wStride + size_t(i) * sizeof(BlockIQ4_XS), sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* xb = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof(ActivationQ8_K);
                // Activation rows carry no alignment guarantee, so each block is copied out.
                std::memcpy(&coarse, xb, sizeof coarse);
                int64_t sum = scaledSum(sb, coarse);
                float step = coarse.d;
                if constexpr (Refined) {
                    std::memcpy(&fine, xb + xStride, sizeof fine);
                    sum = 256 * sum + scaledSum(sb, fine);
                    step = fine.d;
                }
                acc[c][r] += sb.d * step * float(sum);
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

}  // namespace

void addIQuantPortable(KernelTable& table) {
    table.weights[static_cast<int>(GgmlType::IQ4_NL)] = {ActivationFormat::Q8_0, dotTileNl<false>, dotTileNl<true>};
    table.weights[static_cast<int>(GgmlType::IQ4_XS)] = {ActivationFormat::Q8_K, dotTileXs<false>, dotTileXs<true>};
}

}  // namespace nibble::cpu
