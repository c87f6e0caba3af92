#pragma once
// The model's tensors, found by their GGUF names and checked against the
// configuration before any computation touches them.
#include "gguf/gguf_reader.h"
#include "model/model_config.h"

#include <memory>
#include <vector>

namespace nibble {

using Tensor = gguf::TensorInfo;

struct LayerWeights {
    const Tensor* attnNorm = nullptr;
    const Tensor* wq = nullptr;
    const Tensor* wk = nullptr;
    const Tensor* wv = nullptr;
    const Tensor* wo = nullptr;
    const Tensor* bq = nullptr;  // Qwen 2 biases
    const Tensor* bk = nullptr;
    const Tensor* bv = nullptr;
    const Tensor* qNorm = nullptr;
    const Tensor* kNorm = nullptr;
    const Tensor* postAttnNorm = nullptr;
    const Tensor* ffnNorm = nullptr;
    const Tensor* gate = nullptr;
    const Tensor* up = nullptr;
    const Tensor* down = nullptr;
    const Tensor* postFfnNorm = nullptr;
};

struct ModelWeights {
    const Tensor* tokenEmbedding = nullptr;
    const Tensor* outputNorm = nullptr;
    const Tensor* output = nullptr;     // token_embd when the output is tied
    const Tensor* ropeFreqs = nullptr;  // Llama 3.1+ per-dimension frequency factors
    const Tensor* ropeFactorsShort = nullptr;  // LongRoPE (Phi 3) factors within the original context
    const Tensor* ropeFactorsLong = nullptr;   // and beyond it
    std::vector<LayerWeights> layers;
    // Row ranges of fused matrices (Phi 3's attn_qkv and ffn_up), the layers'
    // wq/wk/wv and gate/up: they point into the file's data, where a range of
    // whole rows is contiguous in every format, so no kernel knows of fusion.
    std::vector<std::unique_ptr<Tensor>> slices;

    static ModelWeights bind(const gguf::GgufFile& file, const ModelConfig& config);

    // The per-dimension frequency divisors a context of this many tokens
    // rotates with, or null: Llama 3.1's fixed factors, else LongRoPE's long
    // factors when the context is longer than the original one, as llama.cpp
    // chooses them.
    const Tensor* ropeFactors(const ModelConfig& config, int contextLength) const;

    // Every tensor the forward pass reads, once each (the output may be the embedding).
    std::vector<const Tensor*> all() const;
    // Throws Error(InvalidFile) naming the first vector (norm weights, biases)
    // or small float matrix holding NaN or infinity: such a model can only
    // produce garbage. Large matrices are left to the check on the logits.
    void checkNumbers(const gguf::GgufFile& file) const;
};

}  // namespace nibble
