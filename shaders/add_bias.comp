#version 450
// x[row][i] += bias[i] for every row: the q/k/v biases of Qwen 2.
// Grid-stride over n = rows * cols elements.
#include "common.glsl"

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Bias { float bias[]; };

layout(push_constant) uniform Params {
    uint n;
    uint cols;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
        x[i] += bias[i % p.cols];
    }
}
