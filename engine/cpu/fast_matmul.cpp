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
    case ActivationFormat::Q16_0: return {32, sizeof(ActivationQ16_0) / 2, 0};  // never a remainder's format
    }
    return {1, sizeof(float), 0};
}

size_t rowBytes(ActivationFormat format, int64_t k) {
    const FormatLayout layout = layoutOf(format);
    // Q16_0 rows hold whole pairs of blocks.
    if (format == ActivationFormat::Q16_0) return size_t((k / layout.block + 1) / 2) * sizeof(ActivationQ16_0);
    return size_t(k / layout.block) * layout.blockBytes;
}

}  // namespace

// The rounding leaves at most half a coarse step, so the remainder's values
// fit -128..128 and only a value exactly on the edge is clamped, by 1/256 of
// a coarse step. A fixed ratio is what lets a kernel add the two rows'
// integer sums before converting (WeightKernel::refinedDot).
void quantizeRemainder(const float* x, const uint8_t* coarse, ActivationFormat format, int64_t k, uint8_t* out) {
    const FormatLayout layout = layoutOf(format);
    for (int64_t b = 0; b < k / layout.block; ++b) {
        const uint8_t* from = coarse + size_t(b) * layout.blockBytes;
        uint8_t* to = out + size_t(b) * layout.blockBytes;
        float d;
        std::memcpy(&d, from, sizeof d);
        const auto* q = reinterpret_cast<const int8_t*>(from + layout.qOffset);
        auto* r = reinterpret_cast<int8_t*>(to + layout.qOffset);
        const float step = d / 256.0f, inverse = d != 0.0f ? 256.0f / d : 0.0f;
        const float* xb = x + b * layout.block;
        for (int64_t j = 0; j < layout.block; ++j) {
            // Rounds half away from zero by truncating; simpler to vectorise than nearbyint.
            const float v = std::clamp((xb[j] - d * float(q[j])) * inverse, -127.0f, 127.0f);
            r[j] = int8_t(v + (v < 0.0f ? -0.5f : 0.5f));
        }
        std::memcpy(to, &step, sizeof step);
        if (format == ActivationFormat::Q8_0) {
            int32_t sum = 0;
            for (int64_t j = 0; j < layout.block; ++j) sum += r[j];
            const float value = step * float(sum);
            std::memcpy(to + offsetof(ActivationQ8_0, sum), &value, sizeof value);
        } else {
            int16_t bsums[16];
            for (int i = 0; i < 16; ++i) {
                int32_t sum = 0;
                for (int j = 0; j < 16; ++j) sum += r[16 * i + j];
                bsums[i] = int16_t(sum);
            }
            std::memcpy(to + offsetof(ActivationQ8_K, bsums), bsums, sizeof bsums);
        }
    }
}

namespace {

// Quantizing a row costs about as much as one weight row's product, so a
// small batch is cheaper quantized on the calling thread than handed out.
constexpr int kParallelQuantizeRows = 8;

}  // namespace

uint8_t* FastMatmul::activations(size_t bytes) {
    constexpr size_t kLine = 64;
    if (bytes > activationCapacity_) {
        activations_ = std::make_unique<uint8_t[]>(bytes + kLine - 1);
        const auto address = reinterpret_cast<uintptr_t>(activations_.get());
        alignedActivations_ = activations_.get() + (kLine - address % kLine) % kLine;
        activationCapacity_ = bytes;
    }
    return alignedActivations_;
}

FastMatmul::Plan FastMatmul::plan(const Tensor& w, InputPrecision precision, int batch) const {
    const int type = static_cast<int>(w.type);
    const WeightKernel kernel = type >= 0 && type < kTypeSlots ? kernels_.weights[type] : WeightKernel{};
    const bool refined = precision == InputPrecision::Refined && kernel.activation != ActivationFormat::F32;
    const bool prompt = refined && batch > kMaxTileCols && kernel.promptDot;
    const RefinedInput input = prompt ? kernel.promptInput : kernel.refinedInput;
    Plan p;
    p.format = refined && input == RefinedInput::Q16_0 ? ActivationFormat::Q16_0 : kernel.activation;
    p.quantize = p.format == ActivationFormat::F32 ? nullptr : kernels_.quantize[static_cast<int>(p.format)];
    p.k = static_cast<int64_t>(w.shape[0]);
    // A refined pair b is rows 2b (its 8-bit blocks) and 2b + 1 (their remainder).
    p.pair = refined && input == RefinedInput::Pair;
    p.quantizeRefined = p.pair ? kernels_.quantizeRefined[static_cast<int>(p.format)] : nullptr;
    p.dot = prompt ? kernel.promptDot : refined ? kernel.refinedDot : kernel.dot;
    if (prompt) {
        p.tileRows = kernel.promptRows;
        p.tileCols = kernel.promptCols;
    }
    p.fast = p.dot && (p.format == ActivationFormat::F32 || p.quantize) && p.k % layoutOf(p.format).block == 0;
    p.xStride = rowBytes(p.format, p.k);
    return p;
}

