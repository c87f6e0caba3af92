#include "api/model_impl.h"

#include "chat/builtin_templates.h"
#include "model/cpu_transformer.h"
#include "vulkan/vulkan_transformer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace nibble {
namespace {

// general.file_type numbers as the established tools write them.
std::string fileTypeName(const gguf::GgufFile& file) {
    static const std::map<int64_t, const char*> names = {
        {0, "F32"}, {1, "F16"}, {2, "Q4_0"}, {3, "Q4_1"}, {7, "Q8_0"}, {8, "Q5_0"}, {9, "Q5_1"},
        {10, "Q2_K"}, {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"},
        {16, "Q5_K_S"}, {17, "Q5_K_M"}, {18, "Q6_K"}, {32, "BF16"},
    };
    if (auto ft = file.getInt("general.file_type"); ft && names.count(*ft)) return names.at(*ft);
    return std::string(typeName(file.mostCommonWeightType()));
}

// Touches every page of the weights so loading shows real progress and the
// first reply does not stall on disk reads.
void warmUp(const gguf::GgufFile& file, const LoadOptions& options) {
    uint64_t total = 0, done = 0;
    for (const auto& t : file.tensors()) total += t.byteSize;
    volatile uint8_t sink = 0;
    for (const auto& t : file.tensors()) {
        for (uint64_t off = 0; off < t.byteSize; off += 4096) sink = sink + t.data[off];
        done += t.byteSize;
        if (options.progress && !options.progress(total ? float(double(done) / double(total)) : 1.0f))
            throw Error(ErrorKind::Cancelled, "loading was cancelled");
    }
}

// The Vulkan device's name, or empty for the CPU. Auto runs on Vulkan only
// when the chosen device is a real GPU that can run every weight type:
// lavapipe and other CPU implementations are slower than the CPU backend, and
// no usable device at all simply means the CPU.
std::string vulkanDeviceFor(const LoadOptions& options, const ModelWeights& weights) {
    if (options.backend == BackendKind::Vulkan) return vulkan::chooseVulkanDevice(options.device).name;
    if (options.backend == BackendKind::Cpu) return {};
    try {
        const vulkan::VulkanDeviceChoice choice = vulkan::chooseVulkanDevice(options.device);
        return choice.isGpu && vulkan::VulkanTransformer::unsupportedReason(weights).empty() ? choice.name : "";
    } catch (const Error&) {
        return {};
    }
}

}  // namespace

ModelImpl::ModelImpl(const std::filesystem::path& path, const LoadOptions& opts)
    : file(path), config(ModelConfig::fromGguf(file)), weights(ModelWeights::bind(file, config)),
      tokenizer(Tokenizer::fromGguf(file)), options(opts) {
    if (uint32_t(tokenizer->vocabSize()) > config.nVocab)
        throw Error(ErrorKind::InvalidFile, file.displayName() + ": the tokenizer has " + std::to_string(tokenizer->vocabSize()) +
                                                " tokens but the model only " + std::to_string(config.nVocab));
    auto tokenString = [&](int32_t id) { return id >= 0 ? tokenizer->tokenPiece(id) : std::string(); };
    try {
        chatTemplate = ChatTemplate::fromGguf(file, tokenString(tokenizer->bos()), tokenString(tokenizer->eos()));
    } catch (const Error& e) {
        // A broken embedded template should not make the model unusable: chat
        // with the family's standard format instead, and say so in the log.
        const std::string_view fallback = fallbackTemplateName(file);
        spdlog::warn("{}; using the built-in {} chat format instead", e.what(), fallback);
        chatTemplate = ChatTemplate::builtin(fallback, tokenString(tokenizer->bos()), tokenString(tokenizer->eos()));
    }

    info.name = std::string(file.getString("general.name").value_or(path.stem().string()));
    info.architecture = config.architecture;
    info.fileType = fileTypeName(file);
    info.license = std::string(file.getString("general.license").value_or(""));
    for (const auto& t : file.tensors()) {
        info.parameterCount += t.elementCount();
        info.weightBytes += t.byteSize;
    }
    info.fileSize = file.fileSize();
    info.trainedContextLength = config.trainedContext;
    const uint32_t wanted = options.contextLength ? options.contextLength : std::min<uint32_t>(config.trainedContext, 4096);
    info.contextLength = std::clamp<uint32_t>(wanted, 16, std::max<uint32_t>(config.trainedContext, 16));
    info.vocabSize = config.nVocab;
    info.layerCount = config.nLayer;
    info.embeddingLength = config.nEmbd;
    info.hasChatTemplate = file.getString("tokenizer.chat_template").has_value();
    warmUp(file, options);
    vulkanDevice = vulkanDeviceFor(options, weights);
    spdlog::info("loaded {} ({}, {}, {} parameters)", info.name, info.architecture, info.fileType, info.parameterCount);
}

std::unique_ptr<InferenceBackend> ModelImpl::createBackend() const {
    if (!vulkanDevice.empty()) {
        const int contextLength = int(info.contextLength);
        std::shared_ptr<vulkan::DeviceWeights> shared;
        {
            // Held through the upload, so a second session waits for the first one's weights instead of uploading its own.
            const std::lock_guard lock(deviceWeightsMutex);
            shared = deviceWeights.lock();
            if (!shared) {
                shared = std::make_shared<vulkan::DeviceWeights>(
                    weights, vulkan::ContextOptions{.device = options.device},
                    vulkan::VulkanTransformer::sessionBytes(config, contextLength), options.progress);
                deviceWeights = shared;
            }
        }
        return std::make_unique<vulkan::VulkanTransformer>(config, std::move(shared), contextLength);
    }
    return std::make_unique<CpuTransformer>(config, weights, int(info.contextLength), pool);
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::shared_ptr<Model> Model::open(const std::filesystem::path& path, const LoadOptions& options) {
    return std::shared_ptr<Model>(new Model(std::make_unique<ModelImpl>(path, options)));
}

const ModelInfo& Model::info() const { return impl_->info; }

std::string Model::backendDescription() const {
    if (!impl_->vulkanDevice.empty()) return "Vulkan, " + impl_->vulkanDevice;
    return "CPU, " + std::to_string(impl_->pool.size()) + " threads";
}

std::vector<int32_t> Model::tokenize(std::string_view text, bool addSpecial, bool parseSpecial) const {
    return impl_->tokenizer->encode(text, addSpecial, parseSpecial);
}

std::string Model::detokenize(std::span<const int32_t> tokens) const { return impl_->tokenizer->decode(tokens); }

std::string Model::tokenText(int32_t token) const { return impl_->tokenizer->tokenPiece(token); }

std::string Model::applyChatTemplate(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const {
    return impl_->chatTemplate->render(messages, addGenerationPrompt);
}

}  // namespace nibble
