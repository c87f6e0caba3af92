#version 450
// Causal multi-head attention of a batch of query tokens against the KV cache
// (f32, rows of kvHeads * headDim per position), one workgroup per
// (token, head): workgroup x = token * heads + head. Keys are taken in chunks
// of BLOCK_SIZE, one per invocation, with an online softmax (running maximum
// and sum), so the context length is not limited by shared memory. Grouped-
// query attention maps head h to KV head h / (heads / kvHeads); a sliding
// window keeps the last `window` positions; softcap bounds the scores with
// cap * tanh(s / cap) as Gemma 2 does.
//
// With SPLIT defined (attention_split), workgroup y = split takes only the
// positions [split * chunk, (split + 1) * chunk) of that range and writes its
// unnormalized partial (running maximum, sum and weighted values) for
// attention_reduce.comp to combine: long contexts then spread over many
// workgroups even for one query token. The workgroups are dispatched for the
// longest context, because the current length lives in the positions buffer
// so that one recording serves every token; a split past the current
// position (or before the window) writes the neutral partial and exits,
// which costs less than an indirect dispatch's extra kernel and barrier.
#include "common.glsl"

// Power of two, at least 32: each invocation owns output dimensions
// tid, tid + BLOCK_SIZE, ... of which there are at most MAX_DIMS_PER_THREAD.
layout(constant_id = 0) const uint BLOCK_SIZE = 64;
const uint MAX_DIMS_PER_THREAD = 8;
const uint MAX_HEAD_DIM_K = 512;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
// Without SPLIT: tokens * heads rows of headDimV. With SPLIT: one partial of
// headDimV + 2 floats (maximum, sum, weighted values) per (token, head, split).
layout(std430, binding = 3) writeonly buffer O { float o[]; };
layout(std430, binding = 4) readonly buffer Positions { int positions[]; };

layout(push_constant) uniform Params {
    uint heads;
    uint kvHeads;
    uint headDimK;
    uint headDimV;
    float scale;
    float softcap;  // 0: none
    uint window;    // 0: every earlier position
    uint chunk;     // SPLIT: positions per split
    uint splits;    // SPLIT: splits per (token, head)
} p;

shared float qShared[MAX_HEAD_DIM_K];
shared float probs[BLOCK_SIZE];
shared float reduction[BLOCK_SIZE];

const float kLowest = -3.0e38;

float reduceMax(float value) {
    const uint tid = gl_LocalInvocationID.x;
    reduction[tid] = value;
    barrier();
    for (uint s = BLOCK_SIZE / 2u; s > 0u; s >>= 1) {
        if (tid < s) reduction[tid] = max(reduction[tid], reduction[tid + s]);
        barrier();
    }
    const float result = reduction[0];
    barrier();
    return result;
}

float reduceSum(float value) {
    const uint tid = gl_LocalInvocationID.x;
    reduction[tid] = value;
    barrier();
    for (uint s = BLOCK_SIZE / 2u; s > 0u; s >>= 1) {
        if (tid < s) reduction[tid] += reduction[tid + s];
        barrier();
    }
    const float result = reduction[0];
    barrier();
    return result;
}

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint token = gl_WorkGroupID.x / p.heads;
    const uint head = gl_WorkGroupID.x % p.heads;
    const uint kvHead = head / (p.heads / p.kvHeads);
    const uint kStride = p.kvHeads * p.headDimK, vStride = p.kvHeads * p.headDimV;
#ifdef SPLIT
    const uint partial = (gl_WorkGroupID.x * p.splits + gl_WorkGroupID.y) * (p.headDimV + 2u);
    const int chunkStart = int(gl_WorkGroupID.y * p.chunk);
    const int pos = min(positions[token], chunkStart + int(p.chunk) - 1);
    const int first = max(chunkStart, p.window > 0u ? positions[token] - int(p.window) + 1 : 0);
    if (first > pos) {
        for (uint i = tid; i < p.headDimV + 2u; i += BLOCK_SIZE) o[partial + i] = i == 0u ? kLowest : 0.0;
        return;
    }
#else
    const int pos = positions[token];
    const int first = p.window > 0u ? max(0, pos - int(p.window) + 1) : 0;
#endif

    const uint qBase = (token * p.heads + head) * p.headDimK;
    for (uint i = tid; i < p.headDimK; i += BLOCK_SIZE) qShared[i] = q[qBase + i];
    barrier();

    float runningMax = kLowest, runningSum = 0.0;
    float acc[MAX_DIMS_PER_THREAD];
    for (uint j = 0u; j < MAX_DIMS_PER_THREAD; ++j) acc[j] = 0.0;

    for (int start = first; start <= pos; start += int(BLOCK_SIZE)) {
        const int t = start + int(tid);
        const bool valid = t <= pos;
        float score = kLowest;
        if (valid) {
            const uint kBase = uint(t) * kStride + kvHead * p.headDimK;
            float dot = 0.0;
            for (uint i = 0u; i < p.headDimK; ++i) dot += qShared[i] * k[kBase + i];
            score = dot * p.scale;
            if (p.softcap > 0.0) score = p.softcap * tanh(clamp(score / p.softcap, -10.0, 10.0));
        }
        const float newMax = max(runningMax, reduceMax(score));
        const float prob = valid ? exp(score - newMax) : 0.0;
        probs[tid] = prob;
        const float correction = exp(runningMax - newMax);
        runningSum = runningSum * correction + reduceSum(prob);
        runningMax = newMax;

        const uint count = uint(min(int(BLOCK_SIZE), pos - start + 1));
        for (uint j = 0u; j < MAX_DIMS_PER_THREAD; ++j) {
            const uint d = tid + j * BLOCK_SIZE;
            if (d >= p.headDimV) break;
            float sum = 0.0;
            for (uint c = 0u; c < count; ++c) sum += probs[c] * v[(uint(start) + c) * vStride + kvHead * p.headDimV + d];
            acc[j] = acc[j] * correction + sum;
        }
        barrier();
    }

#ifdef SPLIT
    if (tid == 0u) {
        o[partial] = runningMax;
        o[partial + 1u] = runningSum;
    }
    const uint oBase = partial + 2u;
    const float inv = 1.0;
#else
    const uint oBase = (token * p.heads + head) * p.headDimV;
    const float inv = 1.0 / runningSum;
#endif
    for (uint j = 0u; j < MAX_DIMS_PER_THREAD; ++j) {
        const uint d = tid + j * BLOCK_SIZE;
        if (d >= p.headDimV) break;
        o[oBase + d] = acc[j] * inv;
    }
}
