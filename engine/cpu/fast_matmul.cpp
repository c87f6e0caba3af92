#include "cpu/fast_matmul.h"

#include "cpu/cpu_ops.h"

#include <algorithm>

namespace nibble::cpu {
namespace {

struct FormatLayout {
    int64_t block;      // inputs per block
    size_t blockBytes;  // bytes per block
};

FormatLayout layoutOf(ActivationFormat format) {
    switch (format) {
    case ActivationFormat::Q8_0: return {32, sizeof(ActivationQ8_0)};
    case ActivationFormat::Q8_K: return {256, sizeof(ActivationQ8_K)};
    case ActivationFormat::F32: return {1, sizeof(float)};
    }
    return {1, sizeof(float)};
}

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

void FastMatmul::multiply(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y) {
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

    const size_t xStride = size_t(k / layout.block) * layout.blockBytes;
    const uint8_t* input = reinterpret_cast<const uint8_t*>(x);
    if (quantize) {
        uint8_t* buffer = activations(xStride * size_t(batch));
        const auto quantizeRows = [&](size_t begin, size_t end) {
            for (size_t b = begin; b < end; ++b) quantize(x + int64_t(b) * k, buffer + b * xStride, k);
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
            for (int c = 0; c < batch; c += kMaxTileCols) {
                const int cols = std::min(kMaxTileCols, batch - c);
                kernel.dot(k, w.data + r * wStride, wStride, tileRows, input + size_t(c) * xStride, xStride, cols,
                           y + size_t(c) * rows + r, rows);
            }
        }
    });
}

}  // namespace nibble::cpu
