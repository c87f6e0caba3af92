#include "nibble/available_memory.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif

namespace nibble {
namespace {

std::optional<uint64_t> parseBytes(std::string_view text) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<uint64_t> systemAvailableBytes() {
#if defined(__linux__)
    std::ifstream meminfo("/proc/meminfo");
    std::string key, unit;
    uint64_t kib = 0;
    while (meminfo >> key >> kib) {
        std::getline(meminfo, unit);
        if (key == "MemAvailable:") return kib * 1024;
    }
    return std::nullopt;
#elif defined(_WIN32)
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (!GlobalMemoryStatusEx(&status)) return std::nullopt;
    return uint64_t(status.ullAvailPhys);
#else
    return std::nullopt;
#endif
}

}  // namespace

std::optional<uint64_t> availableMemoryBytes() {
    if (const char* forced = std::getenv("NIBBLE_TEST_AVAILABLE_MEMORY"); forced && *forced)
        if (auto bytes = parseBytes(forced)) return bytes;
    return systemAvailableBytes();
}

}  // namespace nibble
