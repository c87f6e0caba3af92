#pragma once
// The checks of the fast CPU kernels (cpu/kernel_table.h), shared by
// test_cpu_kernels (the native sets, Qt Test) and tests/cross/
// check_cpu_kernels.cpp (the ARM64 set under qemu, without Qt): random
// weight rows of every matrix type, the values a quantized input row stands
// for, and the quantizer and tile checks themselves.
#include "cpu/kernel_table.h"
#include "tensor/dequantize.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"
#include "tensor/quantize.h"
#include "random_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nibble::test {

using cpu::ActivationFormat;
using cpu::ActivationQ8_0;
using cpu::ActivationQ8_K;
using cpu::ActivationQ16_0;

// The types real model files store their matrices in: the fast path must
// run every one of them.
inline constexpr GgmlType kMatrixTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                                     GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                                     GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                     GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::IQ3_XXS,
                                     GgmlType::IQ2_XXS, GgmlType::IQ3_S, GgmlType::IQ2_XS, GgmlType::IQ2_S, GgmlType::IQ1_S,
                                     GgmlType::IQ1_M, GgmlType::TQ1_0,
                                     GgmlType::TQ2_0, GgmlType::MXFP4};

inline int blockOf(ActivationFormat format) {
    switch (format) {
    case ActivationFormat::Q8_0: return 32;
    case ActivationFormat::Q8_K: return 256;
    case ActivationFormat::F32: return 1;
    case ActivationFormat::Q16_0: return 32;
    }
    return 1;
}

inline size_t activationRowBytes(ActivationFormat format, int64_t k) {
    switch (format) {
    case ActivationFormat::Q8_0: return size_t(k / 32) * sizeof(ActivationQ8_0);
    case ActivationFormat::Q8_K: return size_t(k / 256) * sizeof(ActivationQ8_K);
    case ActivationFormat::F32: return size_t(k) * sizeof(float);
    case ActivationFormat::Q16_0: return size_t((k / 32 + 1) / 2) * sizeof(ActivationQ16_0);
    }
    return 0;
}

inline std::vector<double> activationValues(ActivationFormat format, const uint8_t* row, int64_t k) {
    std::vector<double> out(static_cast<size_t>(k));
    if (format == ActivationFormat::F32) {
        for (int64_t i = 0; i < k; ++i) {
            float v;
            std::memcpy(&v, row + 4 * i, 4);
            out[size_t(i)] = v;
        }
    } else if (format == ActivationFormat::Q8_0) {
        for (int64_t b = 0; b < k / 32; ++b) {
            ActivationQ8_0 block;
            std::memcpy(&block, row + b * sizeof block, sizeof block);
            for (int j = 0; j < 32; ++j) out[size_t(b * 32 + j)] = double(block.d) * block.q[j];
        }
    } else if (format == ActivationFormat::Q16_0) {
        for (int64_t b = 0; b < k / 32; ++b) {
            ActivationQ16_0 pair;
            std::memcpy(&pair, row + (b / 2) * sizeof pair, sizeof pair);
            const int half = int(b % 2);
            for (int j = 0; j < 32; ++j)
                out[size_t(b * 32 + j)] = double(pair.d[8 * half]) * pair.q[(j < 16 ? 0 : 16) + 16 * half + j];
        }
    } else {
        for (int64_t b = 0; b < k / 256; ++b) {
            ActivationQ8_K block;
            std::memcpy(&block, row + b * sizeof block, sizeof block);
            for (int j = 0; j < 256; ++j) out[size_t(b * 256 + j)] = double(block.d) * block.q[j];
        }
    }
    return out;
}

inline std::vector<float> randomFloats(std::mt19937& rng, size_t n, float scale) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

// Quantized from random floats where we have a quantizer, otherwise random
// blocks with sane scales (random_blocks.h).
inline std::vector<uint8_t> randomWeightRows(std::mt19937& rng, GgmlType type, int rows, int64_t k) {
    const TypeTraits traits = *typeTraits(type);
    const size_t rowBytes = size_t(k / traits.blockSize) * traits.blockBytes;
    std::vector<uint8_t> bytes;
    bytes.reserve(rowBytes * size_t(rows));
    for (int r = 0; r < rows; ++r) {
        std::vector<uint8_t> row(rowBytes);
        if (canQuantize(type)) {
            const std::vector<float> values = randomFloats(rng, size_t(k), 0.05f);
            quantizeRow(type, values.data(), row.data(), k);
        } else {
            row = randomRow(type, k, rng);
        }
        bytes.insert(bytes.end(), row.begin(), row.end());
    }
    return bytes;
}

// Each check returns its first failure in words, or an empty string.

