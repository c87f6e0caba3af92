#version 450
// dst row positions[t] = src row t for rows of `cols` floats: the new keys
// and values into the KV cache at positions the host writes before each
// submission, so a recording does not depend on where in the cache it runs.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) readonly buffer Positions { int positions[]; };
layout(std430, binding = 2) writeonly buffer Dst { float dst[]; };

layout(push_constant) uniform Params {
    uint n;     // rows * cols
    uint cols;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride)
        dst[uint(positions[i / p.cols]) * p.cols + i % p.cols] = src[i];
}
