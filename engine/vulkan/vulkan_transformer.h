#pragma once
// The transformer on a Vulkan device: every weight tensor uploaded once as
// its raw GGUF bytes, the KV cache (f32) and activations in device memory,
// and one command buffer per forward() holding every layer, submitted once;
// only the logits come back to the host. Checked against CpuTransformer,
// which it matches to float rounding.
//
// Each forward() records its commands afresh (recording is cheap next to
// running them); replaying one recording across tokens, with the positions
// in a buffer as the kernels already read them, is the next step. Inputs
// longer than kMaxBatch tokens run as several command buffers. Embeddings of
// a type get_rows cannot read are dequantized on the host, row by row.
#include "model/inference_backend.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "vulkan/compute_context.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nibble::vulkan {

class VulkanTransformer final : public InferenceBackend {
public:
    // Called with 0..1 while the weights upload; returning false cancels (Error kind Cancelled).
    using Progress = std::function<bool(float)>;

    // The weights (and the file they point into) must outlive this object.
    // Throws Error(NoDevice) without a usable device, Error(OutOfMemory) when
    // the model and its KV cache do not fit the device's memory, and
    // Error(Unsupported) for a weight type the kernels cannot read.
    VulkanTransformer(const ModelConfig& config, const ModelWeights& weights, int contextLength,
                      const ContextOptions& options = {}, const Progress& progress = {});

    void forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) override;
    int contextLength() const override { return context_; }
    std::string description() const override;

    const ComputeContext& computeContext() const { return gpu_; }
    // Empty when the kernels can run every weight of the model, else why not, in words.
    static std::string unsupportedReason(const ModelWeights& weights);
    // Device memory the model needs: weights, KV cache and activations.
    static uint64_t requiredBytes(const ModelConfig& config, const ModelWeights& weights, int contextLength);

    // Tokens per command buffer; longer inputs run in several.
    static constexpr uint32_t kMaxBatch = 64;

private:
    struct LayerCache {
        Buffer k, v;
    };
    // A tensor in device memory: one buffer, or for a matrix larger than a
    // shader may bind at once (a big vocabulary's embedding), consecutive
    // pieces of rowsPerPiece rows each.
    struct DeviceTensor {
        std::vector<Buffer> pieces;
        uint64_t rowsPerPiece = 0;
    };
    enum class Logits { None, Last, All };

    void upload(const Progress& progress);
    // A vector's buffer (norm weights, biases, RoPE factors): vectors are never split.
    const Buffer& weight(const Tensor* tensor) const { return weights_.at(tensor).pieces.front(); }
    void matVec(CommandRecorder& recorder, const Tensor& w, const Buffer& x, const Buffer& y, uint32_t batch,
                VkDeviceSize xOffset = 0);
    void forwardBatch(std::span<const int32_t> tokens, int startPos, Logits want, float* logits);

    ComputeContext gpu_;  // first: everything below is made through it
    const ModelConfig& c_;
    const ModelWeights& w_;
    int context_;
    std::map<const Tensor*, DeviceTensor> weights_;
    std::vector<LayerCache> cache_;
    // Activations for up to kMaxBatch tokens.
    Buffer ids_, positions_, x_, xn_, q_, k_, v_, attn_, proj_, gate_, up_, logits_;
    std::optional<Buffer> logitsPiece_;  // when the output matrix is in pieces
    std::vector<float> hostRows_;  // embedding rows dequantized on the host, for types get_rows lacks
};

// Whether the device a VulkanTransformer would choose is a real GPU rather
// than a CPU implementation such as lavapipe (slower than the CPU backend),
// and its name. Throws like ComputeContext when there is no usable device.
struct VulkanDeviceChoice {
    std::string name;
    bool isGpu = false;
};
VulkanDeviceChoice chooseVulkanDevice(const std::string& preferred);

}  // namespace nibble::vulkan
