// One weight type's units of 32 weights (a legacy block, a K-quant sub-block,
// 32 floats), picked with a DATA_<TYPE> define, for the kernels that walk a
// row of W unit by unit (mul_mat_vec.comp, mul_mm.comp):
//
//   UNIT                          32
//   WHOLE_UNITS                   false where K may be any length (F32, F16, BF16)
//   DECODE_UNIT(row, unit, K, v)  float v[32] = weights 32*unit .. 32*unit + 31 of the
//                                 row of K weights that starts at byte `row`
//                                 (for the float types, those past K read as 0)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_DECODE_UNIT_GLSL
#define NIBBLE_DECODE_UNIT_GLSL

const uint UNIT = 32u;

#if defined(DATA_F32) || defined(DATA_F16) || defined(DATA_BF16)
#include "float_formats.glsl"
const bool WHOLE_UNITS = false;
#if defined(DATA_F32)
#define DECODE_UNIT(row, unit, K, v) dequant_f32(row, (unit) * UNIT, K, v)
#elif defined(DATA_F16)
#define DECODE_UNIT(row, unit, K, v) dequant_f16(row, (unit) * UNIT, K, v)
#else
#define DECODE_UNIT(row, unit, K, v) dequant_bf16(row, (unit) * UNIT, K, v)
#endif
#else
const bool WHOLE_UNITS = true;  // block formats: K is a multiple of 32
#if defined(DATA_Q4_0)
#include "q4_0.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_block_q4_0((row) + (unit) * Q4_0_BLOCK_BYTES, v)
#elif defined(DATA_Q4_1)
#include "q4_1.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_block_q4_1((row) + (unit) * Q4_1_BLOCK_BYTES, v)
#elif defined(DATA_Q5_0)
#include "q5_0.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_block_q5_0((row) + (unit) * Q5_0_BLOCK_BYTES, v)
#elif defined(DATA_Q5_1)
#include "q5_1.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_block_q5_1((row) + (unit) * Q5_1_BLOCK_BYTES, v)
#elif defined(DATA_Q8_0)
#include "q8_0.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_block_q8_0((row) + (unit) * Q8_0_BLOCK_BYTES, v)
#elif defined(DATA_Q4_K)
#include "q4_k.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_q4_k((row) + ((unit) >> 3) * Q4_K_BLOCK_BYTES, (unit) & 7u, v)
#elif defined(DATA_Q5_K)
#include "q5_k.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_q5_k((row) + ((unit) >> 3) * Q5_K_BLOCK_BYTES, (unit) & 7u, v)
#elif defined(DATA_Q6_K)
#include "q6_k.glsl"
#define DECODE_UNIT(row, unit, K, v) dequant_q6_k((row) + ((unit) >> 3) * Q6_K_BLOCK_BYTES, (unit) & 7u, v)
#else
#error "decode_unit.glsl needs a DATA_<TYPE> define"
#endif
#endif

#endif
