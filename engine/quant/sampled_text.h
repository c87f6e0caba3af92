#pragma once
// Text a model writes itself, for calibration: token sequences drawn from its
// own distribution (temperature 1, no truncation), so the statistics see the
// activations the model produces on the kind of text it was trained on,
// whatever the built-in calibration text's style. The seed is fixed: the
// same model gives the same sequences, so a quantization is reproducible.
#include "model/model_config.h"
#include "model/model_weights.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace nibble {

class ThreadPool;
class Tokenizer;

namespace quant {

// Sequences of at most maxLength tokens, each beginning with start and ending
// at an end-of-generation token (not kept) or at its length, until tokens
// tokens are written in all (start tokens included). progress (0..1, the
// share written) returning false cancels (Error kind Cancelled).
std::vector<std::vector<int32_t>> sampleSequences(const ModelConfig& config, const ModelWeights& weights,
                                                  const Tokenizer& tokenizer, int32_t start, int tokens,
                                                  int maxLength, ThreadPool& pool,
                                                  const std::function<bool(float)>& progress);

}  // namespace quant
}  // namespace nibble
