// IQ1_M super-blocks: 256 weights in 56 bytes (engine/tensor/block_formats.h).
// Group g (of 8 weights) is in sub-block s = g / 4, half h = (g % 4) / 2 of it.
//   0   u8   qs[32]      group g: grid entry qs[g] | (n & 7) << 8, n = nibble g % 2 of qh[g / 2]
//   32  u8   qh[16]      bit 3 of n: the delta's sign of group g
//   48  u16  scales[4]   bits 6(s % 2) + 3h .. + 2 of scales[s / 2]: the scale of half h of sub-block s;
//                        bits 12..15 of scales[k]: bits 4k..4k+3 of the half d
//   w[j] = (d * (2 * scale + 1)) * (grid + (bit 3 of n ? -IQ1_DELTA : IQ1_DELTA))
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ1_M_GLSL
#define NIBBLE_IQ1_M_GLSL

#include "iq_grid.glsl"

const uint IQ1_M_BLOCK_WEIGHTS = 256u;
const uint IQ1_M_BLOCK_BYTES = 56u;

// The block's d, gathered from the top nibbles of its scale words.
float iq1m_d(uint block) {
    const uint a = readU32(block + 48u);
    const uint b = readU32(block + 52u);
    const uint bits = ((a >> 12) & 0x000Fu) | ((a >> 24) & 0x00F0u) | ((b >> 4) & 0x0F00u) | ((b >> 16) & 0xF000u);
    return unpackHalf2x16(bits).x;
}

// Weights 32*part .. 32*part + 31 (part < 8, one sub-block) of the
// super-block that starts at byte `block`, in order.
void dequant_iq1_m(uint block, uint part, out float v[32]) {
    const float d = iq1m_d(block);
    const uint sc = readU16(block + 48u + 2u * (part >> 1)) >> (6u * (part & 1u));
    const uint qh = readU16(block + 32u + 2u * part);  // the nibbles n of groups 4s .. 4s + 3
    const uint low = readU32(block + 4u * part);
    [[unroll]] for (uint l = 0u; l < 4u; ++l) {
        const uint n = (qh >> (4u * l)) & 15u;
        const float dl = d * float(2u * ((sc >> (3u * (l >> 1))) & 7u) + 1u);
        const float delta = (n & 8u) != 0u ? -IQ1_DELTA : IQ1_DELTA;
        const uint code = IQ_GRID_CODE(IQ1S, ((low >> (8u * l)) & 255u) | ((n & 7u) << 8));
        [[unroll]] for (uint t = 0u; t < 8u; ++t)
            v[8u * l + t] = dl * (IQ_GRID_VALUE(IQ1S, code, t) + delta);
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_iq1_m((row) + ((unit) >> 3) * IQ1_M_BLOCK_BYTES, (unit) & 7u, v)

#endif
