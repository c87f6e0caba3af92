// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 activations, in plain C++.
//
// Each weight block is decoded once into 32 small integers, a scale and an
// offset, then multiplied with the same block of every input row of the
// tile: whole-block integer sums first (exact in int32), floats only once
// per block. The offset carries the part of the weights every one of the
// 32 shares (Q4_0's -8, Q5_0's -16, the minimum m of Q4_1 and Q5_1), which
// meets the inputs through their block sum.
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

namespace nibble::cpu {
namespace {

constexpr int kBlock = 32;

// One weight block as integers: w[j] = d * q[j] + offset.
struct DecodedBlock {
    float d;
    float offset;
    int8_t q[kBlock];
};

float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
}

uint32_t loadU32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

void unpackNibbles(const uint8_t* qs, int8_t* q) {
    for (int j = 0; j < 16; ++j) {
        q[j] = int8_t(qs[j] & 15);
        q[j + 16] = int8_t(qs[j] >> 4);
    }
}

void addFifthBits(uint32_t h, int8_t* q) {
    for (int j = 0; j < kBlock; ++j) q[j] = int8_t(q[j] | (((h >> j) & 1u) << 4));
}

struct Q4_0 {
    static constexpr size_t kBytes = 18;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = -8.0f * out.d;
        unpackNibbles(p + 2, out.q);
    }
};

struct Q4_1 {
    static constexpr size_t kBytes = 20;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = loadHalf(p + 2);
        unpackNibbles(p + 4, out.q);
    }
};

struct Q5_0 {
    static constexpr size_t kBytes = 22;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = -16.0f * out.d;
        unpackNibbles(p + 6, out.q);
        addFifthBits(loadU32(p + 2), out.q);
    }
};

struct Q5_1 {
    static constexpr size_t kBytes = 24;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = loadHalf(p + 2);
        unpackNibbles(p + 8, out.q);
        addFifthBits(loadU32(p + 4), out.q);
    }
};

struct Q8_0 {
    static constexpr size_t kBytes = 34;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = 0.0f;
        std::memcpy(out.q, p + 2, kBlock);
    }
};

int32_t dot32(const int8_t* a, const int8_t* b) {
    int32_t sum = 0;
    for (int j = 0; j < kBlock; ++j) sum += int32_t(a[j]) * int32_t(b[j]);
    return sum;
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h); both
// rows' integer sums meet the weights, the 8-bit row's times 256, then one
// float multiply per block and input.
template <class Format, bool Refined>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows] = {};
    const int64_t blocks = k / kBlock;
    for (int64_t b = 0; b < blocks; ++b) {
        DecodedBlock weights[kMaxTileRows];
        for (int r = 0; r < rows; ++r) Format::decode(w + r * wStride + size_t(b) * Format::kBytes, weights[r]);
        for (int c = 0; c < cols; ++c) {
            const uint8_t* xb = x + (Refined ? 2 * c : c) * xStride + size_t(b) * sizeof(ActivationQ8_0);
            ActivationQ8_0 coarse, fine;
            std::memcpy(&coarse, xb, sizeof coarse);
            float step = coarse.d, sum = coarse.sum;
            if constexpr (Refined) {
                std::memcpy(&fine, xb + xStride, sizeof fine);
                // The fine row's step is exactly the coarse one's / 256.
                step = fine.d;
                sum += fine.sum;
            }
            for (int r = 0; r < rows; ++r) {
                int32_t dot = dot32(weights[r].q, coarse.q);
                if constexpr (Refined) dot = 256 * dot + dot32(weights[r].q, fine.q);
                acc[c][r] += weights[r].d * step * float(dot) + weights[r].offset * sum;
            }
        }
    }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[c * ldy + r] = acc[c][r];
}

void quantizeQ8_0(const float* x, void* out, int64_t k) {
    auto* dst = static_cast<uint8_t*>(out);
    for (int64_t b = 0; b < k / kBlock; ++b, x += kBlock, dst += sizeof(ActivationQ8_0)) {
        float maxAbs = 0.0f;
        for (int j = 0; j < kBlock; ++j) maxAbs = std::max(maxAbs, std::fabs(x[j]));
        ActivationQ8_0 block;
        block.d = maxAbs / 127.0f;
        const float inverse = maxAbs > 0.0f ? 127.0f / maxAbs : 0.0f;
        int32_t sum = 0;
        for (int j = 0; j < kBlock; ++j) {
            block.q[j] = int8_t(std::nearbyint(x[j] * inverse));
            sum += block.q[j];
        }
        block.sum = block.d * float(sum);
        std::memcpy(dst, &block, sizeof block);
    }
}

template <class Format>
void set(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_0, dotTile<Format, false>, dotTile<Format, true>};
}

}  // namespace

void addLegacyPortable(KernelTable& table) {
    table.quantize[static_cast<int>(ActivationFormat::Q8_0)] = quantizeQ8_0;
    set<Q4_0>(table, GgmlType::Q4_0);
    set<Q4_1>(table, GgmlType::Q4_1);
    set<Q5_0>(table, GgmlType::Q5_0);
    set<Q5_1>(table, GgmlType::Q5_1);
    set<Q8_0>(table, GgmlType::Q8_0);
}

}  // namespace nibble::cpu
