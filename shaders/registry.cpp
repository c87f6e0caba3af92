#include "embedded_shaders.h"

#include "shader_table.h"

#include <algorithm>

namespace nibble::shaders {

namespace {

std::span<const embedded::ShaderEntry> table() { return {embedded::kShaders, embedded::kShaderCount}; }

}  // namespace

std::span<const uint32_t> find(std::string_view name) {
    auto entries = table();
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const embedded::ShaderEntry& e, std::string_view n) { return std::string_view(e.name) < n; });
    if (it == entries.end() || it->name != name) return {};
    return {it->words, it->wordCount};
}

std::vector<std::string_view> names() {
    std::vector<std::string_view> result;
    for (const auto& e : table()) result.emplace_back(e.name);
    return result;
}

}  // namespace nibble::shaders
