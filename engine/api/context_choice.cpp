#include "api/context_choice.h"

#include "nibble/error.h"
#include "vulkan/buffer.h"

#include <algorithm>
#include <bit>

namespace nibble {

ContextChoice chooseContext(uint32_t requested, uint32_t trained, const std::function<uint64_t(uint32_t)>& bytesFor,
                            const std::optional<MemoryBudget>& budget) {
    const uint32_t longest = std::max<uint32_t>(trained, 16);
    const uint32_t wanted = std::clamp<uint32_t>(requested ? requested : std::min(trained, kDefaultContext), 16, longest);
    if (!budget || bytesFor(wanted) <= budget->bytes) return {wanted, {}};

    const uint32_t shortest = std::min(wanted, kMinimumContext);
    uint32_t length = std::bit_floor(wanted - 1);  // below wanted, which does not fit
    while (length > shortest && bytesFor(length) > budget->bytes) length /= 2;
    length = std::max(length, shortest);
    if (bytesFor(length) > budget->bytes)
        throw Error(ErrorKind::OutOfMemory, "this model needs " + vulkan::formatBytes(bytesFor(length)) +
                                                " even with a context of " + std::to_string(length) + " tokens, but " +
                                                budget->available + "; " + budget->remedy);
    const std::string asked = requested ? "a context of " + std::to_string(wanted) + " tokens"
                                        : "the default context of " + std::to_string(wanted) + " tokens";
    return {length, asked + " needs " + vulkan::formatBytes(bytesFor(wanted)) + "; " + budget->available + ": using " +
                        std::to_string(length) + " tokens"};
}

}  // namespace nibble
