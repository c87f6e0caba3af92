#include "vulkan/forward_kernels.h"

#include "nibble/error.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

namespace nibble::vulkan {
namespace {

// Elementwise kernels: a grid-stride loop, so this many workgroups at most.
constexpr uint32_t kElementwiseGroup = 256;
constexpr uint32_t kMaxElementwiseGroups = 1024;

WorkGroups elementwiseGroups(uint32_t n) {
    return {std::clamp<uint32_t>(groupsFor(n, kElementwiseGroup), 1, kMaxElementwiseGroups)};
}

// Workgroup count limits apply to x; long prompts of many heads stay far below.
void checkGroups(ComputeContext& context, uint64_t groups, const char* kernel) {
    if (groups > context.physicalDevice().maxComputeWorkGroupCount[0])
        throw Error(ErrorKind::Internal, std::string(kernel) + ": " + std::to_string(groups) +
                                             " workgroups exceed the device's limit; use a smaller batch");
}

}  // namespace

bool getRowsSupports(GgmlType type) {
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::Q8_0;
}

void recordGetRows(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w, uint32_t cols,
                   const Buffer& ids, uint32_t tokens, float scale, const Buffer& y, uint32_t firstRow,
                   uint32_t rowCount) {
    struct Push {
        uint32_t cols;
        float scale;
        uint32_t firstRow, rowCount;
    };
    const char* shader = type == GgmlType::F32 ? "get_rows_f32" : type == GgmlType::F16 ? "get_rows_f16" : "get_rows_q8_0";
    if (!getRowsSupports(type))
        throw Error(ErrorKind::Internal, "get_rows: no kernel for " + std::string(typeName(type)));
    checkGroups(context, tokens, shader);
    const Pipeline& pipeline = context.pipeline({shader, 3, sizeof(Push), {64}});
    recorder.dispatch(pipeline, {reads(w), reads(ids), writes(y)}, {tokens}, Push{cols, scale, firstRow, rowCount});
}

void recordRmsNorm(ComputeContext& context, CommandRecorder& recorder, const Buffer& x, const Buffer& w, uint32_t rows,
                   uint32_t cols, float eps, const Buffer& y) {
    struct Push {
        uint32_t cols;
        float eps;
    };
    checkGroups(context, rows, "rms_norm");
    const Pipeline& pipeline = context.pipeline({"rms_norm", 3, sizeof(Push), {std::min<uint32_t>(256, std::bit_ceil(cols))}});
    recorder.dispatch(pipeline, {reads(x), reads(w), writes(y)}, {rows}, Push{cols, eps});
}

void recordAdd(ComputeContext& context, CommandRecorder& recorder, const Buffer& a, const Buffer& b, uint32_t n,
               const Buffer& c) {
    const Pipeline& pipeline = context.pipeline({"add", 3, sizeof(uint32_t), {kElementwiseGroup}});
    recorder.dispatch(pipeline, {reads(a), reads(b), writes(c)}, elementwiseGroups(n), n);
}

void recordAddBias(ComputeContext& context, CommandRecorder& recorder, const Buffer& x, const Buffer& bias, uint32_t n,
                   uint32_t cols) {
    struct Push {
        uint32_t n, cols;
    };
    const Pipeline& pipeline = context.pipeline({"add_bias", 2, sizeof(Push), {kElementwiseGroup}});
    recorder.dispatch(pipeline, {writes(x), reads(bias)}, elementwiseGroups(n), Push{n, cols});
}

void recordStoreRows(ComputeContext& context, CommandRecorder& recorder, const Buffer& src, const Buffer& positions,
                     uint32_t tokens, uint32_t cols, const Buffer& dst) {
    struct Push {
        uint32_t n, cols;
    };
    const uint32_t n = tokens * cols;
    const Pipeline& pipeline = context.pipeline({"store_rows", 3, sizeof(Push), {kElementwiseGroup}});
    recorder.dispatch(pipeline, {reads(src), reads(positions), writes(dst)}, elementwiseGroups(n), Push{n, cols});
}

void recordRope(ComputeContext& context, CommandRecorder& recorder, const Buffer& x, uint32_t tokens,
                const Buffer& positions, const Buffer* freqFactors, const RopeParams& params) {
    struct Push {
        uint32_t headDim, heads, ropeDims, neox, hasFreqFactors;
        float thetaScale, freqScale, attnFactor;
    };
    if (params.ropeDims % 2 != 0 || params.ropeDims > params.headDim)
        throw Error(ErrorKind::Internal, "rope: " + std::to_string(params.ropeDims) + " rotated dimensions of " +
                                             std::to_string(params.headDim));
    const uint64_t rows = uint64_t(tokens) * params.heads;
    checkGroups(context, rows, "rope");
    // The same float expression as the CPU reference, so both start from the same angles.
    const float thetaScale = std::pow(params.base, -2.0f / float(params.ropeDims));
    const Push push{params.headDim, params.heads, params.ropeDims, params.neox ? 1u : 0u, freqFactors ? 1u : 0u,
                    thetaScale, params.freqScale, params.attnFactor};
    const Pipeline& pipeline = context.pipeline({"rope", 3, sizeof(Push), {64}});
    // Without frequency factors the shader never reads binding 2: any buffer fills it.
    recorder.dispatch(pipeline, {writes(x), reads(positions), reads(freqFactors ? *freqFactors : positions)},
                      {uint32_t(rows)}, push);
}

namespace {

// attention.comp's push constants; chunk and splits matter only to attention_split.
struct AttentionPush {
    uint32_t heads, kvHeads, headDimK, headDimV;
    float scale, softcap;
    uint32_t window, chunk, splits;
};

// attention.comp: 64 invocations own up to 8 output dimensions each, and q fits 512 floats of shared memory.
constexpr uint32_t kAttentionGroup = 64;

void checkAttention(ComputeContext& context, uint32_t tokens, const AttentionParams& params) {
    constexpr uint32_t kMaxDimsPerThread = 8, kMaxHeadDimK = 512;
    if (params.headDimK > kMaxHeadDimK || params.headDimV > kAttentionGroup * kMaxDimsPerThread)
        throw Error(ErrorKind::Unsupported, "the Vulkan backend handles attention heads of up to 512 dimensions, not " +
                                                std::to_string(std::max(params.headDimK, params.headDimV)));
    if (params.kvHeads == 0 || params.heads % params.kvHeads != 0)
        throw Error(ErrorKind::Internal, "attention: " + std::to_string(params.heads) + " heads over " +
                                             std::to_string(params.kvHeads) + " KV heads");
    checkGroups(context, uint64_t(tokens) * params.heads, "attention");
}

AttentionPush attentionPush(const AttentionParams& params, const AttentionSplit& split) {
    return {params.heads, params.kvHeads, params.headDimK, params.headDimV, params.scale,
            params.softcap, params.window, split.chunk, split.splits};
}

}  // namespace

void recordAttention(ComputeContext& context, CommandRecorder& recorder, const Buffer& q, const Buffer& k,
                     const Buffer& v, const Buffer& positions, uint32_t tokens, const AttentionParams& params,
                     const Buffer& out) {
    checkAttention(context, tokens, params);
    const Pipeline& pipeline = context.pipeline({"attention", 5, sizeof(AttentionPush), {kAttentionGroup}});
    recorder.dispatch(pipeline, {reads(q), reads(k), reads(v), writes(out), reads(positions)},
                      {tokens * params.heads}, attentionPush(params, {}));
}

AttentionSplit attentionSplitFor(uint32_t contextLength, uint32_t heads) {
    // Chunks are whole blocks of the kernel's 64 keys; 1024 workgroups fill the largest GPUs.
    constexpr uint32_t kTargetGroups = 1024;
    const uint32_t wanted = std::max(1u, kTargetGroups / std::max(1u, heads));
    const uint32_t chunk = std::max(1u, groupsFor(groupsFor(std::max(1u, contextLength), wanted), kAttentionGroup)) *
                           kAttentionGroup;
    return {chunk, groupsFor(std::max(1u, contextLength), chunk)};
}

uint64_t splitAttentionScratchFloats(uint32_t tokens, const AttentionParams& params, const AttentionSplit& split) {
    return uint64_t(tokens) * params.heads * split.splits * (params.headDimV + 2);
}

void recordSplitAttention(ComputeContext& context, CommandRecorder& recorder, const Buffer& q, const Buffer& k,
                          const Buffer& v, const Buffer& positions, uint32_t tokens, const AttentionParams& params,
                          const AttentionSplit& split, const Buffer& scratch, const Buffer& out) {
    struct ReducePush {
        uint32_t headDimV, splits;
    };
    checkAttention(context, tokens, params);
    if (split.chunk == 0 || split.splits == 0)
        throw Error(ErrorKind::Internal, "split attention: no splits");
    const Pipeline& partials = context.pipeline({"attention_split", 5, sizeof(AttentionPush), {kAttentionGroup}});
    recorder.dispatch(partials, {reads(q), reads(k), reads(v), writes(scratch), reads(positions)},
                      {tokens * params.heads, split.splits}, attentionPush(params, split));
    const Pipeline& reduce = context.pipeline({"attention_reduce", 2, sizeof(ReducePush), {kAttentionGroup}});
    recorder.dispatch(reduce, {reads(scratch), writes(out)}, {tokens * params.heads},
                      ReducePush{params.headDimV, split.splits});
}

void recordGlu(ComputeContext& context, CommandRecorder& recorder, const Buffer& gate, const Buffer& up, uint32_t n,
               GluActivation activation) {
    struct Push {
        uint32_t n, gelu;
    };
    const Pipeline& pipeline = context.pipeline({"glu", 2, sizeof(Push), {kElementwiseGroup}});
    recorder.dispatch(pipeline, {writes(gate), reads(up)}, elementwiseGroups(n),
                      Push{n, activation == GluActivation::GeluTanh ? 1u : 0u});
}

}  // namespace nibble::vulkan
