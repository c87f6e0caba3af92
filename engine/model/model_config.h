#pragma once
// Hyper-parameters of a transformer, read from GGUF metadata (never from the
// file name), with what each supported architecture does differently.
#include "gguf/gguf_reader.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nibble {

enum class RopeStyle { Normal, NeoX };  // rotate adjacent pairs, or the two halves of a head
enum class Activation { SiLU, GeluTanh };

struct ModelConfig {
    std::string architecture;
    uint32_t nEmbd = 0, nLayer = 0, nHead = 0, nHeadKv = 0, nFf = 0, nVocab = 0;
    uint32_t headDimK = 0, headDimV = 0;
    uint32_t trainedContext = 0;
    float rmsEps = 1e-5f;
    RopeStyle ropeStyle = RopeStyle::Normal;
    uint32_t ropeDims = 0;        // leading dimensions of each head that are rotated
    float ropeBase = 10000.0f;
    float ropeBaseSliding = 10000.0f;  // layers with a sliding window (Gemma 3) use their own base
    float ropeFreqScale = 1.0f;   // linear scaling: 1 / factor
    float ropeFreqScaleSliding = 1.0f;
    // LongRoPE (Phi 3): a context longer than this rotates with the long
    // per-dimension factors, a shorter one with the short factors.
    uint32_t ropeOriginalContext = 0;
    float ropeAttnFactor = 1.0f;  // scales the rotated dimensions of q and k (LongRoPE, YaRN)
    Activation activation = Activation::SiLU;
    float embeddingScale = 1.0f;  // Gemma multiplies embeddings by sqrt(nEmbd)
    float attentionScale = 0.0f;  // scale of q·k
    float attnSoftcap = 0.0f;     // 0: none (Gemma 2 caps attention logits)
    float finalSoftcap = 0.0f;    // 0: none (Gemma 2 caps output logits)
    uint32_t slidingWindow = 0;   // 0: full attention everywhere
    std::vector<bool> layerIsSliding;
    bool qkNorm = false;          // per-head RMSNorm of q and k (Qwen 3, Gemma 3)
    bool postNorms = false;       // norms after attention and after the FFN (Gemma 2/3)
    bool qkvBias = false;         // Qwen 2
    bool fusedProjections = false; // Phi 3: one q/k/v matrix and one gate/up matrix per layer

    static ModelConfig fromGguf(const gguf::GgufFile& file);
};

}  // namespace nibble
