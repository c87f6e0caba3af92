// Q5_1 blocks: 32 weights in 24 bytes (engine/tensor/block_formats.h).
//   0  half d
//   2  half m
//   4  u8   qh[4]    one little-endian u32 h: bit j of h is bit 4 of q[j]
//   8  u8   qs[16]   low 4 bits: nibble lo of qs[j] for q[j], nibble hi for q[j+16]
//   w[j] = d * q[j] + m
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q5_1_GLSL
#define NIBBLE_Q5_1_GLSL

const uint Q5_1_BLOCK_WEIGHTS = 32u;
const uint Q5_1_BLOCK_BYTES = 24u;

// The 32 weights of the block that starts at byte `block`, in order.
void dequant_block_q5_1(uint block, out float v[32]) {
    const float d = readHalf(block);
    const float m = readHalf(block + 2u);
    const uint h = readU32(block + 4u);
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint q = readU32(block + 8u + 4u * i);
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const uint j = 4u * i + t;
            const uint lo = ((q >> (8u * t)) & 15u) | (((h >> j) & 1u) << 4);
            const uint hi = ((q >> (8u * t + 4u)) & 15u) | (((h >> (j + 16u)) & 1u) << 4);
            v[j] = d * float(lo) + m;
            v[j + 16u] = d * float(hi) + m;
        }
    }
}

// Units of decode_unit.glsl: one block each.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_block_q5_1((row) + (unit) * Q5_1_BLOCK_BYTES, v)

#endif
