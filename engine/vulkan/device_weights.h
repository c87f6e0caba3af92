#pragma once
// A model's weights uploaded to one Vulkan device, with the ComputeContext
// that owns that device, held by shared_ptr so that every VulkanTransformer
// (session) of the model on the device uses one upload: the app can chat in
// the compare view and serve the API from the same model without a second
// copy in GPU memory. The last session to go releases it.
//
// Sessions may run on different threads; they take mutex() around anything
// they do through context(), which is not thread-safe (queue, command pool,
// pipeline cache, staging).
#include "model/model_weights.h"
#include "vulkan/compute_context.h"

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace nibble::vulkan {

// A tensor in device memory: one buffer, or for a matrix larger than a shader
// may bind at once (a big vocabulary's embedding), consecutive pieces of
// rowsPerPiece rows each. Vectors (norm weights, biases, RoPE factors) are
// float32 and never split; matrices keep their GGUF bytes.
struct DeviceTensor {
    std::vector<Buffer> pieces;
    uint64_t rowsPerPiece = 0;
};

class DeviceWeights {
public:
    // Called with 0..1 while the weights upload; returning false cancels (Error kind Cancelled).
    using Progress = std::function<bool(float)>;

    // The weights (and the file they point into) must outlive this object.
    // sessionBytes: what the first session needs besides the weights (KV
    // cache, activations), counted in the check that everything fits. Throws
    // Error(NoDevice) without a usable device, Error(OutOfMemory) when the
    // weights and sessionBytes do not fit the device's memory, and
    // Error(Unsupported) for a weight type the kernels cannot read.
    DeviceWeights(const ModelWeights& weights, const ContextOptions& options, uint64_t sessionBytes,
                  const Progress& progress = {});

    ComputeContext& context() { return context_; }
    std::mutex& mutex() { return mutex_; }
    const ModelWeights& modelWeights() const { return weights_; }
    const DeviceTensor& at(const Tensor* tensor) const { return tensors_.at(tensor); }

    // Empty when the kernels can run every weight of the model, else why not, in words.
    static std::string unsupportedReason(const ModelWeights& weights);
    // Device memory the weights take.
    static uint64_t bytes(const ModelWeights& weights);
    // Device memory a model and its caches can use: the largest device-local heap.
    static uint64_t memoryBytes(const PhysicalDevice& device);
    // Throws Error(OutOfMemory), saying how much is needed and how much the device has, when `needed` cannot fit.
    static void checkFits(const ComputeContext& context, uint64_t needed);

private:
    void upload(const Progress& progress);

    ComputeContext context_;  // first: the buffers below are made through it
    std::mutex mutex_;
    const ModelWeights& weights_;
    std::map<const Tensor*, DeviceTensor> tensors_;
};

}  // namespace nibble::vulkan
