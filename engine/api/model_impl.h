#pragma once
// What a loaded model holds behind the public Model handle.
#include "chat/chat_template.h"
#include "gguf/gguf_reader.h"
#include "model/inference_backend.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "cpu/thread_pool.h"
#include "nibble/engine.h"
#include "tokenizer/tokenizer.h"

#include <memory>
#include <mutex>
#include <optional>

namespace nibble::vulkan {
class DeviceWeights;
}

namespace nibble {

class ModelImpl {
public:
    ModelImpl(const std::filesystem::path& path, const LoadOptions& options);

    // A fresh transformer with its own KV cache, for one session.
    std::unique_ptr<InferenceBackend> createBackend() const;

    gguf::GgufFile file;
    ModelConfig config;
    ModelWeights weights;
    std::unique_ptr<Tokenizer> tokenizer;
    std::optional<ChatTemplate> chatTemplate;
    ModelInfo info;
    LoadOptions options;
    std::string vulkanDevice;  // the device createBackend runs on, chosen once at load; empty: the CPU
    // The weights on that device, uploaded by the first session and shared by every session while any is open.
    mutable std::mutex deviceWeightsMutex;
    mutable std::weak_ptr<vulkan::DeviceWeights> deviceWeights;
    mutable ThreadPool pool;
};

}  // namespace nibble
