#version 450
// Embedding lookup: row ids[t] of the weight matrix, dequantized to float and
// multiplied by `scale`, becomes row t of the output. One workgroup per token.
// The buffer may hold only rows firstRow .. firstRow + rowCount - 1 of the
// matrix (one piece of an embedding too large to bind at once): tokens
// outside them are left alone.
// The weights are the tensor's raw GGUF bytes; TYPE_F32, TYPE_F16 or
// TYPE_Q8_0 picks the format (one module each).
#include "common.glsl"

layout(constant_id = 0) const uint BLOCK_SIZE = 64;

layout(std430, binding = 0) readonly buffer W { uint w[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint cols;  // row length in weights
    float scale;
    uint firstRow;
    uint rowCount;
} p;

// Byte i of the weights; blocks of the quantized formats are not 4-byte aligned.
uint byteAt(uint i) {
    return (w[i >> 2] >> ((i & 3u) * 8u)) & 0xFFu;
}

#if defined(TYPE_F32)
float weight(uint row, uint col) {
    return uintBitsToFloat(w[row * p.cols + col]);
}
#elif defined(TYPE_F16)
float weight(uint row, uint col) {
    const uint i = row * p.cols + col;
    const vec2 pair = unpackHalf2x16(w[i >> 1]);
    return (i & 1u) == 0u ? pair.x : pair.y;
}
#elif defined(TYPE_Q8_0)
// Blocks of 32 weights: an f16 scale, then 32 signed bytes.
float weight(uint row, uint col) {
    const uint block = row * (p.cols / 32u) + col / 32u;
    const uint base = block * 34u;
    const float d = unpackHalf2x16(byteAt(base) | (byteAt(base + 1u) << 8)).x;
    const int q = int(byteAt(base + 2u + col % 32u) << 24) >> 24;
    return d * float(q);
}
#else
#error "define TYPE_F32, TYPE_F16 or TYPE_Q8_0"
#endif

void main() {
    const uint token = gl_WorkGroupID.x;
    const uint id = uint(ids[token]);
    if (id < p.firstRow || id - p.firstRow >= p.rowCount) return;
    const uint row = id - p.firstRow;
    for (uint col = gl_LocalInvocationID.x; col < p.cols; col += BLOCK_SIZE) {
        y[token * p.cols + col] = weight(row, col) * p.scale;
    }
}