// The quantizer keeps every input within half a step of its block, copes
// with an all-zero block and an outlier, and its sums match its q. Q16_0:
// steps of 1/32767 of the block's largest magnitude, each pair's lanes
// agree, and an odd block count's last pair ends in a zero block.
inline std::string checkQuantizer(const cpu::KernelTable& table, ActivationFormat fmt) {
    std::mt19937 rng(7);
    const int64_t k = fmt == ActivationFormat::Q16_0 ? 1056 : 1024;
    std::vector<float> x = randomFloats(rng, size_t(k), 1.0f);
    for (int64_t i = 0; i < blockOf(fmt); ++i) x[size_t(i)] = 0.0f;  // an all-zero block must not divide by zero
    x[300] = 40.0f;                                                   // an outlier sets its block's step
    std::vector<uint8_t> row(activationRowBytes(fmt, k), 0x7f);
    table.quantize[static_cast<int>(fmt)](x.data(), row.data(), k);
    const std::vector<double> back = activationValues(fmt, row.data(), k);
    const int block = blockOf(fmt);
    for (int64_t b = 0; b < k / block; ++b) {
        float maxAbs = 0;
        for (int j = 0; j < block; ++j) maxAbs = std::max(maxAbs, std::fabs(x[size_t(b * block + j)]));
        const double step = maxAbs / (fmt == ActivationFormat::Q16_0 ? 32767.0 : 127.0);
        for (int j = 0; j < block; ++j) {
            const size_t i = size_t(b * block + j);
            if (!std::isfinite(back[i]) || std::fabs(back[i] - x[i]) > step * 0.5 * 1.001 + 1e-7)
                return "input " + std::to_string(i) + ": " + std::to_string(x[i]) + " came back as " +
                       std::to_string(back[i]);
        }
        if (fmt == ActivationFormat::Q8_0) {
            ActivationQ8_0 q;
            std::memcpy(&q, row.data() + b * sizeof q, sizeof q);
            int sum = 0;
            for (int j = 0; j < 32; ++j) sum += q.q[j];
            if (std::fabs(q.sum - q.d * float(sum)) > 1e-5f * (std::fabs(q.sum) + 1.0f))
                return "block " + std::to_string(b) + ": sum " + std::to_string(q.sum) + " does not match its q";
        } else if (fmt == ActivationFormat::Q16_0) {
            ActivationQ16_0 pair;
            std::memcpy(&pair, row.data() + (b / 2) * sizeof pair, sizeof pair);
            for (int lane = 0; lane < 8; ++lane)
                if (pair.d[8 * (b % 2) + lane] != pair.d[8 * (b % 2)])
                    return "block " + std::to_string(b) + ": its step differs between lanes";
            if (b == k / block - 1 && b % 2 == 0) {
                for (int lane = 8; lane < 16; ++lane)
                    if (pair.d[lane] != 0.0f) return "the last pair's empty block has a step";
                for (int j = 0; j < 16; ++j)
                    if (pair.q[16 + j] != 0 || pair.q[48 + j] != 0) return "the last pair's empty block has values";
            }
        } else {
            ActivationQ8_K q;
            std::memcpy(&q, row.data() + b * sizeof q, sizeof q);
            for (int s = 0; s < 16; ++s) {
                int sum = 0;
                for (int j = 0; j < 16; ++j) sum += q.q[s * 16 + j];
                if (q.bsums[s] != sum) return "block " + std::to_string(b) + ": bsums[" + std::to_string(s) + "] wrong";
            }
        }
    }
    return {};
}

// Fills the row after each refined input's 8-bit blocks (kernel_table.h):
// random remainder values, block scales 1/256 of the coarse row's.
inline void addRandomRemainder(std::mt19937& rng, ActivationFormat format, const uint8_t* coarse, uint8_t* fine,
                               int64_t k) {
    std::uniform_int_distribution<int> value(-127, 127);
    if (format == ActivationFormat::Q8_0) {
        for (int64_t b = 0; b < k / 32; ++b) {
            ActivationQ8_0 block;
            std::memcpy(&block, coarse + b * sizeof block, sizeof block);
            block.d /= 256.0f;
            int sum = 0;
            for (int8_t& q : block.q) sum += q = int8_t(value(rng));
            block.sum = block.d * float(sum);
            std::memcpy(fine + b * sizeof block, &block, sizeof block);
        }
        return;
    }
    for (int64_t b = 0; b < k / 256; ++b) {
        ActivationQ8_K block;
        std::memcpy(&block, coarse + b * sizeof block, sizeof block);
        block.d /= 256.0f;
        for (int s = 0; s < 16; ++s) {
            int sum = 0;
            for (int j = 0; j < 16; ++j) sum += block.q[16 * s + j] = int8_t(value(rng));
            block.bsums[s] = int16_t(sum);
        }
        std::memcpy(fine + b * sizeof block, &block, sizeof block);
    }
}

