#version 450
// RMSNorm fused with the weight multiply, one workgroup per row:
//   y = x / sqrt(mean(x^2) + eps) * w
// y may alias x: after the reduction each invocation reads and writes only
// its own elements.
#include "common.glsl"

// The workgroup size (same id as local_size_x_id); must be a power of two for
// the tree reduction below.
layout(constant_id = 0) const uint BLOCK_SIZE = 256;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint cols;  // row length
    float eps;
} p;

shared float partial[BLOCK_SIZE];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint base = gl_WorkGroupID.x * p.cols;

    float sum = 0.0;
    for (uint i = tid; i < p.cols; i += BLOCK_SIZE) {
        const float v = x[base + i];
        sum += v * v;
    }
    partial[tid] = sum;
    barrier();
    for (uint s = BLOCK_SIZE / 2; s > 0; s >>= 1) {
        if (tid < s) partial[tid] += partial[tid + s];
        barrier();
    }

    const float scale = inversesqrt(partial[0] / float(p.cols) + p.eps);
    for (uint i = tid; i < p.cols; i += BLOCK_SIZE) {
        y[base + i] = x[base + i] * scale * w[i];
    }
}
