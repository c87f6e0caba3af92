#pragma once
// Sample inputs for checking the fast CPU kernels (cpu/kernel_table.h),
// shared by test_cpu_kernels (native sets, Qt Test) and tests/cross/
// check_cpu_kernels.cpp (the ARM64 set under qemu, no Qt): random weight rows
// of every matrix type, and the values a quantized activation row stands for.
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"
#include "tensor/quantize.h"

#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

namespace nibble::test {

using cpu::ActivationFormat;
using cpu::ActivationQ8_0;
using cpu::ActivationQ8_K;

// The types real model files store their matrices in: the fast path must
// run every one of them.
inline constexpr GgmlType kMatrixTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                                     GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                                     GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                     GgmlType::Q6_K};

inline int blockOf(ActivationFormat format) {
    switch (format) {
    case ActivationFormat::Q8_0: return 32;
    case ActivationFormat::Q8_K: return 256;
    case ActivationFormat::F32: return 1;
    }
    return 1;
}

inline size_t activationRowBytes(ActivationFormat format, int64_t k) {
    switch (format) {
    case ActivationFormat::Q8_0: return size_t(k / 32) * sizeof(ActivationQ8_0);
    case ActivationFormat::Q8_K: return size_t(k / 256) * sizeof(ActivationQ8_K);
    case ActivationFormat::F32: return size_t(k) * sizeof(float);
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
// bytes with sane super-block scales.
inline std::vector<uint8_t> randomWeightRows(std::mt19937& rng, GgmlType type, int rows, int64_t k) {
    const TypeTraits traits = *typeTraits(type);
    const size_t rowBytes = size_t(k / traits.blockSize) * traits.blockBytes;
    std::vector<uint8_t> bytes(rowBytes * size_t(rows));
    if (canQuantize(type)) {
        for (int r = 0; r < rows; ++r) {
            const std::vector<float> values = randomFloats(rng, size_t(k), 0.05f);
            quantizeRow(type, values.data(), bytes.data() + size_t(r) * rowBytes, k);
        }
        return bytes;
    }
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t& b : bytes) b = uint8_t(byte(rng));
    std::uniform_real_distribution<float> scale(0.001f, 0.01f);
    for (size_t block = 0; block < bytes.size() / traits.blockBytes; ++block) {
        uint8_t* p = bytes.data() + block * traits.blockBytes;
        const uint16_t d = floatToHalf(scale(rng)), dmin = floatToHalf(scale(rng));
        if (type == GgmlType::Q2_K) {
            std::memcpy(p + 80, &d, 2);
            std::memcpy(p + 82, &dmin, 2);
        } else if (type == GgmlType::Q3_K) {
            std::memcpy(p + 108, &d, 2);
        } else {
            throw std::invalid_argument("no random-block recipe for this type");
        }
    }
    return bytes;
}

}  // namespace nibble::test
