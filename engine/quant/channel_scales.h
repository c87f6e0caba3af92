#pragma once
// Activation-aware per-input-channel scales (the AWQ idea) for a group of
// matrices that share one input. Inputs with large activations matter most
// to the output, and a block format spends its levels evenly over a block's
// columns; stored as W S with the input divided by S (folded into the norm
// before the group), a column j scaled by s_j > 1 gets levels s_j times finer
// where its errors cost most. The output is unchanged in exact arithmetic,
// so the file stays an ordinary one any GGUF reader runs. s = rms^alpha (the
// inputs' root mean square per channel), alpha picked from a grid by the
// group's output error after the error-compensated rounding itself, measured
// on a sample of rows under the inputs' second moment; alpha = 0 (no scaling)
// is on the grid, so scaling is kept only where it measurably helps.
#include "tensor/ggml_type.h"

#include <cstdint>
#include <vector>

namespace nibble {

class ThreadPool;

namespace quant {

// What the rounding of a group is weighted by, in the inputs' coordinates
// before any scaling: A = mean y y^T (k x k, undamped; only the search needs
// it), the upper Cholesky factor U of A^-1 as damped
// (quant/error_compensation.h) and diag A.
struct GroupStatistics {
    int64_t k = 0;
    std::vector<double> second, factor;
    std::vector<float> importance;
};

// Rows of one matrix of the group as it is aimed (row-major, k wide), to
// round in its own type.
struct SampledRows {
    GgmlType type;
    std::vector<float> weights;
};

// k scales, or empty when rounding unscaled is best on the sample.
std::vector<float> searchChannelScales(const std::vector<SampledRows>& samples, const GroupStatistics& stats,
                                       ThreadPool& pool);

// Rounds rows x k aimed weights as stored under the scales (empty: none):
// W S with the columns' errors passed on through U S (the factor of
// (S^-1 A S^-1)^-1) where the type has an element grid, plainly otherwise,
// the format's scale search weighted by diag A / s^2.
void quantizeScaled(GgmlType type, const float* weights, uint64_t rows, const GroupStatistics& stats,
                    const std::vector<float>& scales, uint8_t* dst, ThreadPool& pool);

}  // namespace quant
}  // namespace nibble
