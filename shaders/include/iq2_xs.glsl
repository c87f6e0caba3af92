// IQ2_XS super-blocks: 256 weights in 74 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u16  qs[32]      group l (of 8 weights) of sub-block s: qs[4s + l], bits 0..8 the grid entry,
//                        bits 9..15 the sign index
//   66  u8   scales[8]   scales[s]: nibble lo the scale of groups 0, 1, nibble hi of groups 2, 3
//   w[j] = (d * (0.5 + scale) * 0.25) * grid * (sign bit j % 8 ? -1 : 1),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ2_XS_GLSL
#define NIBBLE_IQ2_XS_GLSL

#include "iq_grid.glsl"

const uint IQ2_XS_BLOCK_WEIGHTS = 256u;
const uint IQ2_XS_BLOCK_BYTES = 74u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq2_xs(uint block, uint part, out float v[32]) {
    const uint scales = readU8(block + 66u + part);
    const float d = readHalf(block);
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const float db = d * (0.5 + float((scales >> (4u * (l >> 1))) & 15u)) * 0.25;
        const uint q = readU16(block + 2u + 8u * part + 2u * l);
        const uint signs = iq_sign_bits(q >> 9);
        const uint code = IQ_GRID_CODE(IQ2XS, q & 511u);
        [[unroll]] for (uint t = 0u; t < 8u; ++t)
            v[8u * l + t] = db * IQ_GRID_VALUE(IQ2XS, code, t) * iq_sign(signs, t);
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq2_xs((row) + ((unit) >> 3) * IQ2_XS_BLOCK_BYTES, (unit) & 7u, v)

#endif
