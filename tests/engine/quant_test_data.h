#pragma once
// The reference vectors gguf-py wrote for the (de)quantization tests
// (tests/data/quant), read as raw bytes.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace nibble::test {

// NIBBLE_QUANT_DATA_DIR comes from CMake as an absolute path: __FILE__ can be
// relative when ccache rewrites paths under its base directory.
inline std::filesystem::path quantVectorDir() { return NIBBLE_QUANT_DATA_DIR; }

inline std::vector<uint8_t> readBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace nibble::test
