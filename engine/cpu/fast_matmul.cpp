#include "cpu/fast_matmul.h"

#include "cpu/cpu_ops.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace nibble::cpu {
namespace {

struct FormatLayout {
    int64_t block;      // inputs per block
    size_t blockBytes;  // bytes per block
    size_t qOffset;     // where a block's 8-bit values start; its scale is the float at 0
};

static_assert(offsetof(ActivationQ8_0, d) == 0 && offsetof(ActivationQ8_K, d) == 0);

FormatLayout layoutOf(ActivationFormat format) {
    switch (format) {
    case ActivationFormat::Q8_0: return {32, sizeof(ActivationQ8_0), offsetof(ActivationQ8_0, q)};
    case ActivationFormat::Q8_K: return {256, sizeof(ActivationQ8_K), offsetof(ActivationQ8_K, q)};
    case ActivationFormat::F32: return {1, sizeof(float), 0};
    }
    return {1, sizeof(float), 0};
}

// out = x minus what its quantized blocks stand for.
void remainderOf(const float* x, const uint8_t* blocks, const FormatLayout& layout, int64_t k, float* out) {
    for (int64_t b = 0; b < k / layout.block; ++b) {
        const uint8_t* block = blocks + size_t(b) * layout.blockBytes;
        float d;
        std::memcpy(&d, block, sizeof d);
        const auto* q = reinterpret_cast<const int8_t*>(block + layout.qOffset);
        for (int64_t j = 0; j < layout.block; ++j) {
            const int64_t i = b * layout.block + j;
            out[i] = x[i] - d * float(q[j]);
        }
    }
}

// A refined input row and its remainder row share a tile.
static_assert(kMaxTileCols % 2 == 0);

// Quantizing a row costs about as much as one weight row's product, so a
// small batch is cheaper quantized on the calling thread than handed out.
constexpr int kParallelQuantizeRows = 8;

}  // namespace

uint8_t* FastMatmul::activations(size_t bytes) {
    if (bytes > activationCapacity_) {
        activations_ = std::make_unique<uint8_t[]>(bytes);
        activationCapacity_ = bytes;
    }
    return activations_.get();
}

void FastMatmul::multiply(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y,
                          InputPrecision precision) {
    const int type = static_cast<int>(w.type);
    const WeightKernel kernel = type >= 0 && type < kTypeSlots ? kernels_.weights[type] : WeightKernel{};
    const QuantizeRowFn quantize =
        kernel.activation == ActivationFormat::F32 ? nullptr : kernels_.quantize[static_cast<int>(kernel.activation)];
    const int64_t k = static_cast<int64_t>(w.shape[0]);
    const FormatLayout layout = layoutOf(kernel.activation);
    if (!kernel.dot || (kernel.activation != ActivationFormat::F32 && !quantize) || k % layout.block != 0) {
        matmul(pool, w, x, batch, y);
        return;
    }

    // A refined input b is rows 2b (its 8-bit blocks) and 2b + 1 (their remainder).
    const bool refined = quantize && precision == InputPrecision::Refined;
    const int inputRows = refined ? 2 * batch : batch;
    const size_t xStride = size_t(k / layout.block) * layout.blockBytes;
    const uint8_t* input = reinterpret_cast<const uint8_t*>(x);
    if (quantize) {
        uint8_t* buffer = activations(xStride * size_t(inputRows));
        const auto quantizeRows = [&](size_t begin, size_t end) {
            std::vector<float> remainder(refined ? size_t(k) : 0);
            for (size_t b = begin; b < end; ++b) {
                const float* row = x + int64_t(b) * k;
                if (!refined) {
                    quantize(row, buffer + b * xStride, k);
                    continue;
                }
                uint8_t* coarse = buffer + 2 * b * xStride;
                quantize(row, coarse, k);
                remainderOf(row, coarse, layout, k, remainder.data());
                quantize(remainder.data(), coarse + xStride, k);
            }
        };
        if (batch >= kParallelQuantizeRows) pool.parallelFor(size_t(batch), quantizeRows);
        else quantizeRows(0, size_t(batch));
        input = buffer;
    }

    // Tiles of kMaxTileRows weight rows, each multiplied with every input
    // row before the next: a weight row is read from memory once per call.
    const uint64_t rows = w.rows();
    const size_t wStride = w.byteSize / rows;
    const size_t tiles = (rows + kMaxTileRows - 1) / kMaxTileRows;
    pool.parallelFor(tiles, [&](size_t begin, size_t end) {
        for (size_t tile = begin; tile < end; ++tile) {
            const uint64_t r = tile * kMaxTileRows;
            const int tileRows = int(std::min<uint64_t>(kMaxTileRows, rows - r));
            if (refined) {
                for (int c = 0; c < inputRows; c += kMaxTileCols) {
                    const int cols = std::min(kMaxTileCols, inputRows - c);
                    float parts[kMaxTileCols][kMaxTileRows];
                    kernel.dot(k, w.data + r * wStride, wStride, tileRows, input + size_t(c) * xStride, xStride, cols,
                               &parts[0][0], kMaxTileRows);
                    for (int j = 0; j < cols; j += 2)
                        for (int i = 0; i < tileRows; ++i)
                            y[size_t(c + j) / 2 * rows + r + size_t(i)] = parts[j][i] + parts[j + 1][i];
                }
                continue;
            }
            for (int c = 0; c < batch; c += kMaxTileCols) {
                const int cols = std::min(kMaxTileCols, batch - c);
                kernel.dot(k, w.data + r * wStride, wStride, tileRows, input + size_t(c) * xStride, xStride, cols,
                           y + size_t(c) * rows + r, rows);
            }
        }
    });
}

}  // namespace nibble::cpu
