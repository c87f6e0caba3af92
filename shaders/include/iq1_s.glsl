// IQ1_S super-blocks: 256 weights in 50 bytes (engine/tensor/block_formats.h).
//   0   half d
//   2   u8   qs[32]      group l (of 8 weights) of sub-block s: grid entry qs[4s + l] | ((qh[s] >> 3l) & 7) << 8
//   34  u16  qh[8]       qh[s]: bits 0..11 the entries' high bits, 12..14 the scale, 15 the delta's sign
//   w[j] = (d * (2 * scale + 1)) * (grid + (bit 15 ? -IQ1_DELTA : IQ1_DELTA)),  s = j / 32
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ1_S_GLSL
#define NIBBLE_IQ1_S_GLSL

#include "iq_grid.glsl"

const uint IQ1_S_BLOCK_WEIGHTS = 256u;
const uint IQ1_S_BLOCK_BYTES = 50u;

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq1_s(uint block, uint part, out float v[32]) {
    const uint qh = readU16(block + 34u + 2u * part);
    const float dl = readHalf(block) * float(2u * ((qh >> 12) & 7u) + 1u);
    const float delta = (qh & 0x8000u) != 0u ? -IQ1_DELTA : IQ1_DELTA;
    const uint low = readU32(block + 2u + 4u * part);
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const uint entry = ((low >> (8u * l)) & 255u) | (((qh >> (3u * l)) & 7u) << 8);
        const uint code = IQ_GRID_CODE(IQ1S, entry);
        [[unroll]] for (uint t = 0u; t < 8u; ++t)
            v[8u * l + t] = dl * (IQ_GRID_VALUE(IQ1S, code, t) + delta);
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq1_s((row) + ((unit) >> 3) * IQ1_S_BLOCK_BYTES, (unit) & 7u, v)

#endif
