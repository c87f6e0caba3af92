#pragma once
// Small helpers the engine tests share: reading golden files and greedy options.
#include "nibble/engine.h"
#include "test_models.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nibble::test {

inline std::string readTextFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The held-out text of the golden perplexity and quantization figures.
inline std::string goldenEvalText() { return readTextFile(goldenDir() / "stories260K" / "eval-text.txt"); }

inline GenerateOptions greedy(int maxTokens) {
    GenerateOptions o;
    o.sampling = SamplingParams::greedy();
    o.maxTokens = maxTokens;
    return o;
}

}  // namespace nibble::test
