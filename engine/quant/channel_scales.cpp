#include "quant/channel_scales.h"

#include "cpu/thread_pool.h"
#include "quant/dense_products.h"
#include "quant/error_compensation.h"
#include "tensor/dequantize.h"
#include "tensor/quantize.h"

#include <algorithm>
#include <cmath>

namespace nibble::quant {
namespace {

// The exponents tried, 0 to 1 in tenths (AWQ searches twentieths): each
// costs a compensated rounding of the sample and its error under A.
constexpr int kAlphaSteps = 10;

// Channels quieter than this fraction of the loudest are scaled as if this
// loud, so that a dead input cannot make a scale vanish.
constexpr double kQuietestRms = 1e-6;

// s_j = rms_j^alpha divided by the geometric middle of its range (AWQ's
// normalisation), so that scaled weights stay near their unscaled magnitude.
std::vector<float> scalesFor(const std::vector<double>& rms, double alpha) {
    std::vector<double> s(rms.size());
    for (size_t j = 0; j < rms.size(); ++j) s[j] = std::pow(rms[j], alpha);
    const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    const double middle = std::sqrt(*lo * *hi);
    std::vector<float> out(s.size());
    for (size_t j = 0; j < s.size(); ++j) out[j] = float(s[j] / middle);
    return out;
}

// The sample's output error after rounding under the scales: the sum over
// rows of e^T A e, e the aimed row less its rounded value as the model
// computes with it (divided back by the scales).
double roundingError(const std::vector<SampledRows>& samples, const GroupStatistics& stats,
                     const std::vector<float>& scales, ThreadPool& pool) {
    const size_t k = size_t(stats.k);
    double total = 0;
    for (const SampledRows& sample : samples) {
        const size_t rows = sample.weights.size() / k, rowBytes = quantizedRowBytes(sample.type, stats.k);
        std::vector<uint8_t> bytes(rows * rowBytes);
        quantizeScaled(sample.type, sample.weights.data(), rows, stats, scales, bytes.data(), pool);
        std::vector<double> e(rows * k), ea(rows * k, 0.0);
        pool.parallelFor(rows, [&](size_t begin, size_t end) {
            std::vector<float> rounded(k);
            for (size_t r = begin; r < end; ++r) {
                dequantizeRow(sample.type, bytes.data() + r * rowBytes, rounded.data(), stats.k);
                for (size_t j = 0; j < k; ++j)
                    e[r * k + j] = double(sample.weights[r * k + j]) - double(rounded[j]) / (scales.empty() ? 1.0 : scales[j]);
            }
        });
        addProduct(MatrixView<double>{e.data(), k, 1}, stats.second.data(), k, rows, k, k, ea.data(), k, pool);
        for (size_t i = 0; i < rows * k; ++i) total += e[i] * ea[i];
    }
    return total;
}

}  // namespace

std::vector<float> searchChannelScales(const std::vector<SampledRows>& samples, const GroupStatistics& stats,
                                       ThreadPool& pool) {
    const size_t k = size_t(stats.k);
    std::vector<double> rms(k);
    double loudest = 0;
    for (size_t j = 0; j < k; ++j) loudest = std::max(loudest, rms[j] = std::sqrt(std::max(0.0, stats.second[j * k + j])));
    if (!(loudest > 0)) return {};
    for (double& r : rms) r = std::max(r, kQuietestRms * loudest);
    std::vector<float> best;
    double bestError = roundingError(samples, stats, best, pool);
    for (int step = 1; step <= kAlphaSteps; ++step) {
        std::vector<float> scales = scalesFor(rms, double(step) / kAlphaSteps);
        const double error = roundingError(samples, stats, scales, pool);
        if (error < bestError) {
            bestError = error;
            best = std::move(scales);
        }
    }
    return best;
}

void quantizeScaled(GgmlType type, const float* weights, uint64_t rows, const GroupStatistics& stats,
                    const std::vector<float>& scales, uint8_t* dst, ThreadPool& pool) {
    const size_t k = size_t(stats.k);
    const size_t rowBytes = quantizedRowBytes(type, stats.k);
    std::vector<float> scaled, importance = stats.importance;
    if (!scales.empty()) {
        scaled.resize(rows * k);
        for (size_t r = 0; r < rows; ++r)
            for (size_t j = 0; j < k; ++j) scaled[r * k + j] = weights[r * k + j] * scales[j];
        for (size_t j = 0; j < k; ++j) importance[j] /= scales[j] * scales[j];
        weights = scaled.data();
    }
    if (!canCompensate(type)) {
        pool.parallelFor(rows, [&](size_t begin, size_t end) {
            for (size_t r = begin; r < end; ++r) quantizeRow(type, weights + r * k, dst + r * rowBytes, stats.k, importance.data());
        });
        return;
    }
    if (scales.empty()) {
        errorCompensatedQuantize(type, weights, rows, stats.k, stats.factor, importance.data(), dst, pool);
        return;
    }
    std::vector<double> factor = stats.factor;
    for (size_t i = 0; i < k; ++i)
        for (size_t j = i; j < k; ++j) factor[i * k + j] *= scales[j];
    errorCompensatedQuantize(type, weights, rows, stats.k, factor, importance.data(), dst, pool);
}

}  // namespace nibble::quant
