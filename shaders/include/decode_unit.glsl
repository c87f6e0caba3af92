// One weight type's units of 32 weights (a legacy block, a K-quant sub-block,
// 32 floats), picked with a DATA_<TYPE> define, for the kernels that walk a
// row of W unit by unit (mul_mat_vec.comp, mul_mm.comp):
//
//   UNIT                          32
//   WHOLE_UNITS                   false where K may be any length (F32, F16, BF16)
//   DECODE_UNIT(row, unit, K, v)  float v[32] = weights 32*unit .. 32*unit + 31 of the
//                                 row of K weights that starts at byte `row`
//                                 (for the float types, those past K read as 0)
//
// Each type's include (<type>.glsl) defines WHOLE_UNITS and DECODE_UNIT;
// weight_type.glsl, generated from NIBBLE_VULKAN_WEIGHT_TYPES in
// shaders/CMakeLists.txt, includes the one DATA_<TYPE> names.
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_DECODE_UNIT_GLSL
#define NIBBLE_DECODE_UNIT_GLSL

const uint UNIT = 32u;

#include "weight_type.glsl"

#endif