const uint8_t* FastMatmul::prepareInputs(ThreadPool& pool, const Plan& p, const float* x, int batch) {
    if (!p.quantize) return reinterpret_cast<const uint8_t*>(x);
    const int64_t k = p.k;
    const size_t xStride = p.xStride;
    uint8_t* buffer = activations(xStride * size_t(p.pair ? 2 * batch : batch));
    const auto quantizeRows = [&](size_t begin, size_t end) {
        for (size_t b = begin; b < end; ++b) {
            const float* row = x + int64_t(b) * k;
            if (!p.pair) {
                p.quantize(row, buffer + b * xStride, k);
                continue;
            }
            uint8_t* coarse = buffer + 2 * b * xStride;
            if (p.quantizeRefined) {
                p.quantizeRefined(row, coarse, coarse + xStride, k);
                continue;
            }
            p.quantize(row, coarse, k);
            quantizeRemainder(row, coarse, p.format, k, coarse + xStride);
        }
    };
    if (batch >= kParallelQuantizeRows) pool.parallelFor(size_t(batch), quantizeRows);
    else quantizeRows(0, size_t(batch));
    return buffer;
}

void FastMatmul::multiply(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y,
                          InputPrecision precision) {
    const Tensor* const ws[] = {&w};
    float* const ys[] = {y};
    multiplyGroup(pool, ws, x, batch, ys, precision);
}

void FastMatmul::multiplyGroup(ThreadPool& pool, std::span<const Tensor* const> ws, const float* x, int batch,
                               std::span<float* const> ys, InputPrecision precision) {
    if (ws.empty()) return;
    std::vector<Plan> plans;
    for (const Tensor* w : ws) plans.push_back(plan(*w, precision, batch));
    const Plan& first = plans[0];
    bool together = true;
    for (const Plan& p : plans)
        together = together && p.fast && p.format == first.format && p.pair == first.pair && p.k == first.k;
    if (!together) {
        if (ws.size() == 1) {
            matmul(pool, *ws[0], x, batch, ys[0]);
            return;
        }
        for (size_t m = 0; m < ws.size(); ++m) multiply(pool, *ws[m], x, batch, ys[m], precision);
        return;
    }
    const uint8_t* input = prepareInputs(pool, first, x, batch);

    // Tiles of weight rows (as many as the plan's kernel takes), each
    // multiplied with every input row before the next: a weight row is read
    // from memory once per call. The matrices' tiles are numbered one after
    // another, so one pass of the pool covers them all.
    std::vector<size_t> firstTile(ws.size() + 1, 0);
    for (size_t m = 0; m < ws.size(); ++m)
        firstTile[m + 1] = firstTile[m] + (ws[m]->rows() + plans[m].tileRows - 1) / plans[m].tileRows;
    const size_t xStep = (first.pair ? 2 : 1) * first.xStride;
    pool.parallelFor(firstTile.back(), [&](size_t begin, size_t end) {
        size_t m = 0;
        for (size_t tile = begin; tile < end; ++tile) {
            while (tile >= firstTile[m + 1]) ++m;
            const Tensor& w = *ws[m];
            const uint64_t rows = w.rows();
            const size_t wStride = w.byteSize / rows;
            const Plan& p = plans[m];
            const uint64_t r = (tile - firstTile[m]) * uint64_t(p.tileRows);
            const int tileRows = int(std::min<uint64_t>(uint64_t(p.tileRows), rows - r));
            for (int c = 0; c < batch; c += p.tileCols) {
                const int cols = std::min(p.tileCols, batch - c);
                p.dot(first.k, w.data + r * wStride, wStride, tileRows, input + size_t(c) * xStep,
                      first.xStride, cols, ys[m] + size_t(c) * rows + r, rows);
            }
        }
    });
}

}  // namespace nibble::cpu
