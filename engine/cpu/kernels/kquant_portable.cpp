// Q2_K to Q6_K against Q8_K activations, in plain C++.
//
// Every K-quant weight is written here as d * sc * q - dmin * mn with an
// unsigned integer q and integer sc, mn per 16 weights: Q3_K's signed q
// becomes q + 4 with mn = 4 * sc, Q6_K's becomes q + 32 with mn = 32 * sc.
// A super-block is decoded once into that form and reused for every input
// row of the tile; the dot products are then integer sums per sub-block, and
// the minimums go through the activations' bsums, as ggml's vec_dot_q*_K_q8_K.
#include "cpu/kernel_table.h"
#include "tensor/block_decode.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

// One weight super-block in the common form above.
struct SuperBlock {
    uint8_t q[256];
    int32_t sc[16];
    int32_t mn[16];
    float d;
    float dmin;
};

uint16_t loadU16(const uint8_t* p) {
    return uint16_t(p[0] | (p[1] << 8));
}

void decodeQ2K(const uint8_t* b, SuperBlock& out) {
    const uint8_t* scales = b + offsetof(BlockQ2_K, scales);
    const uint8_t* qs = b + offsetof(BlockQ2_K, qs);
    for (int s = 0; s < 16; ++s) {
        out.sc[s] = scales[s] & 0x0f;
        out.mn[s] = scales[s] >> 4;
    }
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l) out.q[128 * h + 32 * k + l] = (qs[32 * h + l] >> (2 * k)) & 3;
    out.d = halfToFloat(loadU16(b + offsetof(BlockQ2_K, d)));
    out.dmin = halfToFloat(loadU16(b + offsetof(BlockQ2_K, dmin)));
}

void decodeQ3K(const uint8_t* b, SuperBlock& out) {
    const uint8_t* hmask = b + offsetof(BlockQ3_K, hmask);
    const uint8_t* qs = b + offsetof(BlockQ3_K, qs);
    int8_t scales[16];
    q3kScales(b + offsetof(BlockQ3_K, scales), scales);
    for (int s = 0; s < 16; ++s) {
        out.sc[s] = scales[s] - 32;
        out.mn[s] = 4 * out.sc[s];
    }
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l)
                out.q[128 * h + 32 * k + l] =
                    uint8_t(((qs[32 * h + l] >> (2 * k)) & 3) | (((hmask[l] >> (4 * h + k)) & 1) << 2));
    out.d = halfToFloat(loadU16(b + offsetof(BlockQ3_K, d)));
    out.dmin = out.d;
}

void q4q5Scales(const uint8_t* b, SuperBlock& out) {
    for (int s = 0; s < 8; ++s) {
        uint8_t sc, mn;
        kScaleMin(s, b + offsetof(BlockQ4_K, scales), sc, mn);
        out.sc[2 * s] = out.sc[2 * s + 1] = sc;
        out.mn[2 * s] = out.mn[2 * s + 1] = mn;
    }
    out.d = halfToFloat(loadU16(b + offsetof(BlockQ4_K, d)));
    out.dmin = halfToFloat(loadU16(b + offsetof(BlockQ4_K, dmin)));
}

void decodeQ4K(const uint8_t* b, SuperBlock& out) {
    q4q5Scales(b, out);
    const uint8_t* qs = b + offsetof(BlockQ4_K, qs);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            out.q[64 * c + l] = qs[32 * c + l] & 0x0f;
            out.q[64 * c + 32 + l] = qs[32 * c + l] >> 4;
        }
}

void decodeQ5K(const uint8_t* b, SuperBlock& out) {
    static_assert(offsetof(BlockQ5_K, scales) == offsetof(BlockQ4_K, scales));
    q4q5Scales(b, out);
    const uint8_t* qh = b + offsetof(BlockQ5_K, qh);
    const uint8_t* qs = b + offsetof(BlockQ5_K, qs);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            out.q[64 * c + l] = uint8_t((qs[32 * c + l] & 0x0f) | (((qh[l] >> (2 * c)) & 1) << 4));
            out.q[64 * c + 32 + l] = uint8_t((qs[32 * c + l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4));
        }
}

