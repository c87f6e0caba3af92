#pragma once
// The compute shaders built into Nibble as SPIR-V (see shaders/CMakeLists.txt).
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nibble::shaders {

// The module given this name by nibble_shader(); empty when there is none.
std::span<const uint32_t> find(std::string_view name);

// Every module's name, sorted.
std::vector<std::string_view> names();

}  // namespace nibble::shaders
