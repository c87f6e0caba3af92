// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 activations, with the ARM
// dot-product instructions.
//
// The arithmetic is the portable kernel's: each weight block is unpacked
// once into 32 small integers (two 16-byte registers), a scale and an
// offset, and vdotq_s32 forms the whole-block integer sum with every input
// row of the tile. The offset (Q4_0's -8, Q5_0's -16, the minimum of Q4_1
// and Q5_1) meets the inputs through their block sum, so the integers stay
// unsigned and small, which vdotq_s32's signed bytes hold exactly.
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"

#include <cstddef>
#include <cstring>

#include <arm_neon.h>

// GCC 12 declares vdotq_s32 for arch=armv8.2-a+dotprod and refuses to
// inline it into a function that only adds "+dotprod" to the baseline.
#pragma GCC target("arch=armv8.2-a+dotprod")

namespace nibble::cpu {
namespace {

constexpr int kBlock = 32;

struct DecodedBlock {
    float d;
    float offset;
    int8x16_t lo;  // weights 0..15
    int8x16_t hi;  // weights 16..31
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

void unpackNibbles(const uint8_t* qs, DecodedBlock& out) {
    const uint8x16_t packed = vld1q_u8(qs);
    out.lo = vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0f)));
    out.hi = vreinterpretq_s8_u8(vshrq_n_u8(packed, 4));
}

// Bit j of h becomes 16 in byte j of the block.
void addFifthBits(uint32_t h, DecodedBlock& out) {
    static constexpr uint8_t kBits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bits = vld1q_u8(kBits);
    const uint8x16_t sixteen = vdupq_n_u8(16);
    const uint8x16_t low = vcombine_u8(vdup_n_u8(uint8_t(h)), vdup_n_u8(uint8_t(h >> 8)));
    const uint8x16_t high = vcombine_u8(vdup_n_u8(uint8_t(h >> 16)), vdup_n_u8(uint8_t(h >> 24)));
    out.lo = vorrq_s8(out.lo, vreinterpretq_s8_u8(vandq_u8(vtstq_u8(low, bits), sixteen)));
    out.hi = vorrq_s8(out.hi, vreinterpretq_s8_u8(vandq_u8(vtstq_u8(high, bits), sixteen)));
}

struct Q4_0 {
    static constexpr size_t kBytes = 18;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = -8.0f * out.d;
        unpackNibbles(p + 2, out);
    }
};

struct Q4_1 {
    static constexpr size_t kBytes = 20;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = loadHalf(p + 2);
        unpackNibbles(p + 4, out);
    }
};

struct Q5_0 {
    static constexpr size_t kBytes = 22;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = -16.0f * out.d;
        unpackNibbles(p + 6, out);
        addFifthBits(loadU32(p + 2), out);
    }
};

struct Q5_1 {
    static constexpr size_t kBytes = 24;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = loadHalf(p + 2);
        unpackNibbles(p + 8, out);
        addFifthBits(loadU32(p + 4), out);
    }
};

struct Q8_0 {
    static constexpr size_t kBytes = 34;
    static void decode(const uint8_t* p, DecodedBlock& out) {
        out.d = loadHalf(p);
        out.offset = 0.0f;
        out.lo = vld1q_s8(reinterpret_cast<const int8_t*>(p + 2));
        out.hi = vld1q_s8(reinterpret_cast<const int8_t*>(p + 18));
    }
};

int32x4_t dot32(const DecodedBlock& w, const int8_t* q) {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w.lo, vld1q_s8(q)), w.hi, vld1q_s8(q + 16));
}

// Refined: input c is the pair of rows 2c and 2c + 1 (kernel_table.h),
// whose sums meet in int32 lanes, the 8-bit row's times 256.
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
            const uint8_t* fine = xb + xStride;
            float dx, sx;
            // The fine row's step is exactly the coarse one's / 256.
            std::memcpy(&dx, (Refined ? fine : xb) + offsetof(ActivationQ8_0, d), 4);
            std::memcpy(&sx, xb + offsetof(ActivationQ8_0, sum), 4);
            if constexpr (Refined) {
                float rest;
                std::memcpy(&rest, fine + offsetof(ActivationQ8_0, sum), 4);
                sx += rest;
            }
            const auto* qx = reinterpret_cast<const int8_t*>(xb + offsetof(ActivationQ8_0, q));
            const auto* rx = reinterpret_cast<const int8_t*>(fine + offsetof(ActivationQ8_0, q));
            for (int r = 0; r < rows; ++r) {
                int32x4_t dot = dot32(weights[r], qx);
                if constexpr (Refined) dot = vaddq_s32(vshlq_n_s32(dot, 8), dot32(weights[r], rx));
                acc[c][r] += weights[r].d * dx * float(vaddvq_s32(dot)) + weights[r].offset * sx;
            }
        }
    }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[c * ldy + r] = acc[c][r];
}

template <class Format>
void set(KernelTable& table, GgmlType type) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::Q8_0, dotTile<Format, false>, dotTile<Format, true>};
}

}  // namespace

// The portable Q8_0 quantizer stays: it runs once per input row, against
// rows * k / 32 block products here.
void addLegacyNeon(KernelTable& table) {
    set<Q4_0>(table, GgmlType::Q4_0);
    set<Q4_1>(table, GgmlType::Q4_1);
    set<Q5_0>(table, GgmlType::Q5_0);
    set<Q5_1>(table, GgmlType::Q5_1);
    set<Q8_0>(table, GgmlType::Q8_0);
}

}  // namespace nibble::cpu
