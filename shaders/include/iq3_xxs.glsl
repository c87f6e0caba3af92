// IQ3_XXS super-blocks: 256 weights in 98 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u8   qs[64]      weights 32s + 8l + 4h + t (l < 4, h < 2, t < 4) are grid entry qs[8s + 2l + h], value t
//   66  u8   signs[32]   a u32 per sub-block s: bits 7l..7l+6 the sign index of group l, bits 28..31 the scale
//   w[j] = (d * (0.5 + scale) * 0.5) * grid * (sign bit j % 8 ? -1 : 1),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ3_XXS_GLSL
#define NIBBLE_IQ3_XXS_GLSL

#include "iq_grid.glsl"

const uint IQ3_XXS_BLOCK_WEIGHTS = 256u;
const uint IQ3_XXS_BLOCK_BYTES = 98u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq3_xxs(uint block, uint part, out float v[32]) {
    const uint a = readU32(block + 66u + 4u * part);
    const float db = readHalf(block) * (0.5 + float(a >> 28)) * 0.5;
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const uint signs = iq_sign_bits((a >> (7u * l)) & 127u);
        const uint pair = readU16(block + 2u + 8u * part + 2u * l);
        [[unroll]] for (uint h = 0u; h < 2u; ++h) {
            const uint code = IQ_GRID_CODE(IQ3XXS, (pair >> (8u * h)) & 255u);
            [[unroll]] for (uint t = 0u; t < 4u; ++t)
                v[8u * l + 4u * h + t] = db * IQ_GRID_VALUE(IQ3XXS, code, t) * iq_sign(signs, 4u * h + t);
        }
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq3_xxs((row) + ((unit) >> 3) * IQ3_XXS_BLOCK_BYTES, (unit) & 7u, v)

#endif
