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
//
// x is read as vec4s where it is 16-byte aligned (X_VEC4), and with one
// column a unit of x is read once for all ROWS rows. Loads are what a CPU
// implementation (lavapipe) pays most for: it runs every load as a loop over
// its SIMD lanes, so a scalar float read per weight and row cost four fifths
// of the time there.
#extension GL_EXT_control_flow_attributes : enable
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#endif
#include "common.glsl"

layout(constant_id = 0) const uint BLOCK_SIZE = 64;  // a power of two
layout(constant_id = 1) const uint ROWS = 2;         // rows per workgroup
layout(constant_id = 2) const uint COLS = 1;         // most batch columns per pass
layout(constant_id = 3) const bool X_VEC4 = false;   // p.xBase and p.K are multiples of 4

layout(std430, binding = 0) readonly buffer Weights { uint weights[]; };
// Two views of one binding: x4 when X_VEC4, else x.
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };
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

#include "decode_unit.glsl"

// Floats k0 .. k0 + 31 of batch column c; those from `valid` on read as 0
// (the decoded weights there are 0 too, and 0 * x must not give NaN).
void loadX(uint c, uint k0, uint valid, out vec4 xs[8]) {
    const uint first = p.xBase + c * p.K + k0;
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        if (X_VEC4) {
            xs[i] = WHOLE_UNITS || 4u * i < valid ? x4[first / 4u + i] : vec4(0.0);
        } else {
            [[unroll]] for (uint j = 0u; j < 4u; ++j)
                xs[i][j] = WHOLE_UNITS || 4u * i + j < valid ? x[first + 4u * i + j] : 0.0;
        }
    }
}

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
        vec4 xs[8];
        if (COLS == 1u) loadX(0u, k0, valid, xs);
        [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
            if (r >= rows) break;
            float w[32];
            DECODE_UNIT(p.wBase + (firstRow + r) * p.rowBytes, unit, p.K, w);
            [[unroll]] for (uint c = 0u; c < COLS; ++c) {
                if (c >= p.cols) break;
                if (COLS > 1u) loadX(c, k0, valid, xs);
                float sum = 0.0;
                [[unroll]] for (uint i = 0u; i < 8u; ++i)
                    sum += dot(vec4(w[4u * i], w[4u * i + 1u], w[4u * i + 2u], w[4u * i + 3u]), xs[i]);
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
