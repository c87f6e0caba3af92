// IQ4_NL blocks: 32 weights in 18 bytes (engine/tensor/block_formats.h).
//   0  half d
//   2  u8   qs[16]   q[j] = nibble lo of qs[j], q[j+16] = nibble hi of qs[j]
//   w[j] = d * IQ4_LEVELS[q[j]]
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_IQ4_NL_GLSL
#define NIBBLE_IQ4_NL_GLSL

#include "iq4_levels.glsl"

const uint IQ4_NL_BLOCK_WEIGHTS = 32u;
const uint IQ4_NL_BLOCK_BYTES = 18u;

// Units of decode_unit.glsl: one block each.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) \
    iq4_group((row) + (unit) * IQ4_NL_BLOCK_BYTES + 2u, readHalf((row) + (unit) * IQ4_NL_BLOCK_BYTES), v)

#endif
