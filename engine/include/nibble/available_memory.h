#pragma once
// How much memory this machine can give a model right now, for choosing a
// context that fits before anything is allocated.
#include <cstdint>
#include <optional>

namespace nibble {

// Bytes the operating system can hand out without swapping (Linux:
// MemAvailable; Windows: available physical memory), or nullopt where it
// cannot say. NIBBLE_TEST_AVAILABLE_MEMORY (a byte count) overrides it, so
// tests can play a machine with little memory.
std::optional<uint64_t> availableMemoryBytes();

}  // namespace nibble
