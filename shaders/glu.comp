#version 450
// Gated linear unit of the feed-forward block: gate = act(gate) * up, with
// act SiLU or GELU (tanh approximation). Grid-stride over n elements.
#include "common.glsl"

layout(std430, binding = 0) buffer Gate { float gate[]; };
layout(std430, binding = 1) readonly buffer Up { float up[]; };

layout(push_constant) uniform Params {
    uint n;
    uint gelu;  // 1: GELU-tanh, 0: SiLU
} p;

float silu(float v) {
    return v / (1.0 + exp(-v));
}

// 0.5 * (1 + tanh(u)) written as 1 / (1 + exp(-2u)): no cancellation for
// negative inputs, and exp overflowing to infinity still gives 0.
float geluTanh(float v) {
    const float kSqrt2OverPi = 0.79788456080286535587989211986876;
    const float u = kSqrt2OverPi * v * (1.0 + 0.044715 * v * v);
    return v / (1.0 + exp(-2.0 * u));
}

void main() {
    const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
        const float g = gate[i];
        gate[i] = (p.gelu != 0u ? geluTanh(g) : silu(g)) * up[i];
    }
}
