#version 450
// Rotary position embedding, in place, on rows of one head each
// (token-major: row = token * heads + head). Pairs are adjacent elements
// (normal) or the two halves of the rotated dimensions (NeoX). The token's
// position comes from a buffer so a recording can be replayed at later
// positions. The angle is built exactly as the CPU reference builds it:
// repeated multiplication by thetaScale, so both agree to the last bit
// before sin and cos.
#include "common.glsl"

layout(constant_id = 0) const uint BLOCK_SIZE = 64;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Positions { int positions[]; };
// Llama 3.1+ per-dimension frequency divisors; ignored unless hasFreqFactors.
layout(std430, binding = 2) readonly buffer FreqFactors { float freqFactors[]; };

layout(push_constant) uniform Params {
    uint headDim;     // row length
    uint heads;       // rows per token
    uint ropeDims;    // leading dimensions that rotate
    uint neox;        // 1: NeoX halves, 0: adjacent pairs
    uint hasFreqFactors;
    float thetaScale; // base^(-2 / ropeDims), computed on the host
    float freqScale;
    float attnFactor; // multiplies the rotated pair, after the rotation as on the CPU
} p;

void main() {
    const uint row = gl_WorkGroupID.x;
    const float pos = float(positions[row / p.heads]);
    const uint base = row * p.headDim;
    for (uint pair = gl_LocalInvocationID.x; pair < p.ropeDims / 2u; pair += BLOCK_SIZE) {
        float theta = pos;
        for (uint j = 0u; j < pair; ++j) theta *= p.thetaScale;
        float angle = theta * p.freqScale;
        if (p.hasFreqFactors != 0u) angle /= freqFactors[pair];
        const float c = cos(angle), s = sin(angle);
        const uint a = p.neox != 0u ? base + pair : base + 2u * pair;
        const uint b = p.neox != 0u ? a + p.ropeDims / 2u : a + 1u;
        const float x0 = x[a], x1 = x[b];
        x[a] = (x0 * c - x1 * s) * p.attnFactor;
        x[b] = (x0 * s + x1 * c) * p.attnFactor;
    }
}
