#pragma once
// Per-input-channel importance of every weight matrix: the mean squared
// activation each column of the matrix is multiplied with, over calibration
// text. Weighting the rounding error by it is what GPTQ/AWQ-style and
// importance-matrix quantization have in common.
#include "gguf/gguf_reader.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nibble {

class ImportanceMatrix {
public:
    // Runs the model over the text in chunks of chunkTokens; progress(0..1) returning false cancels.
    static ImportanceMatrix calibrate(const gguf::GgufFile& file, const std::string& text, int chunkTokens,
                                      const std::function<bool(float)>& progress);
    // Reads llama.cpp's imatrix.dat (the legacy binary format).
    static ImportanceMatrix load(const std::filesystem::path& path);

    // nullptr when the tensor was never seen, or its width differs.
    const float* find(const std::string& tensorName, uint64_t columns) const;
    size_t size() const { return columns_.size(); }
    int tokens() const { return tokens_; }

private:
    std::map<std::string, std::vector<float>> columns_;
    int tokens_ = 0;
};

// Built-in calibration text: varied English prose, dialogue, lists and code.
const std::string& defaultCalibrationText();

}  // namespace nibble
