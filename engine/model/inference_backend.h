#pragma once
// What a session needs from whatever runs the transformer (CPU or Vulkan):
// run a batch of tokens into the KV cache and hand back logits.
#include "nibble/error.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace nibble {

class InferenceBackend {
public:
    // Whether the caller wants the forward pass in progress abandoned. Polled
    // from the thread running forward(), between layers, so it must be cheap.
    using CancelCheck = std::function<bool()>;

    virtual ~InferenceBackend() = default;
    // Runs tokens at positions startPos.. (overwriting whatever the cache held
    // there) and writes the logits of the last token, or of every token when
    // allLogits, as rows of vocabulary size. Throws Error(Cancelled) when the
    // cancel check says so; the cache at positions startPos.. is then
    // unspecified, and everything before startPos is intact.
    virtual void forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) = 0;
    virtual int contextLength() const = 0;
    virtual std::string description() const = 0;

    void setCancelCheck(CancelCheck check) { cancelCheck_ = std::move(check); }

protected:
    void throwIfCancelled() const {
        if (cancelCheck_ && cancelCheck_()) throw Error(ErrorKind::Cancelled, "cancelled");
    }

private:
    CancelCheck cancelCheck_;
};

}  // namespace nibble
