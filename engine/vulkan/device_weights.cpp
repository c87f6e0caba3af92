#include "vulkan/device_weights.h"

#include "model/tensor_values.h"
#include "nibble/error.h"
#include "vulkan/mat_vec.h"

#include <algorithm>

namespace nibble::vulkan {
namespace {

// Vectors (norm weights, biases) go up as float32 whatever their storage
// type; matrices go up as their raw bytes, which the kernels dequantize.
bool isVector(const Tensor& t) { return t.shape.size() == 1 || t.rows() == 1; }

uint64_t deviceBytes(const Tensor& t) { return isVector(t) ? t.elementCount() * sizeof(float) : t.byteSize; }

}  // namespace

std::string DeviceWeights::unsupportedReason(const ModelWeights& weights) {
    // The embedding needs no matrix kernel unless it is also the output.
    for (const Tensor* t : weights.all())
        if (!isVector(*t) && (t != weights.tokenEmbedding || t == weights.output) && !matVecSupports(t->type))
            return "the Vulkan backend cannot multiply " + std::string(typeName(t->type)) + " weights yet (" +
                   std::string(t->name) + ")";
    return {};
}

uint64_t DeviceWeights::memoryBytes(const PhysicalDevice& device) {
    uint64_t largest = 0;
    for (const MemoryHeap& heap : device.heaps)
        if (heap.deviceLocal) largest = std::max(largest, heap.bytes);
    return largest;
}

uint64_t DeviceWeights::bytes(const ModelWeights& weights) {
    uint64_t total = 0;
    for (const Tensor* t : weights.all()) total += deviceBytes(*t);
    return total;
}

void DeviceWeights::checkFits(const ComputeContext& context, uint64_t needed) {
    const uint64_t available = memoryBytes(context.physicalDevice());
    if (needed > available)
        throw Error(ErrorKind::OutOfMemory, "the model and its context need " + formatBytes(needed) + ", but " +
                                                context.physicalDevice().name + " has " + formatBytes(available) +
                                                "; choose a shorter context, a smaller model or the CPU backend");
}

DeviceWeights::DeviceWeights(const ModelWeights& weights, const ContextOptions& options, uint64_t sessionBytes,
                             const Progress& progress)
    : context_(options), weights_(weights) {
    checkFits(context_, bytes(weights) + sessionBytes);
    if (std::string reason = unsupportedReason(weights); !reason.empty())
        throw Error(ErrorKind::Unsupported, reason + "; use the CPU backend");
    upload(progress);
}

void DeviceWeights::upload(const Progress& progress) {
    const std::vector<const Tensor*> tensors = weights_.all();
    const uint64_t total = bytes(weights_);
    uint64_t done = 0;
    const PhysicalDevice& physical = context_.physicalDevice();
    const uint64_t maxPieceBytes = std::min(physical.maxStorageBufferRange, physical.maxMemoryAllocationSize) / 4 * 4;
    for (const Tensor* t : tensors) {
        const uint64_t size = deviceBytes(*t);
        // Whole words: the kernels read the weights as 32-bit words.
        auto create = [&](uint64_t pieceBytes) {
            return context_.createBuffer(std::max<uint64_t>((pieceBytes + 3) / 4 * 4, 4), MemoryKind::DeviceLocal,
                                         std::string(t->name));
        };
        DeviceTensor& device = tensors_[t];
        if (isVector(*t)) {
            const std::vector<float> values = tensorToFloat(*t);
            device.pieces.push_back(create(size));
            context_.upload(device.pieces.back(), std::as_bytes(std::span(values)));
            device.rowsPerPiece = 1;
        } else {
            const uint64_t rowBytes = t->byteSize / t->rows();
            device.rowsPerPiece = std::max<uint64_t>(1, std::min(t->rows(), maxPieceBytes / rowBytes));
            for (uint64_t row = 0; row < t->rows(); row += device.rowsPerPiece) {
                const uint64_t rows = std::min(device.rowsPerPiece, t->rows() - row);
                device.pieces.push_back(create(rows * rowBytes));
                context_.upload(device.pieces.back(), std::as_bytes(std::span(t->data + row * rowBytes, rows * rowBytes)));
            }
        }
        done += size;
        if (progress && !progress(total ? float(double(done) / double(total)) : 1.0f))
            throw Error(ErrorKind::Cancelled, "loading was cancelled");
    }
}

}  // namespace nibble::vulkan
