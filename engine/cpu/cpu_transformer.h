#pragma once
// The CPU transformer. Its reference path (BackendKind::Reference) is exact
// float32 arithmetic over dequantized weights, the answer every GPU kernel
// and the fast path are checked against; its fast path (BackendKind::Cpu,
// what the app runs) multiplies with
// integer kernels over inputs quantized to 8 bits plus an 8-bit remainder
// (cpu/fast_matmul.h), within a tiny KL divergence of the reference.
#include "model/inference_backend.h"
#include "nibble/engine.h"
#include "cpu/fast_matmul.h"
#include "cpu/lazy_floats.h"
#include "model/layer_plan.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "cpu/thread_pool.h"

#include <functional>
#include <initializer_list>
#include <optional>
#include <vector>

namespace nibble {

class CpuTransformer final : public InferenceBackend {
public:
    // The weights (and the file they point into) must outlive this object.
    // Without kernels it runs the exact reference path (whose cache is f32
    // whatever kvCache says), otherwise the fast path on those kernels (a
    // table from cpu::kernelTable).
    CpuTransformer(const ModelConfig& config, const ModelWeights& weights, int contextLength, ThreadPool& pool,
                   const cpu::KernelTable* kernels = nullptr, KvCacheType kvCache = KvCacheType::F32);

    void forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) override;

    // forward() in its three steps, for callers that advance hidden states
    // one layer at a time (sequential quantization); forward is embed, every
    // layer in order, finish. x holds tokens.size() (batch) rows of nEmbd.
    void embed(std::span<const int32_t> tokens, float* x) const;
    // Runs one layer over the batch in place, writing its cache rows from startPos.
    void runLayer(uint32_t layer, float* x, int batch, int startPos);
    // The final norm and output matrix over x: the last row's logits or all of them.
    void finish(const float* x, int batch, bool allLogits, std::vector<float>& logits);
    int contextLength() const override { return context_; }
    std::string description() const override;
    // "CPU, AVX2 kernels, 4 threads" (", F16 KV cache" after it where the
    // cache is F16) or "CPU reference, 4 threads".
    static std::string describe(const cpu::KernelTable* kernels, unsigned threads,
                                KvCacheType kvCache = KvCacheType::F32);

    // Host memory one session takes besides the weights once its context is
    // full: the KV cache and the activations of a prompt chunk.
    static uint64_t sessionBytes(const ModelConfig& config, int contextLength);

    // Sees the input of every weight-matrix multiplication (batch rows of the
    // matrix's row length): how calibration collects activation statistics.
    // RoPE of one head at a position: freqFactors (rope.dims / 2 divisors of
    // the angles) may be null; LongRoPE's attention factor is included.
    static void rotate(float* head, const RopePlan& rope, int pos, const float* freqFactors);

    // Reads one layer's norm weights and biases again from the weights, which
    // sequential quantization changes as it folds channel scales into norms.
    void reloadNorms(uint32_t layer);

    using ActivationObserver = std::function<void(const Tensor& weight, const float* input, int batch)>;
    void setActivationObserver(ActivationObserver observer) { observer_ = std::move(observer); }

private:
    void mul(const Tensor& w, const float* x, int batch, float* y);
    // mul() of each matrix with the same inputs, on the fast path in one
    // pass of the pool (cpu::FastMatmul::multiplyGroup).
    void mulGroup(std::initializer_list<const Tensor*> ws, const float* x, int batch, std::initializer_list<float*> ys);
    // Attention of a batch of query rows over one layer's cache, on the fast
    // path's float kernels.
    // kLayer and vLayer are the layer's caches, in elements of cacheBytes_.
    void attendFast(const LayerPlan& P, const float* q, const uint8_t* kLayer, const uint8_t* vLayer, int startPos,
                    int batch, float* attn);
    // A query-key product, scaled and soft-capped as the layer says.
    static float scaleScore(const LayerPlan& P, float s);

    void checkRoom(int startPos, int batch) const;

    struct LayerNorms {
        std::vector<float> attn, ffn, q, k, postAttn, postFfn, bq, bk, bv;
    };
    static LayerNorms normsOf(const LayerWeights& L);

    const ModelConfig& c_;
    const ModelWeights& w_;
    std::vector<LayerPlan> plan_;
    ThreadPool& pool_;
    int context_;
    // Keys [layer][position][kv heads * head size], values transposed
    // [layer][kv heads * head size][position] (so a weighted sum over
    // positions is a product with rows, as the float kernels compute it);
    // memory is committed as pages are first written. F32 or, for an F16
    // cache, halves packed two to a float slot.
    LazyFloats kCache_, vCache_;
    bool halfCache_ = false;
    size_t cacheBytes_ = sizeof(float);  // of one element
    std::vector<float> outputNorm_, ropeFreqs_;
    std::vector<LayerNorms> norms_;
    ActivationObserver observer_;
    // A layer's intermediate activations, kept between calls so decoding does not allocate.
    std::vector<float> xn_, q_, k_, v_, attn_, proj_, gate_, up_;
    std::optional<cpu::FastMatmul> fast_;
};

}  // namespace nibble
