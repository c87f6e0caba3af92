// TQ2_0 super-blocks: 256 ternary weights in 66 bytes (engine/tensor/block_formats.h).
//   0   u8   qs[64]      weights 128*h + 32*k + l (h < 2, k < 4, l < 32) are
//                        bits 2k..2k+1 of qs[32*h + l]  (Q2_K's placement)
//   64  half d
//   w[j] = d * (q[j] - 1)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_TQ2_0_GLSL
#define NIBBLE_TQ2_0_GLSL

const uint TQ2_0_BLOCK_WEIGHTS = 256u;
const uint TQ2_0_BLOCK_BYTES = 66u;

// Weights 32*part .. 32*part + 31 (part < 8) of the super-block that starts
// at byte `block`, in order.
void dequant_tq2_0(uint block, uint part, out float v[32]) {
    const float d = readHalf(block + 64u);
    const uint qs = block + 32u * (part >> 2);
    const uint shift = 2u * (part & 3u);
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        const uint q = readU32(qs + 4u * i) >> shift;
        [[unroll]] for (uint t = 0u; t < 4u; ++t) v[4u * i + t] = d * (float((q >> (8u * t)) & 3u) - 1.0);
    }
}

// Units of decode_unit.glsl: 32 weights each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_tq2_0((row) + ((unit) >> 3) * TQ2_0_BLOCK_BYTES, (unit) & 7u, v)

#endif
