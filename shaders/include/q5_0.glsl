// Q5_0 blocks: 32 weights in 22 bytes (engine/tensor/block_formats.h).
//   0  half d
//   2  u8   qh[4]    one little-endian u32 h: bit j of h is bit 4 of q[j]
//   6  u8   qs[16]   low 4 bits: nibble lo of qs[j] for q[j], nibble hi for q[j+16]
//   w[j] = d * (q[j] - 16)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q5_0_GLSL
#define NIBBLE_Q5_0_GLSL

const uint Q5_0_BLOCK_WEIGHTS = 32u;
const uint Q5_0_BLOCK_BYTES = 22u;

// The 32 weights of the block that starts at byte `block`, in order.
void dequant_block_q5_0(uint block, out float v[32]) {
    const float d = readHalf(block);
    const uint h = readU32(block + 2u);
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint q = readU32(block + 6u + 4u * i);
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const uint j = 4u * i + t;
            const uint lo = ((q >> (8u * t)) & 15u) | (((h >> j) & 1u) << 4);
            const uint hi = ((q >> (8u * t + 4u)) & 15u) | (((h >> (j + 16u)) & 1u) << 4);
            v[j] = d * (float(lo) - 16.0);
            v[j + 16u] = d * (float(hi) - 16.0);
        }
    }
}

// Units of decode_unit.glsl: one block each.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_block_q5_0((row) + (unit) * Q5_0_BLOCK_BYTES, v)

#endif
