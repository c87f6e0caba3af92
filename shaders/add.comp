#version 450
// Elementwise add, c = a + b (the residual connection). c may alias a or b.
// Grid-stride loop: any n works with any number of workgroups.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };

layout(push_constant) uniform Params {
    uint n;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
        c[i] = a[i] + b[i];
    }
}
