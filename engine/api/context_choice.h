#pragma once
// The context length a load uses: what was asked for, within the model's
// trained length, and shrunk until the model and a full KV cache fit the
// memory at hand, so that a long context cannot run the machine out of
// memory halfway through a conversation.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace nibble {

// The memory the model and its cache must fit, as the messages name it.
struct MemoryBudget {
    uint64_t bytes = 0;
    std::string available;  // bytes in words: "3.1 GiB are free", "<device> has 8.0 GiB"
    std::string remedy;     // what the person can do when the model does not fit at all
};

struct ContextChoice {
    uint32_t length = 0;
    std::string warning;  // why length is shorter than asked; empty when it is not
};

inline constexpr uint32_t kDefaultContext = 4096;  // when none is asked for (and the model was trained longer)
inline constexpr uint32_t kMinimumContext = 256;   // the shortest context a shrunk one goes down to

// requested 0 means the trained length capped at kDefaultContext. bytesFor(n):
// what the weights and a session with a context of n tokens take. Without a
// budget (the platform cannot say) the wanted length is used as it is. When
// it does not fit, the choice is the largest power of two below it that
// does, down to kMinimumContext; below that it throws Error(OutOfMemory).
ContextChoice chooseContext(uint32_t requested, uint32_t trained, const std::function<uint64_t(uint32_t)>& bytesFor,
                            const std::optional<MemoryBudget>& budget);

}  // namespace nibble
