#version 450
// Quantized matrix times vector(s): y[b][n] = sum_k W[n][k] * x[b][k] for the
// batch columns b < p.cols of one pass. W stays in its GGUF block format; one
// module per weight type, chosen with a DATA_<TYPE> define. Without
// USE_SUBGROUP the partial sums are reduced through shared memory only, for
// devices without subgroup arithmetic.
//
// Each workgroup computes ROWS rows. Its invocations walk the rows' weights
// in units of 32 (a legacy block, a K-quant sub-block, 32 floats), unit u
// by invocation u % BLOCK_SIZE, so neighbouring invocations read neighbouring
// bytes. Each unit is decoded once and used for every batch column.
#extension GL_EXT_control_flow_attributes : enable
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#endif
#include "common.glsl"

layout(constant_id = 0) const uint BLOCK_SIZE = 64;  // a power of two
layout(constant_id = 1) const uint ROWS = 2;         // rows per workgroup
layout(constant_id = 2) const uint COLS = 1;         // most batch columns per pass

layout(std430, binding = 0) readonly buffer Weights { uint weights[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint K;         // weights per row
    uint N;         // rows
    uint rowBytes;  // bytes per row of W
    uint wBase;     // byte of W's first row in binding 0
    uint xBase;     // float of x[0][0] in binding 1; x[b] follows x[b-1] (K floats)
    uint yBase;     // float of y[0][0] in binding 2; y[b] follows y[b-1] (N floats)
    uint cols;      // batch columns in this pass, 1..COLS
} p;

uint weightWord(uint index) { return weights[index]; }
#include "weight_bytes.glsl"

const uint UNIT = 32u;

#if defined(DATA_F32) || defined(DATA_F16) || defined(DATA_BF16)
#include "float_formats.glsl"
const bool WHOLE_UNITS = false;  // K may be any length
#if defined(DATA_F32)
#define DECODE_UNIT(row, unit, v) dequant_f32(row, (unit) * UNIT, p.K, v)
#elif defined(DATA_F16)
#define DECODE_UNIT(row, unit, v) dequant_f16(row, (unit) * UNIT, p.K, v)
#else
#define DECODE_UNIT(row, unit, v) dequant_bf16(row, (unit) * UNIT, p.K, v)
#endif
#else
const bool WHOLE_UNITS = true;   // block formats: K is a multiple of 32
#if defined(DATA_Q4_0)
#include "q4_0.glsl"
#define DECODE_UNIT(row, unit, v) dequant_block_q4_0((row) + (unit) * Q4_0_BLOCK_BYTES, v)
#elif defined(DATA_Q4_1)
#include "q4_1.glsl"
#define DECODE_UNIT(row, unit, v) dequant_block_q4_1((row) + (unit) * Q4_1_BLOCK_BYTES, v)
#elif defined(DATA_Q5_0)
#include "q5_0.glsl"
#define DECODE_UNIT(row, unit, v) dequant_block_q5_0((row) + (unit) * Q5_0_BLOCK_BYTES, v)
#elif defined(DATA_Q5_1)
#include "q5_1.glsl"
#define DECODE_UNIT(row, unit, v) dequant_block_q5_1((row) + (unit) * Q5_1_BLOCK_BYTES, v)
#elif defined(DATA_Q8_0)
#include "q8_0.glsl"
#define DECODE_UNIT(row, unit, v) dequant_block_q8_0((row) + (unit) * Q8_0_BLOCK_BYTES, v)
#elif defined(DATA_Q4_K)
#include "q4_k.glsl"
#define DECODE_UNIT(row, unit, v) dequant_q4_k((row) + ((unit) >> 3) * Q4_K_BLOCK_BYTES, (unit) & 7u, v)
#elif defined(DATA_Q5_K)
#include "q5_k.glsl"
#define DECODE_UNIT(row, unit, v) dequant_q5_k((row) + ((unit) >> 3) * Q5_K_BLOCK_BYTES, (unit) & 7u, v)
#elif defined(DATA_Q6_K)
#include "q6_k.glsl"
#define DECODE_UNIT(row, unit, v) dequant_q6_k((row) + ((unit) >> 3) * Q6_K_BLOCK_BYTES, (unit) & 7u, v)
#else
#error "mul_mat_vec.comp needs a DATA_<TYPE> define"
#endif
#endif

// One slot per (row, column) pair and invocation.
shared float partial[ROWS * COLS * BLOCK_SIZE];

void main() {
    const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    const uint firstRow = group * ROWS;
    // Whole workgroups leave together, so the barriers below stay uniform.
    if (firstRow >= p.N) return;
    const uint rows = min(ROWS, p.N - firstRow);
    const uint tid = gl_LocalInvocationID.x;
    const uint units = (p.K + UNIT - 1u) / UNIT;

    float acc[ROWS * COLS];
    [[unroll]] for (uint i = 0u; i < ROWS * COLS; ++i) acc[i] = 0.0;

    for (uint unit = tid; unit < units; unit += BLOCK_SIZE) {
        const uint k0 = unit * UNIT;
        const uint valid = WHOLE_UNITS ? UNIT : min(UNIT, p.K - k0);
        for (uint r = 0u; r < ROWS; ++r) {
            if (r >= rows) break;
            float w[32];
            DECODE_UNIT(p.wBase + (firstRow + r) * p.rowBytes, unit, w);
            for (uint c = 0u; c < COLS; ++c) {
                if (c >= p.cols) break;
                const uint xk = p.xBase + c * p.K + k0;
                float sum = 0.0;
                if (valid == UNIT) {
                    [[unroll]] for (uint j = 0u; j < UNIT; ++j) sum += w[j] * x[xk + j];
                } else {
                    for (uint j = 0u; j < valid; ++j) sum += w[j] * x[xk + j];
                }
                acc[r * COLS + c] += sum;
            }
        }
    }

#ifdef USE_SUBGROUP
    [[unroll]] for (uint i = 0u; i < ROWS * COLS; ++i) acc[i] = subgroupAdd(acc[i]);
    if (subgroupElect()) {
        [[unroll]] for (uint i = 0u; i < ROWS * COLS; ++i) partial[i * BLOCK_SIZE + gl_SubgroupID] = acc[i];
    }
    barrier();
    const uint contributors = gl_NumSubgroups;
#else
    [[unroll]] for (uint i = 0u; i < ROWS * COLS; ++i) partial[i * BLOCK_SIZE + tid] = acc[i];
    barrier();
    [[unroll]] for (uint s = BLOCK_SIZE / 2u; s > 1u; s >>= 1) {
        if (tid < s) {
            [[unroll]] for (uint i = 0u; i < ROWS * COLS; ++i)
                partial[i * BLOCK_SIZE + tid] += partial[i * BLOCK_SIZE + tid + s];
        }
        barrier();
    }
    const uint contributors = min(2u, BLOCK_SIZE);
#endif

    // One invocation per (row, column) pair sums the last few partials.
    for (uint i = tid; i < ROWS * COLS; i += BLOCK_SIZE) {
        const uint r = i / COLS;
        const uint c = i % COLS;
        if (r >= rows || c >= p.cols) continue;
        float total = 0.0;
        for (uint s = 0u; s < contributors; ++s) total += partial[i * BLOCK_SIZE + s];
        y[p.yBase + c * p.N + firstRow + r] = total;
    }
}
