#pragma once
// Nibble's engine API: everything the desktop app and nibble-cli use.
//
//   auto model = nibble::Model::open("model.gguf", {});
//   nibble::Session session(model);
//   session.chat({{"user", "Hello"}}, {}, [](std::string_view piece) { print(piece); return true; });
//
// Every function reports failure by throwing nibble::Error, whose message is
// meant for the person using the app.
#include "nibble/error.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nibble {

// Cpu runs integer kernels for this processor's instruction set on inputs
// rounded to 8 bits plus their rounding remainder: as close to exact float32
// arithmetic as the tests can tell (mean KL below 1e-7), several times
// faster. Reference runs the exact float32 arithmetic, the answer every other
// path is checked against; tests, benchmarks and nibble-cli ask for it, the
// app does not. Auto runs on Vulkan when a real GPU holds the model, else Cpu.
enum class BackendKind { Auto, Cpu, Vulkan, Reference };

// The element of the CPU fast path's KV cache. F16 halves the cache's
// memory and what attention reads of it, for keys and values rounded to
// half precision; the reference path and Vulkan keep f32 whatever is asked.
enum class KvCacheType { F32, F16 };

struct ModelInfo {
    std::string name;            // general.name, or the file name
    std::string architecture;    // general.architecture
    std::string fileType;        // the most common weight type, e.g. "Q4_1"
    std::string license;         // general.license, may be empty
    uint64_t parameterCount = 0;
    uint64_t fileSize = 0;
    uint64_t weightBytes = 0;    // tensor data alone, as quantization tables report model size
    uint32_t trainedContextLength = 0;
    uint32_t contextLength = 0;  // what this load uses
    // Why contextLength is shorter than asked (the memory would not hold it),
    // e.g. "a context of 100000 tokens needs 4.4 GiB; 3.1 GiB are free: using 16384 tokens"; empty when it is not.
    std::string contextWarning;
    uint32_t vocabSize = 0;
    uint32_t layerCount = 0;
    uint32_t embeddingLength = 0;
    bool hasChatTemplate = false;
};

struct LoadOptions {
    BackendKind backend = BackendKind::Auto;
    std::string device;           // Vulkan device index or part of its name; empty picks the best
    // 0: the trained length, capped at 4096. Either way never more than the
    // model and a full KV cache can fit in memory (see ModelInfo::contextWarning).
    uint32_t contextLength = 0;
    // Called with 0..1 while weights load; returning false cancels (Error kind Cancelled).
    std::function<bool(float)> progress;
    KvCacheType kvCache = KvCacheType::F32;  // the CPU fast path's; backendDescription says which
};

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

struct SamplingParams {
    float temperature = 0.7f;  // <= 0: greedy
    int topK = 40;             // <= 0: off
    float topP = 0.95f;        // >= 1: off
    float minP = 0.05f;        // <= 0: off
    float repeatPenalty = 1.1f;  // 1: off
    int repeatLastN = 64;
    float presencePenalty = 0.0f;
    uint64_t seed = 0;         // the same seed and settings reproduce a reply exactly

    static SamplingParams greedy() {
        SamplingParams p;
        p.temperature = 0;
        p.repeatPenalty = 1;
        return p;
    }
};

struct GenerateOptions {
    SamplingParams sampling;
    int maxTokens = 512;
    std::vector<std::string> stop;  // extra stop strings; the model's end tokens always stop
    // Set to true from any thread to stop this call, at any point (within a
    // layer of the model while the prompt is processed): it then returns with
    // StopReason::Cancelled. Already true: the call stops before any work.
    // Unlike Session::cancel(), it cannot miss a call that has not started yet.
    std::shared_ptr<const std::atomic<bool>> cancel;
    // Called on the calling thread after each batch of the prompt is read,
    // with how many of the tokens not already in the cache are done
    // (0 < done <= total): reading a long conversation anew, after a switch
    // of model, takes seconds, and a person should see it advance.
    std::function<void(int done, int total)> promptProgress;
};

enum class StopReason { EndOfText, MaxTokens, StopString, Cancelled, ContextFull };

struct GenerationResult {
    std::string text;
    StopReason stopReason = StopReason::EndOfText;
    int promptTokens = 0;       // tokens in the prompt
    int evaluatedPromptTokens = 0;  // of those, how many were not already in the cache
    int generatedTokens = 0;
    double promptSeconds = 0;
    double generateSeconds = 0;
    int droppedMessages = 0;    // old turns dropped because the context was full
    double promptTokensPerSecond() const { return promptSeconds > 0 ? evaluatedPromptTokens / promptSeconds : 0; }
    double tokensPerSecond() const { return generateSeconds > 0 ? generatedTokens / generateSeconds : 0; }
};

