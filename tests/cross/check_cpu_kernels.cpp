// The ARM64 kernel set (cpu/kernel_table.h, Isa::NeonDot), checked on any
// build machine by cross-compiling this file and running it under qemu
// (tests/cross/run-aarch64 does both). A plain main without Qt, so that only
// a cross C++ compiler is needed. It asserts what tests/engine/
// test_cpu_kernels.cpp asserts for the native sets: each activation
// quantizer keeps inputs within half a step, and each tile equals, up to
// float rounding, the product of the dequantized weights with the values the
// quantized activations stand for. One line per type; exits 1 on a failure.
#include "cpu/kernels.h"
#include "tensor/dequantize.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"
#include "tensor/quantize.h"
#include "kernel_samples.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace nibble;
using namespace nibble::cpu;
using namespace nibble::test;

namespace {

// The first failure found, or empty.
std::string checkQuantizer(const KernelTable& table, ActivationFormat fmt) {
    std::mt19937 rng(7);
    const int64_t k = 1024;
    std::vector<float> x = randomFloats(rng, size_t(k), 1.0f);
    for (int64_t i = 0; i < blockOf(fmt); ++i) x[size_t(i)] = 0.0f;  // an all-zero block must not divide by zero
    x[300] = 40.0f;                                                   // an outlier sets its block's step
    std::vector<uint8_t> row(activationRowBytes(fmt, k));
    table.quantize[static_cast<int>(fmt)](x.data(), row.data(), k);
    const std::vector<double> back = activationValues(fmt, row.data(), k);
    const int block = blockOf(fmt);
    for (int64_t b = 0; b < k / block; ++b) {
        float maxAbs = 0;
        for (int j = 0; j < block; ++j) maxAbs = std::max(maxAbs, std::fabs(x[size_t(b * block + j)]));
        const double step = maxAbs / 127.0;
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

std::string checkTiles(const KernelTable& table, GgmlType type) {
    const WeightKernel kernel = table.weights[static_cast<int>(type)];
    if (!kernel.dot) return "no kernel";
    std::mt19937 rng(uint32_t(static_cast<int>(type)) * 31 + uint32_t(static_cast<int>(table.isa)));
    for (int64_t k : {int64_t(256), int64_t(768), int64_t(4096)}) {
        const TypeTraits traits = *typeTraits(type);
        const size_t wStride = size_t(k / traits.blockSize) * traits.blockBytes;
        const std::vector<uint8_t> w = randomWeightRows(rng, type, kMaxTileRows, k);
        const size_t xStride = activationRowBytes(kernel.activation, k) + 40;  // rows need not be packed
        std::vector<uint8_t> x(xStride * kMaxTileCols);
        for (int c = 0; c < kMaxTileCols; ++c) {
            const std::vector<float> values = randomFloats(rng, size_t(k), c == 0 ? 0.01f : float(c * c));
            if (kernel.activation == ActivationFormat::F32)
                std::memcpy(x.data() + c * xStride, values.data(), size_t(k) * 4);
            else
                table.quantize[static_cast<int>(kernel.activation)](values.data(), x.data() + c * xStride, k);
        }
        double expected[kMaxTileCols][kMaxTileRows], magnitude[kMaxTileCols][kMaxTileRows];
        std::vector<float> row(static_cast<size_t>(k));
        for (int r = 0; r < kMaxTileRows; ++r) {
            dequantizeRow(type, w.data() + r * wStride, row.data(), k);
            for (int c = 0; c < kMaxTileCols; ++c) {
                const std::vector<double> a = activationValues(kernel.activation, x.data() + c * xStride, k);
                double sum = 0, mag = 0;
                for (int64_t i = 0; i < k; ++i) {
                    sum += double(row[size_t(i)]) * a[size_t(i)];
                    mag += std::fabs(double(row[size_t(i)]) * a[size_t(i)]);
                }
                expected[c][r] = sum;
                magnitude[c][r] = mag;
            }
        }
        for (int rows = 1; rows <= kMaxTileRows; ++rows)
            for (int cols = 1; cols <= kMaxTileCols; ++cols) {
                const size_t ldy = kMaxTileRows + 3;
                std::vector<float> y(ldy * kMaxTileCols, -12345.0f);
                kernel.dot(k, w.data(), wStride, rows, x.data(), xStride, cols, y.data(), ldy);
                for (int c = 0; c < kMaxTileCols; ++c)
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

}  // namespace

int main() {
    bool neon = false;
    for (Isa isa : supportedIsas()) neon = neon || isa == Isa::NeonDot;
    if (!neon) {
        std::printf("FAIL: this processor (or emulator) reports no dot-product extension\n");
        return 1;
    }
    const KernelTable& table = kernelTable(Isa::NeonDot);
    const KernelTable& portable = kernelTable(Isa::Portable);
    int failures = 0;
    const auto report = [&](const std::string& name, bool own, const std::string& error) {
        std::printf("%-6s %-8s %s\n", name.c_str(), own ? "neon" : "portable", error.empty() ? "ok" : error.c_str());
        if (!error.empty()) ++failures;
    };
    for (ActivationFormat fmt : {ActivationFormat::Q8_0, ActivationFormat::Q8_K}) {
        const int f = static_cast<int>(fmt);
        report(fmt == ActivationFormat::Q8_0 ? "in:Q8_0" : "in:Q8_K", table.quantize[f] != portable.quantize[f],
               table.quantize[f] ? checkQuantizer(table, fmt) : "no quantizer");
    }
    for (GgmlType type : kMatrixTypes) {
        const int t = static_cast<int>(type);
        report(std::string(typeName(type)), table.weights[t].dot != portable.weights[t].dot, checkTiles(table, type));
    }
    std::printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
