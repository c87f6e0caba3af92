// IQ4_XS super-blocks: 256 weights in 136 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u16  scales_h    bits 2s..2s+1: high 2 bits of the 6-bit scale of sub-block s
//   4   u8   scales_l[4] low 4 bits: nibble lo / hi of scales_l[s/2] for s even / odd
//   8   u8   qs[128]     sub-block s in qs[16*s ..], placed as IQ4_NL's qs
//   w[j] = (d * (scale6 - 32)) * IQ4_LEVELS[q[j]],  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ4_XS_GLSL
#define NIBBLE_IQ4_XS_GLSL

#include "iq4_levels.glsl"

const uint IQ4_XS_BLOCK_WEIGHTS = 256u;
const uint IQ4_XS_BLOCK_BYTES = 136u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq4_xs(uint block, uint part, out float v[32]) {
    const uint low = (readU8(block + 4u + (part >> 1)) >> (4u * (part & 1u))) & 15u;
    const uint high = (readU16(block + 2u) >> (2u * part)) & 3u;
    const float d = readHalf(block) * (float(low | (high << 4)) - 32.0);
    iq4_group(block + 8u + 16u * part, d, v);
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq4_xs((row) + ((unit) >> 3) * IQ4_XS_BLOCK_BYTES, (unit) & 7u, v)

#endif
