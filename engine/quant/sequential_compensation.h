#pragma once
// Sequential error compensation (GPTQ's sequential mode). The weight matrices
// are quantized in the order the forward pass reaches them, and each one's
// statistics come from the calibration text's hidden states in two models
// side by side: the source (inputs x) and the model quantized so far (inputs
// y). Each matrix is aimed at the source model's output, its source weights
// on x, rather than at its own weights on y, so it also corrects the errors
// of the matrices before it. Both models advance one layer at a time over the
// whole text, so the cost is a few passes of each layer, not of the model.
#include "gguf/gguf_reader.h"
#include "model/model_config.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nibble {

class ThreadPool;

namespace quant {

struct SequentialOptions {
    std::string text;  // calibration text
    // Tokens the source model writes itself (quant/sampled_text.h), calibrated on with the text.
    int sampledTokens = 0;
    int chunkTokens = 512;
    double damping = 0.0;  // added to H's diagonal, relative to its mean
    bool channelScales = false;  // searched and folded into norms (quant/channel_scales.h)
    // The type each tensor gets; a tensor whose type is its own is left alone.
    std::function<GgmlType(const gguf::TensorInfo&)> typeFor;
    // 0..1, the sampling the first fifth (calibration, as the app tells it);
    // returning false cancels.
    std::function<bool(float)> progress;
};

struct SequentialResult {
    // The quantized bytes of every weight matrix whose type changes, and of
    // every norm a group's channel scales were folded into, by name.
    std::map<std::string, std::vector<uint8_t>> tensors;
    int scaledNorms = 0;  // of the norms before attention and the FFN (quant/channel_scales.h)
    int tokens = 0;         // calibration tokens, the sampled ones included
    int sampledTokens = 0;
};

SequentialResult quantizeSequentially(const gguf::GgufFile& source, const ModelConfig& config,
                                      const SequentialOptions& options, ThreadPool& pool);

// The most memory the statistics and factors of one group of matrices take
// (the widest input decides), so a model too large can be refused up front.
uint64_t sequentialStatisticsBytes(const gguf::GgufFile& source, bool channelScales);

}  // namespace quant
}  // namespace nibble
