#pragma once
// Records the transformer's kernels other than the matrix multiplications
// (see mat_vec.h), one call per dispatch, with the push constants each shader
// expects. Buffers hold float32 rows unless said otherwise; every count is in
// elements. The recorder orders dependent calls with barriers.
#include "tensor/ggml_type.h"
#include "vulkan/compute_context.h"

#include <cstdint>

namespace nibble::vulkan {

// Types recordGetRows can read directly from the raw GGUF bytes.
bool getRowsSupports(GgmlType type);
// y[t] = row ids[t] of the cols-wide matrix w (raw bytes of `type`) * scale, for `tokens` ids (int32).
// w may hold just rows firstRow .. firstRow + rowCount - 1: other ids leave their y row alone.
void recordGetRows(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w, uint32_t cols,
                   const Buffer& ids, uint32_t tokens, float scale, const Buffer& y, uint32_t firstRow = 0,
                   uint32_t rowCount = UINT32_MAX);

// y = x / rms(x) * w per row of `cols`; y may be x.
void recordRmsNorm(ComputeContext& context, CommandRecorder& recorder, const Buffer& x, const Buffer& w, uint32_t rows,
                   uint32_t cols, float eps, const Buffer& y);
// c = a + b over n elements; c may be a or b.
void recordAdd(ComputeContext& context, CommandRecorder& recorder, const Buffer& a, const Buffer& b, uint32_t n,
               const Buffer& c);
// x[row] += bias for rows of `cols`, n elements in all.
void recordAddBias(ComputeContext& context, CommandRecorder& recorder, const Buffer& x, const Buffer& bias, uint32_t n,
                   uint32_t cols);

// dst row positions[t] = src row t (rows of `cols`), for `tokens` rows: new
// keys or values into the KV cache at positions read from the buffer.
void recordStoreRows(ComputeContext& context, CommandRecorder& recorder, const Buffer& src, const Buffer& positions,
                     uint32_t tokens, uint32_t cols, const Buffer& dst);

struct RopeParams {
    uint32_t headDim = 0, heads = 0, ropeDims = 0;
    bool neox = false;
    float base = 10000.0f, freqScale = 1.0f;
    float attnFactor = 1.0f;  // multiplies the rotated dimensions (LongRoPE)
};
// Rotates rows of x in place (tokens * heads rows of headDim), token t at
// position positions[t] (int32). freqFactors: ropeDims / 2 divisors, or null.
void recordRope(ComputeContext& context, CommandRecorder& recorder, const Buffer& x, uint32_t tokens,
                const Buffer& positions, const Buffer* freqFactors, const RopeParams& params);

struct AttentionParams {
    uint32_t heads = 0, kvHeads = 0, headDimK = 0, headDimV = 0;
    float scale = 1.0f;
    float softcap = 0.0f;    // 0: none
    uint32_t window = 0;     // 0: every earlier position
};
// out[t] = softmax over positions <= positions[t] of q[t]·k, times v, per
// head. k and v are caches of rows kvHeads * headDim per position that
// already hold every position the queries see.
void recordAttention(ComputeContext& context, CommandRecorder& recorder, const Buffer& q, const Buffer& k,
                     const Buffer& v, const Buffer& positions, uint32_t tokens, const AttentionParams& params,
                     const Buffer& out);

// Split-K (flash-decoding) attention, for one or a few query tokens against a
// long cache: the positions are cut into `splits` chunks of `chunk`, each
// attended to by its own workgroup per (token, head), and a second kernel
// combines the partial results. The dispatch covers positions up to
// chunk * splits whatever the tokens' positions, so one recording serves a
// growing cache.
struct AttentionSplit {
    uint32_t chunk = 0, splits = 0;
};
// Chunks for caches of up to contextLength positions: enough splits that
// heads * splits workgroups keep a large GPU busy, none shorter than 64 positions.
AttentionSplit attentionSplitFor(uint32_t contextLength, uint32_t heads);
// Floats of scratch recordSplitAttention needs for `tokens` query tokens.
uint64_t splitAttentionScratchFloats(uint32_t tokens, const AttentionParams& params, const AttentionSplit& split);
// As recordAttention, for positions below split.chunk * split.splits.
void recordSplitAttention(ComputeContext& context, CommandRecorder& recorder, const Buffer& q, const Buffer& k,
                          const Buffer& v, const Buffer& positions, uint32_t tokens, const AttentionParams& params,
                          const AttentionSplit& split, const Buffer& scratch, const Buffer& out);

enum class GluActivation { SiLU, GeluTanh };
// gate = act(gate) * up over n elements.
void recordGlu(ComputeContext& context, CommandRecorder& recorder, const Buffer& gate, const Buffer& up, uint32_t n,
               GluActivation activation);

}  // namespace nibble::vulkan
