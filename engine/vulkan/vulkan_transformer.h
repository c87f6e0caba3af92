#pragma once
// The transformer on a Vulkan device: every weight tensor uploaded once as
// its raw GGUF bytes (DeviceWeights, shared by every session of the model on
// the device), the KV cache (f32) and activations in device memory, and one
// command buffer per batch of up to kMaxBatch tokens holding every layer
// (for a prompt's batches, one per kLayersPerSubmit layers, so a cancel is
// noticed between them); only the logits come back to the host. Checked
// against CpuTransformer, which it matches to float rounding.
//
// Recordings are replayed: no kernel's dispatch depends on the tokens or on
// where in the cache they go (the ids, the positions and any embedding rows
// dequantized on the host are written into host-visible buffers before each
// submission, and the kernels read them there), so the one-token step is
// recorded once and every generated token resubmits it. A batch of another
// size or wanting other logits is recorded when first needed and kept until
// a different one is. Decoding (one token) runs attention split over chunks
// of the cache (split-K); batches run it one workgroup per (token, head).
// Embeddings of a type get_rows cannot read are dequantized on the host, row
// by row.
#include "model/inference_backend.h"
#include "model/layer_plan.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "vulkan/compute_context.h"
#include "vulkan/device_weights.h"
#include "vulkan/forward_kernels.h"

#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nibble::vulkan {

class VulkanTransformer final : public InferenceBackend {
public:
    using Progress = DeviceWeights::Progress;

    // Uploads the weights for this session alone. The weights (and the file
    // they point into) must outlive this object. Throws Error(NoDevice)
    // without a usable device, Error(OutOfMemory) when the model and its KV
    // cache do not fit the device's memory, and Error(Unsupported) for a
    // weight type the kernels cannot read.
    VulkanTransformer(const ModelConfig& config, const ModelWeights& weights, int contextLength,
                      const ContextOptions& options = {}, const Progress& progress = {});
    // Runs on weights already uploaded, which it shares with other sessions.
    VulkanTransformer(const ModelConfig& config, std::shared_ptr<DeviceWeights> weights, int contextLength);
    ~VulkanTransformer() override;

    void forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) override;
    int contextLength() const override { return context_; }
    std::string description() const override;

    const ComputeContext& computeContext() const { return gpu_; }
    const std::shared_ptr<DeviceWeights>& deviceWeights() const { return shared_; }
    // How many times this session has recorded its commands (a replay records nothing).
    int recordingCount() const { return recordingCount_; }
    // Empty when the kernels can run every weight of the model, else why not, in words.
    static std::string unsupportedReason(const ModelWeights& weights) { return DeviceWeights::unsupportedReason(weights); }
    // Device memory the model needs: weights, KV cache and activations.
    static uint64_t requiredBytes(const ModelConfig& config, const ModelWeights& weights, int contextLength);
    // Device memory one session needs besides the weights: KV cache and activations.
    static uint64_t sessionBytes(const ModelConfig& config, int contextLength);

    // Tokens per command buffer; longer inputs run in several.
    static constexpr uint32_t kMaxBatch = 64;
    // Layers per submission of a batch of several tokens: the cancel check
    // runs between submissions, and each costs a wait for the device to drain.
    // The one-token step stays whole, being short and the most frequent.
    static constexpr uint32_t kLayersPerSubmit = 8;

private:
    struct LayerCache {
        Buffer k, v;
    };
    enum class Logits { None, Last, All };
    // What a recording covers: the tokens it runs and the logits it gives.
    struct Shape {
        uint32_t batch;
        Logits want;
        auto operator<=>(const Shape&) const = default;
    };
    static constexpr Shape kDecodeStep{1, Logits::Last};

    // A vector's buffer (norm weights, biases, RoPE factors): vectors are never split.
    const Buffer& weight(const Tensor* tensor) const { return weights_.at(tensor).pieces.front(); }
    void matVec(CommandRecorder& recorder, const Tensor& w, const Buffer& x, const Buffer& y, uint32_t batch,
                VkDeviceSize xOffset = 0);
    void forwardBatch(std::span<const int32_t> tokens, int startPos, Logits want, float* logits);
    // The submissions that run a batch of this shape, in order.
    const std::vector<Recording>& recordingFor(Shape shape);
    std::vector<Recording> record(Shape shape);

    std::shared_ptr<DeviceWeights> shared_;  // first: owns the device everything below lives on
    ComputeContext& gpu_;
    const DeviceWeights& weights_;
    const ModelConfig& c_;
    const ModelWeights& w_;
    std::vector<LayerPlan> plan_;
    int context_;
    AttentionSplit split_;
    std::vector<LayerCache> cache_;
    // Written by the host before each submission, read by the recorded kernels.
    Buffer ids_, positions_;
    std::optional<Buffer> hostRows_;  // embedding rows dequantized on the host, for types get_rows lacks
    // Activations for up to kMaxBatch tokens.
    Buffer x_, xn_, q_, k_, v_, attn_, attnPartials_, proj_, gate_, up_, logits_;
    std::optional<Buffer> logitsPiece_;  // when the output matrix is in pieces
    std::vector<float> hostRowValues_;
    std::map<Shape, std::vector<Recording>> recordings_;
    int recordingCount_ = 0;
};

// Whether the device a VulkanTransformer would choose is a real GPU rather
// than a CPU implementation such as lavapipe (slower than the CPU backend),
// and its name. Throws like ComputeContext when there is no usable device.
struct VulkanDeviceChoice {
    std::string name;
    bool isGpu = false;
    uint64_t memoryBytes = 0;  // DeviceWeights::memoryBytes: what the model and its KV cache must fit
};
VulkanDeviceChoice chooseVulkanDevice(const std::string& preferred);

}  // namespace nibble::vulkan