// Whether a prompt and room for its reply fit a session's context window.
struct PromptFit {
    int promptTokens = 0;
    int replyTokens = 0;    // the room asked for the reply
    int contextLength = 0;
    int requestedTokens() const { return promptTokens + replyTokens; }
    bool fits() const { return requestedTokens() <= contextLength; }
};

// Receives the reply as it grows, in pieces of valid UTF-8. Return false to stop.
using TokenCallback = std::function<bool(std::string_view piece)>;

class ModelImpl;

class Model {
public:
    // Opens and validates the file and loads the weights on the chosen backend.
    static std::shared_ptr<Model> open(const std::filesystem::path& path, const LoadOptions& options);
    ~Model();

    const ModelInfo& info() const;
    // "CPU" or the Vulkan device's name, and why it was chosen.
    std::string backendDescription() const;
    // The Vulkan device the model runs on; empty on the CPU.
    std::string vulkanDevice() const;

    std::vector<int32_t> tokenize(std::string_view text, bool addSpecial, bool parseSpecial = false) const;
    std::string detokenize(std::span<const int32_t> tokens) const;
    std::string tokenText(int32_t token) const;
    // Renders messages with the model's chat template (or a built-in fallback).
    std::string applyChatTemplate(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const;

private:
    // The engine's own way in (api/model_access.h), kept out of this API.
    friend const ModelImpl& modelImpl(const Model& model);
    explicit Model(std::unique_ptr<ModelImpl> impl);
    std::unique_ptr<ModelImpl> impl_;
};

class SessionImpl;

// One conversation's state: the KV cache and the tokens in it. Not thread-safe,
// except cancel(), which may be called from any thread.
class Session {
public:
    explicit Session(std::shared_ptr<Model> model);
    ~Session();

    // Renders the conversation with the chat template, reuses the cached prefix
    // it shares with the last call, and generates the assistant's reply. When
    // the conversation outgrows the context, the oldest turns after the system
    // prompt are dropped (reported in the result).
    GenerationResult chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options,
                          const TokenCallback& onPiece);
    // Encodes the conversation exactly as chat() does and says whether it
    // fits beside a reply of replyTokens. When it fits, chat() with
    // GenerateOptions::maxTokens <= replyTokens keeps every message, so a
    // caller that must not lose any (an API client) asks this first.
    PromptFit fitChat(const std::vector<ChatMessage>& messages, int replyTokens) const;
    // The same for complete()'s prompt.
    PromptFit fitCompletion(std::string_view prompt, int replyTokens) const;
    // Continues raw text (no template). BOS is added as the model's metadata says.
    GenerationResult complete(std::string_view prompt, const GenerateOptions& options, const TokenCallback& onPiece);
    // Runs the tokens through the model (teacher forcing) from an empty cache and
    // returns the logits at every position, row-major [tokens.size()][vocab].
    std::vector<float> evaluate(std::span<const int32_t> tokens);

    // Safe from any thread: stops the call in progress within a layer of the
    // model, prompt included; that call returns StopReason::Cancelled (or
    // evaluate() throws Error(Cancelled)) and the session stays usable, its
    // cache holding only the tokens fully processed. Has no effect on a call
    // that starts later (see GenerateOptions::cancel).
    void cancel();
    void reset();
    int contextUsed() const;
    int contextLength() const;

private:
    std::unique_ptr<SessionImpl> impl_;
};

struct DeviceInfo {
    uint32_t index = 0;
    std::string name;
    std::string type;   // "discrete GPU", "integrated GPU", "CPU", ...
    std::string driver;
    std::string apiVersion;
    uint64_t deviceLocalBytes = 0;
    uint32_t subgroupSize = 0;
    uint64_t maxStorageBufferRange = 0;
    uint64_t maxMemoryAllocationSize = 0;
    bool fp16 = false;
    bool int8 = false;
    bool integerDotProduct = false;
    bool cooperativeMatrix = false;
    bool selected = false;
    std::string selectionReason;
};

// Every Vulkan device on this machine, with the one the engine would pick
// (preferred: the named one, else discrete > integrated > CPU). Throws
// Error(NoDevice) when there is no Vulkan driver or device at all.
std::vector<DeviceInfo> listDevices(const std::string& preferred = {});

// Whether the Vulkan loader (libvulkan.so.1) is installed. Without it
// listDevices throws Error(NoDevice) saying so, and models run on the CPU.
// NIBBLE_VULKAN_LOADER names a loader file to use instead of the usual one.
bool vulkanLoaderInstalled();

}  // namespace nibble
