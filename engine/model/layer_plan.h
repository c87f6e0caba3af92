#pragma once
// What each transformer layer computes, decided once from the configuration
// so that every backend runs the same layers: which RoPE base and scale a
// layer rotates with (Gemma 3's sliding layers use their own), how far back
// it attends, how its attention logits are scaled and capped, which optional
// norms and biases it applies and which activation gates its FFN.
#include "model/model_config.h"

#include <cstdint>
#include <vector>

namespace nibble {

struct RopePlan {
    uint32_t dims = 0;  // leading dimensions of each head that are rotated
    bool neox = false;  // rotate the two halves of a head rather than adjacent pairs
    float base = 10000.0f;
    float freqScale = 1.0f;
    float attnFactor = 1.0f;  // multiplies the rotated dimensions (LongRoPE)
};

struct LayerPlan {
    RopePlan rope;
    uint32_t window = 0;         // positions a token attends to, itself included; 0: every earlier one
    float attentionScale = 1.0f; // scale of q·k
    float attnSoftcap = 0.0f;    // 0: none
    bool qkvBias = false;        // biases added to q, k and v
    bool qkNorm = false;         // per-head RMSNorm of q and k, before RoPE
    bool postNorms = false;      // RMSNorm of the attention and FFN outputs before each residual add
    Activation activation = Activation::SiLU;
};

// One plan per layer, in order.
std::vector<LayerPlan> planLayers(const ModelConfig& config);

}  // namespace nibble
