#include "api/model_access.h"

#include "api/context_choice.h"
#include "chat/builtin_templates.h"
#include "nibble/available_memory.h"
#include "cpu/cpu_transformer.h"
#include "cpu/kernels.h"
#include "nibble/file_type.h"
#include "vulkan/vulkan_transformer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace nibble {
namespace {

// The name of the file's general.file_type, else of its most common weight type.
std::string fileTypeOf(const gguf::GgufFile& file) {
    if (auto ft = file.getInt("general.file_type"))
        if (auto name = fileTypeName(*ft)) return std::string(*name);
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

// Device memory for the weights and one session with a context of `tokens`.
uint64_t vulkanBytes(const ModelConfig& config, const ModelWeights& weights, uint32_t tokens) {
    return vulkan::VulkanTransformer::requiredBytes(config, weights, int(tokens));
}

// The kernels the CPU path runs on; none for the exact reference.
const cpu::KernelTable* cpuKernels(const LoadOptions& options) {
    if (options.backend == BackendKind::Reference) return nullptr;
    return &cpu::kernelTable(cpu::preferredIsa());
}

// NIBBLE_TEST_SOFTWARE_GPU=1 lets Auto take a CPU implementation of Vulkan
// (lavapipe) for a GPU: the only device tests of Auto's choices have here.
bool softwareDeviceCountsAsGpu() {
    const char* value = std::getenv("NIBBLE_TEST_SOFTWARE_GPU");
    return value && std::string_view(value) == "1";
}

// The Vulkan device to run on, or nothing for the CPU. Auto runs on Vulkan
// only when the chosen device is a real GPU that can run every weight type
// and holds the model with at least a short context: lavapipe and other CPU
// implementations are slower than the CPU backend, and no usable device at
// all simply means the CPU.
std::optional<vulkan::VulkanDeviceChoice> vulkanDeviceFor(const LoadOptions& options, const ModelConfig& config,
                                                          const ModelWeights& weights) {
    if (options.backend == BackendKind::Vulkan) return vulkan::chooseVulkanDevice(options.device);
    if (options.backend == BackendKind::Cpu || options.backend == BackendKind::Reference) return std::nullopt;
    try {
        const vulkan::VulkanDeviceChoice choice = vulkan::chooseVulkanDevice(options.device);
        if (!(choice.isGpu || softwareDeviceCountsAsGpu()) || !vulkan::VulkanTransformer::unsupportedReason(weights).empty())
            return std::nullopt;
        if (vulkanBytes(config, weights, kMinimumContext) > choice.memoryBytes) {
            spdlog::info("{} has too little memory for this model; running on the CPU", choice.name);
            return std::nullopt;
        }
        return choice;
    } catch (const Error&) {
        return std::nullopt;
    }
}

// Where the weights and the KV cache must fit: the device's memory, or the
// host memory that is free now (nothing when the platform cannot say).
std::optional<MemoryBudget> memoryBudget(const std::optional<vulkan::VulkanDeviceChoice>& device) {
    if (device)
        return MemoryBudget{device->memoryBytes, device->name + " has " + vulkan::formatBytes(device->memoryBytes),
                            "choose a smaller model or the CPU backend"};
    const std::optional<uint64_t> free = availableMemoryBytes();
    if (!free) return std::nullopt;
    return MemoryBudget{*free, vulkan::formatBytes(*free) + " are free", "close other programs or choose a smaller model"};
}

}  // namespace

ModelImpl::ModelImpl(const std::filesystem::path& path, const LoadOptions& opts)
    : file(path), config(ModelConfig::fromGguf(file)), weights(ModelWeights::bind(file, config)),
      tokenizer(Tokenizer::fromGguf(file)), options(opts) {
    // Every id the model can produce must be a token the tokenizer can write
    // out, and every token it reads a row of the embedding. (Established
    // converters pad the vocabulary to the embedding's rows, so real files match.)
    if (uint32_t(tokenizer->vocabSize()) != config.nVocab)
        throw Error(ErrorKind::InvalidFile, file.displayName() + ": the tokenizer has " +
                                                std::to_string(tokenizer->vocabSize()) + " tokens but the model's embedding has " +
                                                std::to_string(config.nVocab) + " rows; the file is inconsistent");
    weights.checkNumbers(file);
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
    info.fileType = fileTypeOf(file);
    info.license = std::string(file.getString("general.license").value_or(""));
    for (const auto& t : file.tensors()) {
        info.parameterCount += t.elementCount();
        info.weightBytes += t.byteSize;
    }
    info.fileSize = file.fileSize();
    info.trainedContextLength = config.trainedContext;
    info.vocabSize = config.nVocab;
    info.layerCount = config.nLayer;
    info.embeddingLength = config.nEmbd;
    info.hasChatTemplate = file.getString("tokenizer.chat_template").has_value();

    // The context is decided before any weight is read, for the memory of whatever runs the model.
    const std::optional<vulkan::VulkanDeviceChoice> device = vulkanDeviceFor(options, config, weights);
    const uint64_t hostWeightBytes = info.weightBytes;
    const ContextChoice context = chooseContext(
        options.contextLength, config.trainedContext,
        [&](uint32_t tokens) {
            return device ? vulkanBytes(config, weights, tokens)
                          : hostWeightBytes + CpuTransformer::sessionBytes(config, int(tokens));
        },
        memoryBudget(device));
    info.contextLength = context.length;
    info.contextWarning = context.warning;
    if (!context.warning.empty()) spdlog::warn("{}: {}", file.displayName(), context.warning);
    if (device) vulkanDevice = device->name;
    warmUp(file, options);
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
    return std::make_unique<CpuTransformer>(config, weights, int(info.contextLength), pool, cpuKernels(options),
                                            options.kvCache);
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::shared_ptr<Model> Model::open(const std::filesystem::path& path, const LoadOptions& options) {
    return std::shared_ptr<Model>(new Model(std::make_unique<ModelImpl>(path, options)));
}

const ModelInfo& Model::info() const { return impl_->info; }

std::string Model::backendDescription() const {
    if (!impl_->vulkanDevice.empty()) return "Vulkan, " + impl_->vulkanDevice;
    return CpuTransformer::describe(cpuKernels(impl_->options), impl_->pool.size(), impl_->options.kvCache);
}

std::string Model::vulkanDevice() const { return impl_->vulkanDevice; }

std::vector<int32_t> Model::tokenize(std::string_view text, bool addSpecial, bool parseSpecial) const {
    return impl_->tokenizer->encode(text, addSpecial, parseSpecial);
}

std::string Model::detokenize(std::span<const int32_t> tokens) const { return impl_->tokenizer->decode(tokens); }

std::string Model::tokenText(int32_t token) const { return impl_->tokenizer->tokenPiece(token); }

std::string Model::applyChatTemplate(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const {
    return impl_->chatTemplate->render(messages, addGenerationPrompt);
}

const ModelImpl& modelImpl(const Model& model) { return *model.impl_; }

}  // namespace nibble