void decodeQ6K(const uint8_t* b, SuperBlock& out) {
    const uint8_t* ql = b + offsetof(BlockQ6_K, ql);
    const uint8_t* qh = b + offsetof(BlockQ6_K, qh);
    const uint8_t* scales = b + offsetof(BlockQ6_K, scales);
    for (int s = 0; s < 16; ++s) {
        out.sc[s] = int8_t(scales[s]);
        out.mn[s] = 32 * out.sc[s];
    }
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; ++l) {
            const uint8_t lo = ql[64 * h + l], hi = ql[64 * h + 32 + l], top = qh[32 * h + l];
            uint8_t* q = out.q + 128 * h + l;
            q[0] = uint8_t((lo & 0x0f) | ((top & 3) << 4));
            q[32] = uint8_t((hi & 0x0f) | (((top >> 2) & 3) << 4));
            q[64] = uint8_t((lo >> 4) | (((top >> 4) & 3) << 4));
            q[96] = uint8_t((hi >> 4) | (((top >> 6) & 3) << 4));
        }
    out.d = halfToFloat(loadU16(b + offsetof(BlockQ6_K, d)));
    out.dmin = out.d;
}

// The super-block's contribution to one dot product.
float superBlockDot(const SuperBlock& w, const ActivationQ8_K& x) {
    int32_t sumi = 0;
    for (int s = 0; s < 16; ++s) {
        int32_t part = 0;
        for (int j = 0; j < 16; ++j) part += int32_t(w.q[16 * s + j]) * int32_t(x.q[16 * s + j]);
        sumi += w.sc[s] * part;
    }
    int32_t summ = 0;
    for (int s = 0; s < 16; ++s) summ += w.mn[s] * int32_t(x.bsums[s]);
    return x.d * (w.d * float(sumi) - w.dmin * float(summ));
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h),
// each row with its own step, the unpacked super-block shared by both.
template <size_t BlockBytes, void (*Decode)(const uint8_t*, SuperBlock&), bool Refined>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    const int64_t blocks = k / 256;
    float acc[kMaxTileCols][kMaxTileRows] = {};
    SuperBlock sb;
    ActivationQ8_K xb;
    for (int64_t i = 0; i < blocks; ++i)
        for (int r = 0; r < rows; ++r) {
            Decode(w + size_t(r) * wStride + size_t(i) * BlockBytes, sb);
            for (int c = 0; c < cols; ++c) {
                const uint8_t* input = x + size_t(Refined ? 2 * c : c) * xStride + size_t(i) * sizeof xb;
                // Activation rows carry no alignment guarantee, so each block is copied out.
                std::memcpy(&xb, input, sizeof xb);
                acc[c][r] += superBlockDot(sb, xb);
                if constexpr (Refined) {
                    std::memcpy(&xb, input + xStride, sizeof xb);
                    acc[c][r] += superBlockDot(sb, xb);
                }
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = acc[c][r];
}

void quantizeRowQ8K(const float* x, void* out, int64_t k) {
    auto* dst = static_cast<uint8_t*>(out);
    for (int64_t i = 0; i < k / 256; ++i) {
        const float* v = x + i * 256;
        float amax = 0.0f;
        for (int j = 0; j < 256; ++j) amax = std::max(amax, std::fabs(v[j]));
        ActivationQ8_K b;
        b.d = amax / 127.0f;
        const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int j = 0; j < 256; ++j) {
            const float scaled = std::clamp(v[j] * id, -127.0f, 127.0f);
            b.q[j] = int8_t(std::nearbyint(scaled));
        }
        for (int s = 0; s < 16; ++s) {
            int sum = 0;
            for (int j = 0; j < 16; ++j) sum += b.q[16 * s + j];
            b.bsums[s] = int16_t(sum);
        }
        std::memcpy(dst + size_t(i) * sizeof b, &b, sizeof b);
    }
}

}  // namespace

void addKQuantPortable(KernelTable& table) {
    table.quantize[static_cast<int>(ActivationFormat::Q8_K)] = quantizeRowQ8K;
    const auto set = [&](GgmlType type, DotTileFn dot, DotTileFn refinedDot) {
        table.weights[static_cast<int>(type)] = WeightKernel{ActivationFormat::Q8_K, dot, refinedDot};
    };
    set(GgmlType::Q2_K, dotTile<sizeof(BlockQ2_K), decodeQ2K, false>, dotTile<sizeof(BlockQ2_K), decodeQ2K, true>);
    set(GgmlType::Q3_K, dotTile<sizeof(BlockQ3_K), decodeQ3K, false>, dotTile<sizeof(BlockQ3_K), decodeQ3K, true>);
    set(GgmlType::Q4_K, dotTile<sizeof(BlockQ4_K), decodeQ4K, false>, dotTile<sizeof(BlockQ4_K), decodeQ4K, true>);
    set(GgmlType::Q5_K, dotTile<sizeof(BlockQ5_K), decodeQ5K, false>, dotTile<sizeof(BlockQ5_K), decodeQ5K, true>);
    set(GgmlType::Q6_K, dotTile<sizeof(BlockQ6_K), decodeQ6K, false>, dotTile<sizeof(BlockQ6_K), decodeQ6K, true>);
}

}  // namespace nibble::cpu
