#pragma once
// Making 4-bit and 8-bit variants of a model: standard GGUF files that other
// tools load too. Importance-aware quantization weighs each weight by how
// strongly its input channel is driven on calibration text, so the rounding
// error lands where it matters least.
#include "nibble/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nibble {

struct QuantizeOptions {
    // F16, Q8_0, Q6_K, Q5_K_M, Q5_0, Q5_1, Q4_K_M, Q4_0, Q4_1, IQ4_XS, IQ4_NL.
    std::string recipe;
    // Importance from text run through the source model (built-in text when
    // empty and calibrate is set), or from a llama.cpp imatrix.dat file.
    bool calibrate = false;
    std::string calibrationText;
    std::filesystem::path importanceFile;
    // Error compensation (the GPTQ / OPTQ idea): each matrix is rounded one
    // input column at a time and the error is passed on to the columns not
    // yet rounded, steered by the calibration activations' correlations. The
    // matrices are taken in the order the forward pass reaches them, each
    // calibrated on the model quantized so far and aimed at the source
    // model's output (GPTQ's sequential mode), on the calibration text and
    // on text the source model writes itself. The file keeps the recipe's
    // standard types. Implies calibrate (an imatrix.dat lacks the
    // correlations); needs 40 K^2 bytes of memory for the widest input K
    // (48 K^2 for the inputs a norm feeds, with channelScales).
    bool compensate = false;
    // With compensate: per-input-channel scales (the AWQ idea) folded into
    // the norms before attention and the FFN, each group's kept only where
    // its measured output error drops (quant/channel_scales.h). Off unless
    // asked: on top of the compensation it moved KLD by -7 % to +8 % from
    // one model and text to the next (README).
    bool channelScales = false;
    // Called with 0..1; returning false cancels (Error kind Cancelled, no file left behind).
    std::function<bool(float)> progress;
};

struct QuantizeResult {
    uint64_t sourceBytes = 0;
    uint64_t outputBytes = 0;
    uint64_t parameterCount = 0;
    double seconds = 0;
    double bitsPerWeight = 0;                 // of the quantized tensors' data
    std::map<std::string, int> tensorTypes;   // type name -> tensor count in the output
    std::vector<std::string> warnings;        // e.g. "derived from Q4_1: cannot be better than its source"
};

std::vector<std::string> quantizeRecipes();

// Error compensation keeps one group of matrices' K x K statistics and
// factors at a time; models whose widest group would exceed this are refused.
inline constexpr uint64_t kCompensationStatisticsLimit = uint64_t(8) << 30;
// The bytes of statistics error compensation of source would hold (without
// channel scales, as the app makes it), so a refusal can be told before any
// work starts.
uint64_t compensationStatisticsBytes(const std::filesystem::path& source);

QuantizeResult quantizeModel(const std::filesystem::path& source, const std::filesystem::path& output,
                             const QuantizeOptions& options);

}  // namespace nibble
