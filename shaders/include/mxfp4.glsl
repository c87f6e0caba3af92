// MXFP4 blocks: 32 weights in 17 bytes (engine/tensor/block_formats.h).
//   0  u8   e        E8M0 exponent
//   1  u8   qs[16]   q[j] = nibble lo of qs[j], q[j+16] = nibble hi of qs[j]
//   w[j] = MXFP4_VALUES[q[j]] * 2^(e - 128)  (the FP4 values doubled, the scale halved)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_MXFP4_GLSL
#define NIBBLE_MXFP4_GLSL

const uint MXFP4_BLOCK_WEIGHTS = 32u;
const uint MXFP4_BLOCK_BYTES = 17u;

const float MXFP4_VALUES[16] = float[16](0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0,
                                         0.0, -1.0, -2.0, -3.0, -4.0, -6.0, -8.0, -12.0);

// The 32 weights of the block that starts at byte `block`, in order.
void dequant_block_mxfp4(uint block, out float v[32]) {
    const uint e = readU8(block);
    // As ggml_e8m0_to_fp32_half: exponents 0 and 1 give subnormals.
    const float d = uintBitsToFloat(e < 2u ? 0x00200000u << e : (e - 1u) << 23);
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint q = readU32(block + 1u + 4u * i);
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            v[4u * i + t] = MXFP4_VALUES[(q >> (8u * t)) & 15u] * d;
            v[4u * i + t + 16u] = MXFP4_VALUES[(q >> (8u * t + 4u)) & 15u] * d;
        }
    }
}

// Units of decode_unit.glsl: one block each.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_block_mxfp4((row) + (unit) * MXFP4_BLOCK_BYTES, v)

#endif
