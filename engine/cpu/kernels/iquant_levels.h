#pragma once
// The i-quants, the ternary TQ1_0/TQ2_0 and MXFP4 decoded into small signed
// integers (iquant_portable.cpp says why each fits), shared by the kernel
// files that take them with integer dot products. Include it after the
// file's `#pragma GCC target`, with tensor/block_decode.h included before it
// (its inline functions must not be compiled for a wider set): these have
// internal linkage, so each file compiles its own copy for its own target
// (as avx2_lanes.h).
#include "cpu/kernel_table.h"
#include "tensor/block_decode.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

// The 32 levels of a block whose qs hold index j in the low nibble of byte j
// and index j + 16 in its high nibble.
[[maybe_unused]] void unpackLevels(const uint8_t* qs, const int8_t* levels, int8_t* q) {
    for (int j = 0; j < 16; ++j) {
        q[j] = levels[qs[j] & 0x0f];
        q[j + 16] = levels[qs[j] >> 4];
    }
}

// One block of 32: its scale and its levels.
[[maybe_unused]] float decodeBlock(const BlockIQ4_NL& b, int8_t* q) {
    unpackLevels(b.qs, kIq4nlValues, q);
    return halfToFloat(b.d);
}

[[maybe_unused]] float decodeBlock(const BlockMXFP4& b, int8_t* q) {
    unpackLevels(b.qs, kMxfp4Values, q);
    return e8m0Half(b.e);
}

// Where a 32-weight block of 4-bit indices (IQ4_NL, MXFP4) keeps its levels
// and its scale, for the kernels that look the indices up themselves.
template <typename Block>
struct NibbleBlock;

template <>
struct NibbleBlock<BlockIQ4_NL> {
    static constexpr const int8_t* kValues = kIq4nlValues;
    static float scale(const uint8_t* block) {
        uint16_t bits;
        std::memcpy(&bits, block + offsetof(BlockIQ4_NL, d), sizeof bits);
        return halfToFloat(bits);
    }
};

template <>
struct NibbleBlock<BlockMXFP4> {
    static constexpr const int8_t* kValues = kMxfp4Values;
    static float scale(const uint8_t* block) { return e8m0Half(block[offsetof(BlockMXFP4, e)]); }
};

struct DecodedSuperBlock {
    int8_t q[256];
    int32_t scales[16];  // one per 16 weights
    float d;
};

[[maybe_unused]] void setScale32(DecodedSuperBlock& out, int s32, int32_t scale) {
    out.scales[2 * s32] = out.scales[2 * s32 + 1] = scale;
}

[[maybe_unused]] void decodeInto(const BlockIQ4_XS& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        setScale32(out, s, iq4xsScale(b, s) - 32);
        unpackLevels(b.qs + 16 * s, kIq4nlValues, out.q + 32 * s);
    }
}

// For each 8 sign bits, a word whose byte t is 0xff where bit t is set.
constexpr auto kSignBytes = [] {
    std::array<uint64_t, 256> masks{};
    for (uint64_t bits = 0; bits < 256; ++bits)
        for (int t = 0; t < 8; ++t)
            if ((bits >> t) & 1) masks[bits] |= uint64_t(0xff) << (8 * t);
    return masks;
}();

// A group of n (4 or 8) grid magnitudes with their sign bits applied, all
// bytes of a word at once: a magnitude m (1..127) with its mask byte 0xff
// becomes (m ^ 0xff) + 1 = 256 - m, which carries into no other byte.
static_assert(std::endian::native == std::endian::little, "byte t of a loaded word is bits 8t..8t+7");
[[maybe_unused]] void signedGrid(const uint8_t* grid, uint32_t signs, int8_t* q, int n) {
    uint64_t g = 0;
    std::memcpy(&g, grid, size_t(n));
    const uint64_t mask = kSignBytes[signs & 0xff];
    g = (g ^ mask) + (mask & 0x0101010101010101u);
    std::memcpy(q, &g, size_t(n));
}

[[maybe_unused]] void decodeInto(const BlockIQ3_XXS& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d) * 0.25f;
    for (int s = 0; s < 8; ++s) {
        const uint32_t a = loadU32(b.signs + 4 * s);
        setScale32(out, s, int32_t(2 * (a >> 28) + 1));
        for (int l = 0; l < 4; ++l) {
            const uint32_t signs = iqSignBits((a >> (7 * l)) & 127);
            int8_t* q = out.q + 32 * s + 8 * l;
            signedGrid(kIq3xxsGrid[b.qs[8 * s + 2 * l]], signs, q, 4);
            signedGrid(kIq3xxsGrid[b.qs[8 * s + 2 * l + 1]], signs >> 4, q + 4, 4);
        }
    }
}

[[maybe_unused]] void decodeInto(const BlockIQ2_XXS& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d) * 0.125f;
    for (int s = 0; s < 8; ++s) {
        const uint8_t* group = b.qs + 8 * s;
        const uint32_t a = loadU32(group + 4);
        setScale32(out, s, int32_t(2 * (a >> 28) + 1));
        for (int l = 0; l < 4; ++l)
            signedGrid(kIq2xxsGrid[group[l]], iqSignBits((a >> (7 * l)) & 127), out.q + 32 * s + 8 * l, 8);
    }
}

[[maybe_unused]] void decodeInto(const BlockIQ3_S& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        setScale32(out, s, 1 + 2 * ((b.scales[s / 2] >> (4 * (s % 2))) & 0x0f));
        for (int l = 0; l < 4; ++l) {
            const uint32_t signs = b.signs[4 * s + l];
            int8_t* q = out.q + 32 * s + 8 * l;
            signedGrid(kIq3sGrid[b.qs[8 * s + 2 * l] | (((b.qh[s] >> (2 * l)) & 1) << 8)], signs, q, 4);
            signedGrid(kIq3sGrid[b.qs[8 * s + 2 * l + 1] | (((b.qh[s] >> (2 * l + 1)) & 1) << 8)], signs >> 4, q + 4, 4);
        }
    }
}

