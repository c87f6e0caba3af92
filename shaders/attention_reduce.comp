#version 450
// Combines the partials attention_split wrote, one workgroup per
// (token, head): with M the largest partial maximum, out = sum over splits of
// acc_s * exp(max_s - M) divided by the sum of sum_s * exp(max_s - M). Empty
// splits hold the lowest float as their maximum and add nothing.
#include "common.glsl"

layout(constant_id = 0) const uint BLOCK_SIZE = 64;

// Per (token, head, split): maximum, sum, then headDimV weighted values.
layout(std430, binding = 0) readonly buffer Partials { float partials[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };

layout(push_constant) uniform Params {
    uint headDimV;
    uint splits;
} p;

void main() {
    const uint row = gl_WorkGroupID.x;
    const uint stride = p.headDimV + 2u;
    const uint first = row * p.splits * stride;

    // Every invocation needs M and the total; splits are few, so each reads them all.
    float top = partials[first];
    for (uint s = 1u; s < p.splits; ++s) top = max(top, partials[first + s * stride]);
    float total = 0.0;
    for (uint s = 0u; s < p.splits; ++s) total += partials[first + s * stride + 1u] * exp(partials[first + s * stride] - top);

    const float inv = 1.0 / total;
    for (uint d = gl_LocalInvocationID.x; d < p.headDimV; d += BLOCK_SIZE) {
        float sum = 0.0;
        for (uint s = 0u; s < p.splits; ++s)
            sum += partials[first + s * stride + 2u + d] * exp(partials[first + s * stride] - top);
        o[row * p.headDimV + d] = sum * inv;
    }
}
