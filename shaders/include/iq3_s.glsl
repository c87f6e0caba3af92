// IQ3_S super-blocks: 256 weights in 110 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u8   qs[64]      weights 32s + 8l + 4h + t (l < 4, h < 2, t < 4) are grid entry
//                        qs[8s + 2l + h] | (bit 2l + h of qh[s]) << 8, value t
//   66  u8   qh[8]
//   74  u8   signs[32]   bit t of signs[4s + l]: weight 32s + 8l + t is negated
//   106 u8   scales[4]   4-bit scale of sub-block s: nibble lo / hi of scales[s/2] for s even / odd
//   w[j] = (d * (1 + 2 * scale)) * grid * (sign ? -1 : 1),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ3_S_GLSL
#define NIBBLE_IQ3_S_GLSL

#include "iq_grid.glsl"

const uint IQ3_S_BLOCK_WEIGHTS = 256u;
const uint IQ3_S_BLOCK_BYTES = 110u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq3_s(uint block, uint part, out float v[32]) {
    const uint scale = (readU8(block + 106u + (part >> 1)) >> (4u * (part & 1u))) & 15u;
    const float db = readHalf(block) * float(1u + 2u * scale);
    const uint qh = readU8(block + 66u + part);
    const uint signWord = readU32(block + 74u + 4u * part);
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const uint signs = (signWord >> (8u * l)) & 255u;
        const uint pair = readU16(block + 2u + 8u * part + 2u * l);
        [[unroll]] for (uint h = 0u; h < 2u; ++h) {
            const uint entry = ((pair >> (8u * h)) & 255u) | (((qh >> (2u * l + h)) & 1u) << 8);
            const uint code = IQ_GRID_CODE(IQ3S, entry);
            [[unroll]] for (uint t = 0u; t < 4u; ++t)
                v[8u * l + 4u * h + t] = db * IQ_GRID_VALUE(IQ3S, code, t) * iq_sign(signs, 4u * h + t);
        }
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq3_s((row) + ((unit) >> 3) * IQ3_S_BLOCK_BYTES, (unit) & 7u, v)

#endif
