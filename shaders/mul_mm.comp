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
// Invocation t owns rows t % (BM/TM) + i * (BM/TM) and columns
// t / (BM/TM) + j * (BN/TN): neighbours own neighbouring rows, so their
// shared-memory reads and their writes of y are contiguous.
#extension GL_EXT_control_flow_attributes : enable
#include "common.glsl"

// Constant 0, the workgroup size, must be (BM / TM) * (BN / TN).
layout(constant_id = 1) const uint BM = 64;  // rows of W per tile
layout(constant_id = 2) const uint BN = 32;  // batch columns per tile
layout(constant_id = 3) const uint TM = 4;   // rows per invocation
layout(constant_id = 4) const uint TN = 4;   // columns per invocation

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

// Unit k of the tile: ws[k * BM + row], xs[column * (UNIT + 1) + k]. The odd
// stride of xs keeps the columns one invocation reads in different banks.
shared float ws[UNIT * BM];
shared float xs[BN * (UNIT + 1u)];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint firstRow = gl_WorkGroupID.x * BM;
    const uint firstCol = gl_WorkGroupID.y * BN;
    const uint rowThreads = BM / TM;
    const uint myRow = tid % rowThreads;
    const uint myCol = tid / rowThreads;
    const uint units = (p.K + UNIT - 1u) / UNIT;

    float acc[TM * TN];
    [[unroll]] for (uint i = 0u; i < TM * TN; ++i) acc[i] = 0.0;

    for (uint unit = 0u; unit < units; ++unit) {
        // W: one row's unit per invocation; rows past N give zeros.
        for (uint r = tid; r < BM; r += gl_WorkGroupSize.x) {
            float w[32];
            if (firstRow + r < p.N) {
                DECODE_UNIT(p.wBase + (firstRow + r) * p.rowBytes, unit, p.K, w);
            } else {
                [[unroll]] for (uint j = 0u; j < UNIT; ++j) w[j] = 0.0;
            }
            [[unroll]] for (uint j = 0u; j < UNIT; ++j) ws[j * BM + r] = w[j];
        }
        // x: neighbouring invocations read neighbouring floats of a column.
        const uint k0 = unit * UNIT;
        for (uint i = tid; i < BN * UNIT; i += gl_WorkGroupSize.x) {
            const uint c = i / UNIT;
            const uint k = i % UNIT;
            float value = 0.0;
            if (firstCol + c < p.batch && (WHOLE_UNITS || k0 + k < p.K)) value = x[p.xBase + (firstCol + c) * p.K + k0 + k];
            xs[c * (UNIT + 1u) + k] = value;
        }
        barrier();

        for (uint k = 0u; k < UNIT; ++k) {
            float a[TM];
            [[unroll]] for (uint i = 0u; i < TM; ++i) a[i] = ws[k * BM + myRow + i * rowThreads];
            [[unroll]] for (uint j = 0u; j < TN; ++j) {
                const float b = xs[(myCol + j * (BN / TN)) * (UNIT + 1u) + k];
                [[unroll]] for (uint i = 0u; i < TM; ++i) acc[j * TM + i] += a[i] * b;
            }
        }
        barrier();
    }

    [[unroll]] for (uint j = 0u; j < TN; ++j) {
        const uint col = firstCol + myCol + j * (BN / TN);
        if (col >= p.batch) break;
        [[unroll]] for (uint i = 0u; i < TM; ++i) {
            const uint row = firstRow + myRow + i * rowThreads;
            if (row < p.N) y[p.yBase + col * p.N + row] = acc[j * TM + i];
        }
    }
}
