#pragma once
// What the weight x activation product tests (test_mat_vec, test_mat_mat)
// share: random weights quantized with quantizeRow (random blocks for a type
// without a quantizer), a GPU product of them run on the device, and its
// largest error against the CPU reference (the rows decoded with
// dequantizeRow and multiplied in double precision).
#include "nibble/error.h"
#include "random_blocks.h"
#include "tensor/dequantize.h"
#include "tensor/quantize.h"
#include "vulkan/compute_context.h"

#include <QByteArray>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <span>
#include <vector>

namespace nibble::test {

// |gpu - cpu| / (sum |w x| + eps): float accumulation in another order than
// the double reference stays far below this; a wrong weight does not.
inline constexpr double kMaxRelativeError = 1e-4;
inline constexpr double kEps = 1e-6;

inline constexpr GgmlType kAllProductTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                                                GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                                                GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                                GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS,
                                                GgmlType::IQ3_XXS,
                                                GgmlType::IQ2_XXS,
                                                GgmlType::IQ3_S,
                                                GgmlType::IQ2_XS, GgmlType::TQ1_0, GgmlType::TQ2_0, GgmlType::MXFP4,
                                                GgmlType::IQ2_S, GgmlType::IQ1_S, GgmlType::IQ1_M};

// Types stored in super-blocks of 256 weights.
inline bool hasSuperBlocks(GgmlType type) { return typeTraits(type)->blockSize == 256; }

inline bool isFloatType(GgmlType type) {
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

inline QByteArray typeLabel(GgmlType type) { return QByteArray(typeName(type).data(), int(typeName(type).size())); }

// n floats from N(0, 1), the same for the same seed.
inline std::vector<float> normalFloats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

inline std::vector<uint8_t> quantizeRows(GgmlType type, std::span<const float> weights, uint32_t K, uint32_t N) {
    const size_t rowBytes = quantizedRowBytes(type, K);
    std::vector<uint8_t> bytes(rowBytes * N);
    for (uint32_t n = 0; n < N; ++n) quantizeRow(type, weights.data() + size_t(n) * K, bytes.data() + n * rowBytes, K);
    return bytes;
}

// N random rows of K weights of `type`, reproducible from K and N: random
// weights quantized, or random blocks for a type without a quantizer.
inline std::vector<uint8_t> randomRows(GgmlType type, uint32_t K, uint32_t N) {
    if (typeTraits(type)->quantize) return quantizeRows(type, normalFloats(size_t(N) * K, K * 31 + N), K, N);
    std::mt19937 rng(K * 31 + N);
    std::vector<uint8_t> bytes;
    for (uint32_t n = 0; n < N; ++n) {
        const std::vector<uint8_t> row = randomRow(type, K, rng);
        bytes.insert(bytes.end(), row.begin(), row.end());
    }
    return bytes;
}

// A device buffer holding `bytes` at `offset`, in whole words, as the weights' buffers must be.
inline vulkan::Buffer bufferWith(vulkan::ComputeContext& context, std::span<const std::byte> bytes,
                                 VkDeviceSize offset, const char* name) {
    vulkan::Buffer b = context.createBuffer((offset + bytes.size() + 3) / 4 * 4, vulkan::MemoryKind::DeviceLocal, name);
    context.upload(b, bytes, offset);
    return b;
}

struct ProductOperands {
    GgmlType type;
    uint32_t K;
    uint32_t N;
    uint32_t batch;
    // Where w, x and y start in their buffers.
    VkDeviceSize wOffset = 0;
    VkDeviceSize xOffset = 0;
    VkDeviceSize yOffset = 0;
};

// Records y = W x with the kernel under test, from the buffers and offsets given.
using RecordProduct = std::function<void(vulkan::CommandRecorder&, const ProductOperands&, const vulkan::Buffer& w,
                                         const vulkan::Buffer& x, const vulkan::Buffer& y)>;

// The largest error of W x over every output, relative to sum |w x|, with x
// random from `seed`. weights: the N rows' GGUF bytes.
inline double productError(vulkan::ComputeContext& context, const ProductOperands& op,
                           std::span<const uint8_t> weights, uint32_t seed, const RecordProduct& record) {
    const std::vector<float> x = normalFloats(size_t(op.batch) * op.K, seed);
    const vulkan::Buffer w = bufferWith(context, std::as_bytes(weights), op.wOffset, "the weights");
    const vulkan::Buffer xb = bufferWith(context, std::as_bytes(std::span(x)), op.xOffset, "x");
    const vulkan::Buffer yb =
        context.createBuffer(op.yOffset + size_t(op.batch) * op.N * 4, vulkan::MemoryKind::DeviceLocal, "y");

    vulkan::CommandRecorder recorder(context);
    recorder.fill(yb, 0x7fc00000);  // NaN: an output never written fails
    record(recorder, op, w, xb, yb);
    context.submit(recorder.finish());
    std::vector<float> y(size_t(op.batch) * op.N);
    context.download(yb, std::as_writable_bytes(std::span(y)), op.yOffset);

    const size_t rowBytes = weights.size() / op.N;
    std::vector<float> row(op.K);
    double worst = 0;
    for (uint32_t n = 0; n < op.N; ++n) {
        dequantizeRow(op.type, weights.data() + n * rowBytes, row.data(), op.K);
        for (uint32_t b = 0; b < op.batch; ++b) {
            double dot = 0, magnitude = 0;
            for (uint32_t k = 0; k < op.K; ++k) {
                const double term = double(row[k]) * x[size_t(b) * op.K + k];
                dot += term;
                magnitude += std::abs(term);
            }
            const double error = std::abs(y[size_t(b) * op.N + n] - dot) / (magnitude + kEps);
            if (std::isnan(error)) return INFINITY;
            worst = std::max(worst, error);
        }
    }
    return worst;
}

}  // namespace nibble::test
