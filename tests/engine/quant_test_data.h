#pragma once
// The reference vectors gguf-py wrote for the (de)quantization tests
// (tests/data/quant), read as raw bytes.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace nibble::test {

inline std::filesystem::path quantVectorDir() {
    return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "quant";
}

inline std::vector<uint8_t> readBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace nibble::test
