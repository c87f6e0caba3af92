// F16 weights (2 bytes each, float_formats.glsl) in the units of decode_unit.glsl:
// rows of any length, so weights past the end of a row read as 0.
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_F16_GLSL
#define NIBBLE_F16_GLSL

#include "float_formats.glsl"

const bool WHOLE_UNITS = false;
#define DECODE_UNIT(row, unit, K, v) dequant_f16(row, (unit) * UNIT, K, v)

#endif
