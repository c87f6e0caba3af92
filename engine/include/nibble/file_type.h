#pragma once
// general.file_type: the number the established tools (llama.cpp's
// LLAMA_FTYPE) write into a GGUF file for the mix of tensor types it holds.
#include <cstdint>
#include <optional>
#include <string_view>

namespace nibble {

// The name those tools give a file type ("Q4_K_M" for 15), or nullopt for a
// number they do not name.
std::optional<std::string_view> fileTypeName(int64_t fileType);

}  // namespace nibble
