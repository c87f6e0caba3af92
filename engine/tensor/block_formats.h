#pragma once
// Block layouts of the quantized GGUF tensor types, byte for byte as ggml
// stores them (ggml-common.h). A row of n weights is n / kWeights blocks laid
// end to end, with no padding between blocks; every multi-byte field is
// little-endian. `half` fields are IEEE fp16 bit patterns (see half.h).
//
// The Vulkan shaders read the same bytes, so each layout lists its fields in
// order with their byte offsets, and how weight j of the block is decoded.
// "nibble lo/hi" means the low / high 4 bits of a byte.
//
// The structs are only ever filled with std::memcpy from the raw bytes: the
// tensor data of a row carries no alignment guarantee beyond one byte.
#include "tensor/ggml_type.h"

#include <bit>
#include <cstdint>

namespace nibble::blocks {

// Weights in a K-quant super-block.
inline constexpr int kSuperBlock = 256;

// ---------------------------------------------------------------- legacy, 32 weights

// Q4_0, 18 bytes. w[j] = d * (q[j] - 8)
//   0  half d
//   2  u8   qs[16]   q[j] = nibble lo of qs[j], q[j+16] = nibble hi of qs[j]  (j < 16)
struct BlockQ4_0 {
    static constexpr GgmlType kType = GgmlType::Q4_0;
    static constexpr int kWeights = 32;
    uint16_t d;
    uint8_t qs[16];
};

// Q4_1, 20 bytes. w[j] = d * q[j] + m
//   0  half d
//   2  half m
//   4  u8   qs[16]   as Q4_0, q in 0..15
struct BlockQ4_1 {
    static constexpr GgmlType kType = GgmlType::Q4_1;
    static constexpr int kWeights = 32;
    uint16_t d;
    uint16_t m;
    uint8_t qs[16];
};

// Q5_0, 22 bytes. w[j] = d * (q[j] - 16), q 5 bits
//   0  half d
//   2  u8   qh[4]    read as one little-endian u32 h: bit j of h is bit 4 of q[j] (j < 32)
//   6  u8   qs[16]   low 4 bits, as Q4_0
struct BlockQ5_0 {
    static constexpr GgmlType kType = GgmlType::Q5_0;
    static constexpr int kWeights = 32;
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[16];
};

// Q5_1, 24 bytes. w[j] = d * q[j] + m, q 5 bits as Q5_0
//   0  half d
//   2  half m
//   4  u8   qh[4]
//   8  u8   qs[16]
struct BlockQ5_1 {
    static constexpr GgmlType kType = GgmlType::Q5_1;
    static constexpr int kWeights = 32;
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[16];
};

// Q8_0, 34 bytes. w[j] = d * qs[j]
//   0  half d
//   2  i8   qs[32]
struct BlockQ8_0 {
    static constexpr GgmlType kType = GgmlType::Q8_0;
    static constexpr int kWeights = 32;
    uint16_t d;
    int8_t qs[32];
};

// ---------------------------------------------------------------- K-quants, 256 weights
//
// A super-block is cut into sub-blocks (16 of 16 weights, or 8 of 32) that
// each have their own small integer scale (and min), themselves scaled by
// the super-block's half d (and dmin).

// Q2_K, 84 bytes. Sub-block s = j / 16 (16 sub-blocks of 16 weights).
//   0   u8   scales[16]  scale = nibble lo of scales[s], min = nibble hi
//   16  u8   qs[64]      2-bit q: weights 128*h + 32*k + l (h < 2, k < 4, l < 32) are
//                        bits 2k..2k+1 of qs[32*h + l]
//   80  half d
//   82  half dmin
//   w[j] = (d * scale) * q - (dmin * min)
struct BlockQ2_K {
    static constexpr GgmlType kType = GgmlType::Q2_K;
    static constexpr int kWeights = kSuperBlock;
    uint8_t scales[16];
    uint8_t qs[64];
    uint16_t d;
    uint16_t dmin;
};

// Q3_K, 110 bytes. Sub-block s = j / 16.
//   0   u8   hmask[32]   high bit: weight 32*k + l (k < 8, l < 32) is bit k of hmask[l]
//   32  u8   qs[64]      low 2 bits, placed as Q2_K's qs
//   96  u8   scales[12]  16 signed 6-bit scales, stored +32:
//                          low 4 bits of scale s: s < 8: nibble lo of scales[s]
//                                                 s >= 8: nibble hi of scales[s-8]
//                          high 2 bits of scale s: bits 2*(s/4)..+1 of scales[8 + s%4]
//   108 half d
//   w[j] = (d * (scale6 - 32)) * (low2 - (high bit set ? 0 : 4))
struct BlockQ3_K {
    static constexpr GgmlType kType = GgmlType::Q3_K;
    static constexpr int kWeights = kSuperBlock;
    uint8_t hmask[32];
    uint8_t qs[64];
    uint8_t scales[12];
    uint16_t d;
};

// Q4_K, 144 bytes. Sub-block s = j / 32 (8 sub-blocks of 32 weights).
//   0   half d
//   2   half dmin
//   4   u8   scales[12]  8 unsigned 6-bit scales sc[s] and mins mn[s]:
//                          s < 4:  sc = scales[s] & 63,    mn = scales[s+4] & 63
//                          s >= 4: sc = (scales[s+4] & 15) | ((scales[s-4] >> 6) << 4)
//                                  mn = (scales[s+4] >> 4) | ((scales[s]   >> 6) << 4)
//   16  u8   qs[128]     4-bit q: weights 64*c + l and 64*c + 32 + l (c < 4, l < 32)
//                        are nibble lo / hi of qs[32*c + l]
//   w[j] = (d * sc[s]) * q - (dmin * mn[s])
struct BlockQ4_K {
    static constexpr GgmlType kType = GgmlType::Q4_K;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qs[128];
};

// Q5_K, 176 bytes. Sub-block s = j / 32; scales as Q4_K.
//   0   half d
//   2   half dmin
//   4   u8   scales[12]
//   16  u8   qh[32]      bit 4 of q: weight 32*s + l is bit s of qh[l]
//   48  u8   qs[128]     low 4 bits, placed as Q4_K's qs
//   w[j] = (d * sc[s]) * q - (dmin * mn[s])
struct BlockQ5_K {
    static constexpr GgmlType kType = GgmlType::Q5_K;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
};

// Q6_K, 210 bytes. Sub-block s = j / 16.
//   0   u8   ql[128]     low 4 bits: for half h < 2 and l < 32, of weights 128*h + l, +32, +64, +96:
//                          nibble lo of ql[64h + l], nibble lo of ql[64h + 32 + l],
//                          nibble hi of ql[64h + l], nibble hi of ql[64h + 32 + l]
//   128 u8   qh[64]      high 2 bits of those four: bits 0-1, 2-3, 4-5, 6-7 of qh[32h + l]
//   192 i8   scales[16]
//   208 half d
//   w[j] = (d * scales[s]) * (q6 - 32)
struct BlockQ6_K {
    static constexpr GgmlType kType = GgmlType::Q6_K;
    static constexpr int kWeights = kSuperBlock;
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
};

// ---------------------------------------------------------------- i-quants
//
// IQ4_NL and IQ4_XS store 4-bit indices into one fixed table of 16 signed
// levels, spaced closer near zero where most weights are (kIq4nlValues).

// The levels of IQ4_NL and IQ4_XS (ggml's kvalues_iq4nl).
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// IQ4_NL, 18 bytes. w[j] = d * kIq4nlValues[q[j]]
//   0  half d
//   2  u8   qs[16]   q[j] = nibble lo of qs[j], q[j+16] = nibble hi of qs[j]  (j < 16)
struct BlockIQ4_NL {
    static constexpr GgmlType kType = GgmlType::IQ4_NL;
    static constexpr int kWeights = 32;
    uint16_t d;
    uint8_t qs[16];
};

// IQ4_XS, 136 bytes. Sub-block s = j / 32 (8 sub-blocks of 32 weights).
//   0   half d
//   2   u16  scales_h    bits 2s..2s+1: the high 2 bits of the 6-bit scale of sub-block s
//   4   u8   scales_l[4] the low 4 bits of that scale: nibble lo / hi of scales_l[s/2] for s even / odd
//   8   u8   qs[128]     sub-block s in qs[16*s .. 16*s+15], placed as IQ4_NL's qs
//   w[j] = (d * (scale6 - 32)) * kIq4nlValues[q[j]]
struct BlockIQ4_XS {
    static constexpr GgmlType kType = GgmlType::IQ4_XS;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint16_t scales_h;
    uint8_t scales_l[4];
    uint8_t qs[128];
};

// The 6-bit scale of sub-block s (0..7) of an IQ4_XS block, without its -32,
// from its scales_l bytes and scales_h bits.
inline int iq4xsScale(const uint8_t* scalesL, uint16_t scalesH, int s) {
    return ((scalesL[s / 2] >> (4 * (s % 2))) & 0x0f) | (((scalesH >> (2 * s)) & 3) << 4);
}
inline int iq4xsScale(const BlockIQ4_XS& b, int s) { return iq4xsScale(b.scales_l, b.scales_h, s); }

// ---------------------------------------------------------------- ternary, 256 weights
//
// TQ1_0 and TQ2_0 hold weights that are -1, 0 or +1 times one scale per
// super-block (models trained ternary, such as BitNet b1.58).

// TQ1_0, 54 bytes. Five weights to a byte in base 3, stored as a fraction of
// 256 so a multiply brings each digit to the top: digit n of byte b is
// t = ((uint8_t)(b * 3^n) * 3) >> 8, and w = d * (t - 1).
//   0   u8   qs[48]      weights 32*n + m (n < 5, m < 32): digit n of qs[m];
//                        weights 160 + 16*n + m (n < 5, m < 16): digit n of qs[32 + m]
//   48  u8   qh[4]       weights 240 + 4*n + j (n < 4, j < 4): digit n of qh[j]
//   52  half d
struct BlockTQ1_0 {
    static constexpr GgmlType kType = GgmlType::TQ1_0;
    static constexpr int kWeights = kSuperBlock;
    uint8_t qs[48];
    uint8_t qh[4];
    uint16_t d;
};

// Digit n (0..4) of a TQ1_0 byte, 0..2.
inline int tq1Digit(uint8_t byte, int n) {
    constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    return (int(uint8_t(byte * kPow3[n])) * 3) >> 8;
}

// TQ2_0, 66 bytes. w[j] = d * (q[j] - 1), q 2 bits (0..3: a 3 decodes as +2, which no quantizer writes)
//   0   u8   qs[64]      weights 128*h + 32*k + l (h < 2, k < 4, l < 32) are
//                        bits 2k..2k+1 of qs[32*h + l]  (Q2_K's placement)
//   64  half d
struct BlockTQ2_0 {
    static constexpr GgmlType kType = GgmlType::TQ2_0;
    static constexpr int kWeights = kSuperBlock;
    uint8_t qs[64];
    uint16_t d;
};

// ---------------------------------------------------------------- microscaling, 32 weights

// The FP4 (E2M1) values MXFP4 indexes, doubled to integers (ggml's kvalues_mxfp4).
inline constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// MXFP4, 17 bytes. w[j] = kMxfp4Values[q[j]] * 2^(e - 128)  (half the E8M0 scale 2^(e - 127),
// as the values are doubled)
//   0  u8   e        E8M0 exponent
//   1  u8   qs[16]   q[j] = nibble lo of qs[j], q[j+16] = nibble hi of qs[j]  (j < 16)
struct BlockMXFP4 {
    static constexpr GgmlType kType = GgmlType::MXFP4;
    static constexpr int kWeights = 32;
    uint8_t e;
    uint8_t qs[16];
};

// The grid i-quants (IQ3_XXS, ...) store each group of 8 (or 4) weights as an
// index into a fixed grid of magnitude vectors (tensor/iq_grids.h, generated
// from gguf-py at build time), a sign pattern, and a small per-sub-block
// scale. Sign patterns of 8 weights are stored as 7 bits: the 8th sign is
// the one that makes the number of minus signs even (iqSignBits).

// The 8 sign bits (bit t set: weight t of the group is negated) a 7-bit
// sign index stands for; ggml's ksigns_iq2xs table.
constexpr uint32_t iqSignBits(uint32_t index7) { return index7 | (uint32_t(std::popcount(index7) & 1) << 7); }

// IQ3_XXS, 98 bytes. Sub-block s = j / 32 (8 of 32 weights), each 4 groups
// l of 8 weights, each group two grid entries of 4.
//   0   half d
//   2   u8   qs[64]      weights 32s + 8l + 4h + t (l < 4, h < 2, t < 4) are kIq3xxsGrid[qs[8s + 2l + h]][t]
//   66  u8   signs[32]   bytes 4s..4s+3, a little-endian u32 a: bits 7l..7l+6 the sign index
//                        of group l (iqSignBits), bits 28..31 the scale
//   w[j] = (d * (0.5 + scale) * 0.5) * grid * (sign bit j % 8 ? -1 : 1)
struct BlockIQ3_XXS {
    static constexpr GgmlType kType = GgmlType::IQ3_XXS;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint8_t qs[64];
    uint8_t signs[32];
};

// IQ2_XXS, 66 bytes. Sub-block s = j / 32, each 4 groups l of 8 weights.
//   0   half d
//   2   u8   qs[64]      8 bytes per sub-block s: bytes 8s + l (l < 4) the grid entries (kIq2xxsGrid) of
//                        groups l; bytes 8s+4..8s+7 a little-endian u32 a: bits 7l..7l+6 the sign index
//                        of group l (iqSignBits), bits 28..31 the scale
//   w[j] = (d * (0.5 + scale) * 0.25) * grid * (sign bit j % 8 ? -1 : 1)
struct BlockIQ2_XXS {
    static constexpr GgmlType kType = GgmlType::IQ2_XXS;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint8_t qs[64];
};

// IQ3_S, 110 bytes. Sub-block s = j / 32, each 4 groups l of 8 weights, each
// group two grid entries of 4 (kIq3sGrid, 512 entries: 9-bit indices).
//   0   half d
//   2   u8   qs[64]      low 8 bits of the entries: weights 32s + 8l + 4h + t (h < 2, t < 4) are
//                        entry qs[8s + 2l + h] | (bit 2l + h of qh[s]) << 8, value t
//   66  u8   qh[8]
//   74  u8   signs[32]   bit t of signs[4s + l]: weight 32s + 8l + t is negated
//   106 u8   scales[4]   the 4-bit scale of sub-block s: nibble lo / hi of scales[s/2] for s even / odd
//   w[j] = (d * (1 + 2 * scale)) * grid * (sign ? -1 : 1)
struct BlockIQ3_S {
    static constexpr GgmlType kType = GgmlType::IQ3_S;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint8_t qs[64];
    uint8_t qh[8];
    uint8_t signs[32];
    uint8_t scales[4];
};

// IQ2_XS, 74 bytes. Sub-block s = j / 32, each 4 groups l of 8 weights.
//   0   half d
//   2   u16  qs[32]      group l of sub-block s: qs[4s + l], bits 0..8 the grid entry (kIq2xsGrid),
//                        bits 9..15 the sign index (iqSignBits)
//   66  u8   scales[8]   scales[s]: nibble lo the scale of groups 0, 1, nibble hi of groups 2, 3
//   w[j] = (d * (0.5 + scale) * 0.25) * grid * (sign bit j % 8 ? -1 : 1)
struct BlockIQ2_XS {
    static constexpr GgmlType kType = GgmlType::IQ2_XS;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint16_t qs[32];
    uint8_t scales[8];
};

// IQ2_S, 82 bytes. Sub-block s = j / 32, each 4 groups l of 8 weights
// (kIq2sGrid, 1024 entries: 10-bit indices).
//   0   half d
//   2   u8   qs[32]      group l of sub-block s: grid entry qs[4s + l] | ((qh[s] >> 2l) & 3) << 8
//   34  u8   signs[32]   bit t of signs[4s + l]: weight 32s + 8l + t is negated
//   66  u8   qh[8]
//   74  u8   scales[8]   scales[s]: nibble lo the scale of groups 0, 1, nibble hi of groups 2, 3
//   w[j] = (d * (0.5 + scale) * 0.25) * grid * (sign ? -1 : 1)
struct BlockIQ2_S {
    static constexpr GgmlType kType = GgmlType::IQ2_S;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint8_t qs[32];
    uint8_t signs[32];
    uint8_t qh[8];
    uint8_t scales[8];
};

// IQ1_S and IQ1_M index a grid of 8 values of -1, 0, +1 (kIq1sGrid, 2048
// entries: 11-bit indices), add +-kIq1Delta to each and scale the group.
// No signs: the grid holds them.

// IQ1_S, 50 bytes. Sub-block s = j / 32, each 4 groups l of 8 weights.
//   0   half d
//   2   u8   qs[32]      group l of sub-block s: grid entry qs[4s + l] | ((qh[s] >> 3l) & 7) << 8
//   34  u16  qh[8]       qh[s]: bits 0..11 the entries' high bits, 12..14 the scale, 15 the delta's sign
//   w[j] = (d * (2 * scale + 1)) * (grid + (bit 15 ? -kIq1Delta : kIq1Delta))
struct BlockIQ1_S {
    static constexpr GgmlType kType = GgmlType::IQ1_S;
    static constexpr int kWeights = kSuperBlock;
    uint16_t d;
    uint8_t qs[32];
    uint16_t qh[8];
};

// IQ1_M, 56 bytes. Group g (g < 32) of 8 weights is in sub-block s = g / 4,
// half h = (g % 4) / 2 of it. d has no field of its own: its 16 bits are the
// top nibbles of the four scale words (iq1mScale).
//   0   u8   qs[32]      group g: grid entry qs[g] | (n & 7) << 8, n = nibble g % 2 of qh[g / 2]
//   32  u8   qh[16]      bit 3 of n: the delta's sign of group g
//   48  u16  scales[4]   bits 6(s % 2) + 3h .. + 2 of scales[s / 2]: the scale of half h of sub-block s;
//                        bits 12..15 of scales[k]: bits 4k..4k+3 of d
//   w[j] = (d * (2 * scale + 1)) * (grid + (bit 3 of n ? -kIq1Delta : kIq1Delta))
struct BlockIQ1_M {
    static constexpr GgmlType kType = GgmlType::IQ1_M;
    static constexpr int kWeights = kSuperBlock;
    uint8_t qs[32];
    uint8_t qh[16];
    uint16_t scales[4];
};

// The fp16 bits of an IQ1_M block's d, gathered from its scale words.
inline uint16_t iq1mScale(const uint16_t* scales) {
    return uint16_t((scales[0] >> 12) | ((scales[1] >> 8) & 0x00f0) | ((scales[2] >> 4) & 0x0f00) |
                    (scales[3] & 0xf000));
}

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockIQ4_NL) == 18 && sizeof(BlockIQ4_XS) == 136);
static_assert(sizeof(BlockTQ1_0) == 54 && sizeof(BlockTQ2_0) == 66 && sizeof(BlockMXFP4) == 17);
static_assert(sizeof(BlockIQ3_XXS) == 98 && sizeof(BlockIQ2_XXS) == 66 && sizeof(BlockIQ3_S) == 110);
static_assert(sizeof(BlockIQ2_XS) == 74 && sizeof(BlockIQ2_S) == 82);
static_assert(sizeof(BlockIQ1_S) == 50 && sizeof(BlockIQ1_M) == 56);

}  // namespace nibble::blocks
