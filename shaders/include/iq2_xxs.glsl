// IQ2_XXS super-blocks: 256 weights in 66 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u8   qs[64]      8 bytes per sub-block s: bytes 8s + l (l < 4) the grid entries of groups l of 8;
//                        bytes 8s+4..8s+7 a u32: bits 7l..7l+6 the sign index of group l, bits 28..31 the scale
//   w[j] = (d * (0.5 + scale) * 0.25) * grid * (sign bit j % 8 ? -1 : 1),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ2_XXS_GLSL
#define NIBBLE_IQ2_XXS_GLSL

#include "iq_grid.glsl"

const uint IQ2_XXS_BLOCK_WEIGHTS = 256u;
const uint IQ2_XXS_BLOCK_BYTES = 66u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq2_xxs(uint block, uint part, out float v[32]) {
    const uint entries = readU32(block + 2u + 8u * part);
    const uint a = readU32(block + 6u + 8u * part);
    const float db = readHalf(block) * (0.5 + float(a >> 28)) * 0.25;
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const uint signs = iq_sign_bits((a >> (7u * l)) & 127u);
        const uint code = IQ_GRID_CODE(IQ2XXS, (entries >> (8u * l)) & 255u);
        [[unroll]] for (uint t = 0u; t < 8u; ++t)
            v[8u * l + t] = db * IQ_GRID_VALUE(IQ2XXS, code, t) * iq_sign(signs, t);
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq2_xxs((row) + ((unit) >> 3) * IQ2_XXS_BLOCK_BYTES, (unit) & 7u, v)

#endif
