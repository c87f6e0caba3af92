// F32, F16 and BF16 weights against f32 inputs, in plain C++.
//
// Weights are widened to f32 a chunk at a time, once per row, and the chunk
// is then multiplied with every input row of the tile. Each product keeps
// eight partial sums so that the compiler can keep them in one vector
// register without reordering float additions itself.
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"

#include <algorithm>
#include <cstring>

namespace nibble::cpu {
namespace {

constexpr int kLanes = 8;
constexpr int64_t kChunk = 256;

struct F32 {
    static constexpr size_t kBytes = 4;
    static void widen(const uint8_t* p, float* out, int64_t n) { std::memcpy(out, p, size_t(n) * 4); }
};

struct F16 {
    static constexpr size_t kBytes = 2;
    static void widen(const uint8_t* p, float* out, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, p + 2 * i, 2);
            out[i] = halfToFloat(h);
        }
    }
};

struct BF16 {
    static constexpr size_t kBytes = 2;
    static void widen(const uint8_t* p, float* out, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, p + 2 * i, 2);
            out[i] = bf16ToFloat(h);
        }
    }
};

template <class Format>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    float acc[kMaxTileCols][kMaxTileRows][kLanes] = {};
    float tail[kMaxTileCols][kMaxTileRows] = {};
    float weights[kChunk];
    float inputs[kChunk];
    for (int64_t start = 0; start < k; start += kChunk) {
        const int64_t n = std::min(kChunk, k - start);
        const int64_t whole = n / kLanes * kLanes;
        for (int r = 0; r < rows; ++r) {
            Format::widen(w + r * wStride + size_t(start) * Format::kBytes, weights, n);
            for (int c = 0; c < cols; ++c) {
                std::memcpy(inputs, x + c * xStride + size_t(start) * 4, size_t(n) * 4);
                float* lanes = acc[c][r];
                for (int64_t i = 0; i < whole; i += kLanes)
                    for (int l = 0; l < kLanes; ++l) lanes[l] += weights[i + l] * inputs[i + l];
                for (int64_t i = whole; i < n; ++i) tail[c][r] += weights[i] * inputs[i];
            }
        }
    }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) {
            float sum = tail[c][r];
            for (int l = 0; l < kLanes; ++l) sum += acc[c][r][l];
            y[c * ldy + r] = sum;
        }
}

void set(KernelTable& table, GgmlType type, DotTileFn dot) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::F32, dot};
}

}  // namespace

void addFloatPortable(KernelTable& table) {
    set(table, GgmlType::F32, dotTile<F32>);
    set(table, GgmlType::F16, dotTile<F16>);
    set(table, GgmlType::BF16, dotTile<BF16>);
}

}  // namespace nibble::cpu
