// Q5_K super-blocks: 256 weights in 176 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   half dmin
//   4   u8   scales[12]  as Q4_K (k_scales.glsl)
//   16  u8   qh[32]      bit 4 of q: weight 32*s + l is bit s of qh[l]
//   48  u8   qs[128]     low 4 bits, placed as Q4_K's qs
//   w[j] = (d * sc[s]) * q - (dmin * mn[s]),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q5_K_GLSL
#define NIBBLE_Q5_K_GLSL

#include "k_scales.glsl"

const uint Q5_K_BLOCK_WEIGHTS = 256u;
const uint Q5_K_BLOCK_BYTES = 176u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_q5_k(uint block, uint part, out float v[32]) {
    uint sc, mn;
    k_scale_min(block + 4u, part, sc, mn);
    const float scale = readHalf(block) * float(sc);
    const float minimum = readHalf(block + 2u) * float(mn);
    const uint qs = block + 48u + 32u * (part >> 1);
    const uint shift = 4u * (part & 1u);
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        const uint q = readU32(qs + 4u * i) >> shift;
        const uint h = readU32(block + 16u + 4u * i) >> part;
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const uint value = ((q >> (8u * t)) & 15u) | (((h >> (8u * t)) & 1u) << 4);
            v[4u * i + t] = scale * float(value) - minimum;
        }
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_q5_k((row) + ((unit) >> 3) * Q5_K_BLOCK_BYTES, (unit) & 7u, v)

#endif
