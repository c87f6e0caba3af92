#pragma once
// The table that the generated shader_table.cpp fills: one entry per module
// given to nibble_shader(), sorted by name.
#include <cstddef>
#include <cstdint>

namespace nibble::shaders::embedded {

struct ShaderEntry {
    const char* name;
    const uint32_t* words;
    size_t wordCount;
};

extern const ShaderEntry kShaders[];
extern const size_t kShaderCount;

}  // namespace nibble::shaders::embedded
