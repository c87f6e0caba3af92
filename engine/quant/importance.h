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
    // secondMoments also keeps each matrix's whole K x K mean of x x^T (what
    // error compensation needs), not only its diagonal; that costs 8 K^2 bytes a matrix.
    static ImportanceMatrix calibrate(const gguf::GgufFile& file, const std::string& text, int chunkTokens,
                                      const std::function<bool(float)>& progress, bool secondMoments = false);
    // Reads llama.cpp's imatrix.dat (the legacy binary format).
    static ImportanceMatrix load(const std::filesystem::path& path);

    // nullptr when the tensor was never seen, or its width differs.
    const float* find(const std::string& tensorName, uint64_t columns) const;
    // The K x K row-major mean of x x^T over calibration tokens; nullptr when
    // not collected, never seen, or of another width.
    const std::vector<double>* secondMoments(const std::string& tensorName, uint64_t columns) const;
    // Bytes secondMoments would take for the weight matrices of this file.
    static uint64_t secondMomentBytes(const gguf::GgufFile& file);
    size_t size() const { return columns_.size(); }
    int tokens() const { return tokens_; }

private:
    std::map<std::string, std::vector<float>> columns_;
    std::map<std::string, std::vector<double>> moments_;
    int tokens_ = 0;
};

// Built-in calibration text: varied English prose, dialogue, lists and code.
const std::string& defaultCalibrationText();

}  // namespace nibble
