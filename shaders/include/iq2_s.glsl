// IQ2_S super-blocks: 256 weights in 82 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u8   qs[32]      group l (of 8 weights) of sub-block s: grid entry qs[4s + l] | ((qh[s] >> 2l) & 3) << 8
//   34  u8   signs[32]   bit t of signs[4s + l]: weight 32s + 8l + t is negated
//   66  u8   qh[8]
//   74  u8   scales[8]   scales[s]: nibble lo the scale of groups 0, 1, nibble hi of groups 2, 3
//   w[j] = (d * (0.5 + scale) * 0.25) * grid * (sign ? -1 : 1),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ2_S_GLSL
#define NIBBLE_IQ2_S_GLSL

#include "iq_grid.glsl"

const uint IQ2_S_BLOCK_WEIGHTS = 256u;
const uint IQ2_S_BLOCK_BYTES = 82u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq2_s(uint block, uint part, out float v[32]) {
    const uint scales = readU8(block + 74u + part);
    const float d = readHalf(block);
    const uint qh = readU8(block + 66u + part);
    const uint low = readU32(block + 2u + 4u * part);
    const uint signWord = readU32(block + 34u + 4u * part);
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const float db = d * (0.5 + float((scales >> (4u * (l >> 1))) & 15u)) * 0.25;
        const uint entry = ((low >> (8u * l)) & 255u) | (((qh >> (2u * l)) & 3u) << 8);
        const uint signs = (signWord >> (8u * l)) & 255u;
        const uint code = IQ_GRID_CODE(IQ2S, entry);
        [[unroll]] for (uint t = 0u; t < 8u; ++t)
            v[8u * l + t] = db * IQ_GRID_VALUE(IQ2S, code, t) * iq_sign(signs, t);
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq2_s((row) + ((unit) >> 3) * IQ2_S_BLOCK_BYTES, (unit) & 7u, v)

#endif