// Every tile shape from 1x1 to 4x4 equals, up to float rounding, the
// product of the dequantized weights with the values the quantized inputs
// stand for, and writes nothing outside itself. Refined: the same for the
// kernel over refined inputs (a pair of rows each), where the set has one.
// Prompt: for the prompt tiles over refined inputs (WeightKernel::promptDot),
// every shape up to theirs.
inline std::string checkTiles(const cpu::KernelTable& table, GgmlType type, bool refined = false,
                              bool prompt = false) {
    const cpu::WeightKernel kernel = table.weights[static_cast<int>(type)];
    if (!kernel.dot) return "no kernel";
    refined = refined || prompt;
    const cpu::DotTileFn dot = prompt ? kernel.promptDot : refined ? kernel.refinedDot : kernel.dot;
    if (!dot) return prompt ? "no prompt kernel" : "no kernel for refined inputs";
    const int maxRows = prompt ? kernel.promptRows : cpu::kMaxTileRows;
    const int maxCols = prompt ? kernel.promptCols : cpu::kMaxTileCols;
    if (maxRows < 1 || maxCols < 1) return "a prompt tile of no rows or columns";
    const bool wide = refined && (prompt ? kernel.promptInput : kernel.refinedInput) == cpu::RefinedInput::Q16_0;
    const ActivationFormat format = wide ? ActivationFormat::Q16_0 : kernel.activation;
    if (!table.quantize[static_cast<int>(format)] && format != ActivationFormat::F32) return "no quantizer for its inputs";
    const int rowsPerInput = refined && !wide ? 2 : 1;
    std::mt19937 rng(uint32_t(static_cast<int>(type)) * 31 + uint32_t(static_cast<int>(table.isa)));
    // 576 (SmolLM2's width) is 18 blocks of 32: not a multiple of an unrolled loop's step.
    // 800 is 25 blocks of 32: an odd count, for kernels that take blocks in pairs.
    // 37 and 100 (float types only): attention's rows of any length.
    for (int64_t k : {int64_t(37), int64_t(100), int64_t(256), int64_t(576), int64_t(768), int64_t(800), int64_t(4096)}) {
        const TypeTraits traits = *typeTraits(type);
        if (k % traits.blockSize != 0) continue;
        const size_t wStride = size_t(k / traits.blockSize) * traits.blockBytes;
        const std::vector<uint8_t> w = randomWeightRows(rng, type, maxRows, k);
        const size_t xStride = activationRowBytes(format, k) + 40;  // rows need not be packed
        // Bytes no quantizer writes read as large values.
        std::vector<uint8_t> x(xStride * maxCols * rowsPerInput, 0x7f);
        for (int c = 0; c < maxCols; ++c) {
            uint8_t* input = x.data() + c * rowsPerInput * xStride;
            const std::vector<float> values = randomFloats(rng, size_t(k), c == 0 ? 0.01f : float(c * c));
            if (format == ActivationFormat::F32)
                std::memcpy(input, values.data(), size_t(k) * 4);
            else
                table.quantize[static_cast<int>(format)](values.data(), input, k);
            if (rowsPerInput == 2) addRandomRemainder(rng, kernel.activation, input, input + xStride, k);
        }
        std::vector<std::vector<double>> expected(size_t(maxCols), std::vector<double>(size_t(maxRows), 0.0));
        std::vector<std::vector<double>> magnitude = expected;
        std::vector<float> row(static_cast<size_t>(k));
        for (int r = 0; r < maxRows; ++r) {
            dequantizeRow(type, w.data() + r * wStride, row.data(), k);
            for (int c = 0; c < maxCols; ++c) {
                const uint8_t* input = x.data() + c * rowsPerInput * xStride;
                std::vector<double> a = activationValues(format, input, k);
                if (rowsPerInput == 2) {
                    const std::vector<double> fine = activationValues(kernel.activation, input + xStride, k);
                    for (size_t i = 0; i < a.size(); ++i) a[i] += fine[i];
                }
                double sum = 0, mag = 0;
                for (int64_t i = 0; i < k; ++i) {
                    sum += double(row[size_t(i)]) * a[size_t(i)];
                    mag += std::fabs(double(row[size_t(i)]) * a[size_t(i)]);
                }
                expected[c][r] = sum;
                magnitude[c][r] = mag;
            }
        }
        for (int rows = 1; rows <= maxRows; ++rows)
            for (int cols = 1; cols <= maxCols; ++cols) {
                const size_t ldy = size_t(maxRows) + 3;
                std::vector<float> y(ldy * maxCols, -12345.0f);
                dot(k, w.data(), wStride, rows, x.data(), xStride, cols, y.data(), ldy);
                for (int c = 0; c < maxCols; ++c)
                    for (size_t r = 0; r < ldy; ++r) {
                        const float got = y[c * ldy + r];
                        const std::string where = "k " + std::to_string(k) + ", tile " + std::to_string(rows) + "x" +
                                                  std::to_string(cols) + ", row " + std::to_string(r) + ", input " +
                                                  std::to_string(c);
                        if (c >= cols || r >= size_t(rows)) {
                            if (got != -12345.0f) return where + ": written outside the tile";
                            continue;
                        }
                        const double tolerance = 1e-5 * magnitude[c][r] + 1e-9;
                        if (!(std::fabs(got - expected[c][r]) <= tolerance))
                            return where + ": " + std::to_string(got) + ", expected " + std::to_string(expected[c][r]);
                    }
            }
    }
    return {};
}

}  // namespace nibble::test