[[maybe_unused]] void decodeInto(const BlockIQ2_XS& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d) * 0.125f;
    for (int s = 0; s < 8; ++s) {
        out.scales[2 * s] = 2 * (b.scales[s] & 0x0f) + 1;
        out.scales[2 * s + 1] = 2 * (b.scales[s] >> 4) + 1;
        for (int l = 0; l < 4; ++l) {
            const uint32_t q = b.qs[4 * s + l];
            signedGrid(kIq2xsGrid[q & 511], iqSignBits(q >> 9), out.q + 32 * s + 8 * l, 8);
        }
    }
}

[[maybe_unused]] void decodeInto(const BlockIQ2_S& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d) * 0.125f;
    for (int s = 0; s < 8; ++s) {
        out.scales[2 * s] = 2 * (b.scales[s] & 0x0f) + 1;
        out.scales[2 * s + 1] = 2 * (b.scales[s] >> 4) + 1;
        for (int l = 0; l < 4; ++l)
            signedGrid(kIq2sGrid[b.qs[4 * s + l] | (((b.qh[s] >> (2 * l)) & 3) << 8)], b.signs[4 * s + l],
                       out.q + 32 * s + 8 * l, 8);
    }
}

// Eight IQ1 weights, 8 * grid + delta with delta = +-1 (the 8 * kIq1Delta).
[[maybe_unused]] void iq1Group(const int8_t* grid, int delta, int8_t* q) {
    for (int t = 0; t < 8; ++t) q[t] = int8_t(8 * grid[t] + delta);
}

[[maybe_unused]] void decodeInto(const BlockIQ1_S& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d) * 0.125f;
    for (int s = 0; s < 8; ++s) {
        const uint32_t qh = b.qh[s];
        setScale32(out, s, int32_t(2 * ((qh >> 12) & 7) + 1));
        for (int l = 0; l < 4; ++l)
            iq1Group(kIq1sGrid[b.qs[4 * s + l] | (((qh >> (3 * l)) & 7) << 8)], qh & 0x8000 ? -1 : 1,
                     out.q + 32 * s + 8 * l);
    }
}

[[maybe_unused]] void decodeInto(const BlockIQ1_M& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(iq1mScale(b.scales)) * 0.125f;
    for (int s = 0; s < 8; ++s) {
        const uint32_t sc = b.scales[s / 2] >> (6 * (s % 2));
        out.scales[2 * s] = int32_t(2 * (sc & 7) + 1);
        out.scales[2 * s + 1] = int32_t(2 * ((sc >> 3) & 7) + 1);
        for (int l = 0; l < 4; ++l) {
            const int g = 4 * s + l;
            const uint32_t n = (b.qh[g / 2] >> (4 * (g % 2))) & 15;
            iq1Group(kIq1sGrid[b.qs[g] | ((n & 7) << 8)], n & 8 ? -1 : 1, out.q + 8 * g);
        }
    }
}

[[maybe_unused]] void decodeInto(const BlockTQ2_0& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d);
    for (int32_t& scale : out.scales) scale = 1;
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l) out.q[128 * h + 32 * k + l] = int8_t(((b.qs[32 * h + l] >> (2 * k)) & 3) - 1);
}

[[maybe_unused]] void decodeInto(const BlockTQ1_0& __restrict b, DecodedSuperBlock& __restrict out) {
    out.d = halfToFloat(b.d);
    for (int32_t& scale : out.scales) scale = 1;
    // tq1Digit with the power of 3 hoisted, so that the byte loops vectorize.
    constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 32; ++m) out.q[32 * n + m] = int8_t(((uint8_t(b.qs[m] * kPow3[n]) * 3) >> 8) - 1);
    for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 16; ++m)
            out.q[160 + 16 * n + m] = int8_t(((uint8_t(b.qs[32 + m] * kPow3[n]) * 3) >> 8) - 1);
    for (int n = 0; n < 4; ++n)
        for (int j = 0; j < 4; ++j) out.q[240 + 4 * n + j] = int8_t(tq1Digit(b.qh[j], n) - 1);
}

// Registers make(Block{}) as the kernel of every type decodeInto serves but
// IQ4_XS, whose levels the kernel sets look up themselves.
template <typename Make>
void addGridKernels(KernelTable& table, Make make) {
    table.weights[static_cast<int>(GgmlType::IQ3_XXS)] = make(BlockIQ3_XXS{});
    table.weights[static_cast<int>(GgmlType::IQ2_XXS)] = make(BlockIQ2_XXS{});
    table.weights[static_cast<int>(GgmlType::IQ3_S)] = make(BlockIQ3_S{});
    table.weights[static_cast<int>(GgmlType::IQ2_XS)] = make(BlockIQ2_XS{});
    table.weights[static_cast<int>(GgmlType::IQ2_S)] = make(BlockIQ2_S{});
    table.weights[static_cast<int>(GgmlType::IQ1_S)] = make(BlockIQ1_S{});
    table.weights[static_cast<int>(GgmlType::IQ1_M)] = make(BlockIQ1_M{});
    table.weights[static_cast<int>(GgmlType::TQ2_0)] = make(BlockTQ2_0{});
    table.weights[static_cast<int>(GgmlType::TQ1_0)] = make(BlockTQ1_0{});
}


}  // namespace
}  // namespace nibble::cpu
