#pragma once
// The model's tensors, found by their GGUF names and checked against the
// configuration before any computation touches them.
#include "gguf/gguf_reader.h"
#include "model/model_config.h"

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
    std::vector<LayerWeights> layers;

    static ModelWeights bind(const gguf::GgufFile& file, const ModelConfig& config);

    // Every tensor the forward pass reads, once each (the output may be the embedding).
    std::vector<const Tensor*> all() const;
    // Throws Error(InvalidFile) naming the first vector (norm weights, biases)
    // or small float matrix holding NaN or infinity: such a model can only
    // produce garbage. Large matrices are left to the check on the logits.
    void checkNumbers(const gguf::GgufFile& file) const;
};

}  // namespace nibble
