#version 450
// Quantized matrix times matrix, for prompt processing: y[b][n] = sum_k
// W[n][k] * x[b][k] for every b < p.batch. W stays in its GGUF block format;
// one module per weight type, chosen with a DATA_<TYPE> define.
//
// Each workgroup computes a tile of BM rows of W by BN batch columns. It
// walks K one unit of 32 weights at a time: BM units of W are decoded once
// into shared memory as f32 (exact, so results match the CPU reference to
// float rounding) beside the BN x 32 floats of x, then every invocation adds
// the products of its TM x TN outputs from shared memory. So each weight is
// decoded once per BN columns, where the matrix x vector kernel decodes it
// once per 8.
//
// Invocation t owns the TM rows from (t % (BM/TM)) * TM and the TN columns
// from (t / (BM/TM)) * TN, read from shared memory as vec4s: a step of K
// costs TM/4 + TN/4 loads for TM x TN products. Loads are what a CPU device
// (lavapipe) pays most for, and GPUs too issue fewer of them this way.
#extension GL_EXT_control_flow_attributes : enable
#include "common.glsl"

// Constant 0, the workgroup size, must be (BM / TM) * (BN / TN).
layout(constant_id = 1) const uint BM = 64;  // rows of W per tile
layout(constant_id = 2) const uint BN = 32;  // batch columns per tile
layout(constant_id = 3) const uint TM = 4;   // rows per invocation, a multiple of 4
layout(constant_id = 4) const uint TN = 4;   // columns per invocation, a multiple of 4

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
    uint batch;     // columns of x and y
} p;

uint weightWord(uint index) { return weights[index]; }
#include "weight_bytes.glsl"

#include "decode_unit.glsl"

// Step k of the tile, four rows or columns a vec4: W row r is ws[k * BM/4 +
// r/4][r % 4], x column c is xs[k * BN/4 + c/4][c % 4].
shared vec4 ws[UNIT * BM / 4u];
shared vec4 xs[UNIT * BN / 4u];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint firstRow = gl_WorkGroupID.x * BM;
    const uint firstCol = gl_WorkGroupID.y * BN;
    const uint rowThreads = BM / TM;
    const uint myRows = (tid % rowThreads) * (TM / 4u);  // in vec4s
    const uint myCols = (tid / rowThreads) * (TN / 4u);
    const uint units = (p.K + UNIT - 1u) / UNIT;

    vec4 acc[TN * TM / 4u];  // column j, rows 4i..4i+3: acc[j * TM/4 + i]
    [[unroll]] for (uint i = 0u; i < TN * TM / 4u; ++i) acc[i] = vec4(0.0);

    for (uint unit = 0u; unit < units; ++unit) {
        // W: one row's unit per invocation; rows past N give zeros.
        for (uint r = tid; r < BM; r += gl_WorkGroupSize.x) {
            float w[32];
            if (firstRow + r < p.N) {
                DECODE_UNIT(p.wBase + (firstRow + r) * p.rowBytes, unit, p.K, w);
            } else {
                [[unroll]] for (uint j = 0u; j < UNIT; ++j) w[j] = 0.0;
            }
            [[unroll]] for (uint j = 0u; j < UNIT; ++j) ws[j * (BM / 4u) + r / 4u][r % 4u] = w[j];
        }
        // x: neighbouring invocations read neighbouring floats of a column.
        const uint k0 = unit * UNIT;
        for (uint i = tid; i < BN * UNIT; i += gl_WorkGroupSize.x) {
            const uint c = i / UNIT;
            const uint k = i % UNIT;
            float value = 0.0;
            if (firstCol + c < p.batch && (WHOLE_UNITS || k0 + k < p.K)) value = x[p.xBase + (firstCol + c) * p.K + k0 + k];
            xs[k * (BN / 4u) + c / 4u][c % 4u] = value;
        }
        barrier();

        for (uint k = 0u; k < UNIT; ++k) {
            vec4 a[TM / 4u];
            [[unroll]] for (uint i = 0u; i < TM / 4u; ++i) a[i] = ws[k * (BM / 4u) + myRows + i];
            [[unroll]] for (uint j4 = 0u; j4 < TN / 4u; ++j4) {
                const vec4 b = xs[k * (BN / 4u) + myCols + j4];
                [[unroll]] for (uint j = 0u; j < 4u; ++j)
                    [[unroll]] for (uint i = 0u; i < TM / 4u; ++i)
                        acc[(4u * j4 + j) * (TM / 4u) + i] += a[i] * b[j];
            }
        }
        barrier();
    }

    [[unroll]] for (uint j = 0u; j < TN; ++j) {
        const uint col = firstCol + 4u * myCols + j;
        if (col >= p.batch) break;
        [[unroll]] for (uint i = 0u; i < TM; ++i) {
            const uint row = firstRow + 4u * myRows + i;
            if (row < p.N) y[p.yBase + col * p.N + row] = acc[j * (TM / 4u) + i / 4u][i % 4u];
        }
    }
}
