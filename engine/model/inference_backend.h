#pragma once
// What a session needs from whatever runs the transformer (CPU or Vulkan):
// run a batch of tokens into the KV cache and hand back logits.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nibble {

class InferenceBackend {
public:
    virtual ~InferenceBackend() = default;
    // Runs tokens at positions startPos.. (overwriting whatever the cache held
    // there) and writes the logits of the last token, or of every token when
    // allLogits, as rows of vocabulary size.
    virtual void forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) = 0;
    virtual int contextLength() const = 0;
    virtual std::string description() const = 0;
};

}  // namespace nibble
