// Q4_0 blocks: 32 weights in 18 bytes (engine/tensor/block_formats.h).
//   0  half d
//   2  u8   qs[16]   q[j] = nibble lo of qs[j], q[j+16] = nibble hi of qs[j]
//   w[j] = d * (q[j] - 8)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q4_0_GLSL
#define NIBBLE_Q4_0_GLSL

const uint Q4_0_BLOCK_WEIGHTS = 32u;
const uint Q4_0_BLOCK_BYTES = 18u;

// The 32 weights of the block that starts at byte `block`, in order.
void dequant_block_q4_0(uint block, out float v[32]) {
    const float d = readHalf(block);
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint q = readU32(block + 2u + 4u * i);
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            v[4u * i + t] = d * (float((q >> (8u * t)) & 15u) - 8.0);
            v[4u * i + t + 16u] = d * (float((q >> (8u * t + 4u)) & 15u) - 8.0);
        }
    }
}

// Units of decode_unit.glsl: one block each.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_block_q4_0((row) + (unit) * Q4_0_BLOCK_BYTES, v)

#endif
