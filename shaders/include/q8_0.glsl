// Q8_0 blocks: 32 weights in 34 bytes (engine/tensor/block_formats.h).
//   0  half d
//   2  i8   qs[32]
//   w[j] = d * qs[j]
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q8_0_GLSL
#define NIBBLE_Q8_0_GLSL

const uint Q8_0_BLOCK_WEIGHTS = 32u;
const uint Q8_0_BLOCK_BYTES = 34u;

// The 32 weights of the block that starts at byte `block`, in order.
void dequant_block_q8_0(uint block, out float v[32]) {
    const float d = readHalf(block);
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        const int q = int(readU32(block + 2u + 4u * i));
        [[unroll]] for (uint t = 0u; t < 4u; ++t) v[4u * i + t] = d * float(bitfieldExtract(q, int(8u * t), 8));
    }
}

// Units of decode_unit.glsl: one block each.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_block_q8_0((row) + (unit) * Q8_0_BLOCK_BYTES, v)

#endif
