#include "api/chat_prompt.h"
#include "api/model_access.h"
#include "sampling/sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>

namespace nibble {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Prompts are evaluated in chunks, which bounds the activations a forward pass needs.
constexpr int kPrefillChunk = 64;

// NaN or infinite logits come from broken weights (a NaN in a large matrix
// escapes the check at load); sampling them would print garbage and call it a reply.
void requireFinite(const std::vector<float>& logits) {
    if (!std::all_of(logits.begin(), logits.end(), [](float v) { return std::isfinite(v); }))
        throw Error(ErrorKind::InvalidFile, "the model produced invalid numbers; its file is probably damaged");
}

// Holds back the end of the reply while it could still be the start of a stop
// string, so a stop string never reaches the caller.
class StopMatcher {
public:
    explicit StopMatcher(const std::vector<std::string>& stops) : stops_(stops) {}

    // Adds text; returns what can be shown now. Sets stopped when a stop string completed.
    std::string push(std::string_view text, bool& stopped) {
        pending_ += text;
        for (const auto& s : stops_) {
            if (s.empty()) continue;
            if (auto at = pending_.find(s); at != std::string::npos) {
                stopped = true;
                std::string out = pending_.substr(0, at);
                pending_.clear();
                return out;
            }
        }
        size_t hold = 0;
        for (const auto& s : stops_)
            for (size_t n = std::min(s.size() - (s.empty() ? 0 : 1), pending_.size()); n > hold; --n)
                if (pending_.compare(pending_.size() - n, n, s, 0, n) == 0) {
                    hold = n;
                    break;
                }
        std::string out = pending_.substr(0, pending_.size() - hold);
        pending_.erase(0, pending_.size() - hold);
        return out;
    }
    std::string flush() { return std::exchange(pending_, {}); }

private:
    const std::vector<std::string>& stops_;
    std::string pending_;
};

}  // namespace

class SessionImpl {
public:
    explicit SessionImpl(std::shared_ptr<Model> m) : model(std::move(m)), impl(modelImpl(*model)), backend(impl.createBackend()) {
        backend->setCancelCheck([this] { return stopRequested(); });
    }

    bool stopRequested() const {
        return cancelled.load(std::memory_order_relaxed) || (callCancel && callCancel->load(std::memory_order_relaxed));
    }
    void throwIfStopRequested() const {
        if (stopRequested()) throw Error(ErrorKind::Cancelled, "cancelled");
    }

    // Makes the cache hold exactly `prompt` and returns the logits after its
    // last token, evaluating only what differs from what the cache holds.
    std::vector<float> prefill(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                               GenerationResult& result) {
        size_t common = 0;
        while (common < cached.size() && common < prompt.size() && cached[common] == prompt[common]) ++common;
        if (common == prompt.size() && common > 0) --common;  // the last token must run to give logits
        cached.resize(common);
        std::vector<float> logits;
        const auto start = Clock::now();
        for (size_t pos = common; pos < prompt.size(); pos += kPrefillChunk) {
            throwIfStopRequested();
            const size_t n = std::min<size_t>(kPrefillChunk, prompt.size() - pos);
            backend->forward(std::span(prompt).subspan(pos, n), int(pos), false, logits);
            cached.insert(cached.end(), prompt.begin() + pos, prompt.begin() + pos + n);
            if (options.promptProgress) options.promptProgress(int(pos + n - common), int(prompt.size() - common));
        }
        result.promptTokens = int(prompt.size());
        result.evaluatedPromptTokens = int(prompt.size() - common);
        result.promptSeconds = secondsSince(start);
        return logits;
    }

    GenerationResult generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                              const TokenCallback& onPiece, GenerationResult result) {
        const Tokenizer& tok = *impl.tokenizer;
        // Outside the try: a reply cancelled part-way keeps its speed too.
        std::optional<Clock::time_point> start;
        try {
            std::vector<float> logits = prefill(prompt, options, result);
            Sampler sampler(options.sampling);
            Utf8StreamDecoder utf8;
            StopMatcher stops(options.stop);
            start = Clock::now();
            result.stopReason = StopReason::MaxTokens;
            bool keepGoing = true;
            // Text that starts right after the start token loses the space the
            // tokenizer's prefix adds, as decode() does for whole texts.
            bool atTextStart = std::all_of(prompt.begin(), prompt.end(), [&](int32_t t) { return tok.isControl(t); });
            auto emit = [&](const std::string& piece) {
                if (piece.empty()) return;
                result.text += piece;
                if (onPiece && !onPiece(piece)) keepGoing = false;
            };
            while (result.generatedTokens < options.maxTokens) {
                if (stopRequested() || !keepGoing) {
                    result.stopReason = StopReason::Cancelled;
                    break;
                }
                requireFinite(logits);
                const int32_t token = sampler.sample(logits, cached);
                if (tok.isEndOfGeneration(token)) {
                    result.stopReason = StopReason::EndOfText;
                    break;
                }
                ++result.generatedTokens;
                bool stopped = false;
                const std::string bytes = atTextStart ? tok.decode(std::span(&token, 1)) : tok.tokenBytes(token);
                atTextStart = false;
                emit(stops.push(utf8.push(bytes), stopped));
                if (stopped) {
                    result.stopReason = StopReason::StopString;
                    cached.push_back(token);
                    break;
                }
                if (int(cached.size()) >= backend->contextLength()) {
                    result.stopReason = StopReason::ContextFull;
                    break;
                }
                backend->forward(std::span(&token, 1), int(cached.size()), false, logits);
                cached.push_back(token);
            }
            if (result.stopReason != StopReason::StopString) {
                bool stopped = false;
                emit(stops.push(utf8.flush(), stopped));
                emit(stops.flush());
            }
            result.generateSeconds = secondsSince(*start);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Cancelled) {
                cached.clear();  // the cache may hold a half-written batch
                throw;
            }
            result.stopReason = StopReason::Cancelled;
            if (start) result.generateSeconds = secondsSince(*start);
        }
        return result;
    }

    std::vector<int32_t> encodeCompletion(std::string_view prompt) const { return impl.tokenizer->encode(prompt, true, false); }

    PromptFit fit(size_t promptTokens, int replyTokens) const {
        return {int(promptTokens), replyTokens, backend->contextLength()};
    }

    std::shared_ptr<Model> model;
    const ModelImpl& impl;
    std::unique_ptr<InferenceBackend> backend;
    std::vector<int32_t> cached;  // the tokens whose keys and values the cache holds, in order
    std::atomic<bool> cancelled{false};
    // The running call's own cancel flag (GenerateOptions::cancel); only the calling thread touches the pointer.
    std::shared_ptr<const std::atomic<bool>> callCancel;
};

namespace {

// Starts a call: clears Session::cancel() from before it, takes the call's own flag, and drops it at the end.
class CallScope {
public:
    CallScope(SessionImpl& session, std::shared_ptr<const std::atomic<bool>> cancel) : session_(session) {
        session_.cancelled = false;
        session_.callCancel = std::move(cancel);
    }
    ~CallScope() { session_.callCancel.reset(); }
    CallScope(const CallScope&) = delete;
    CallScope& operator=(const CallScope&) = delete;

private:
    SessionImpl& session_;
};

}  // namespace

Session::Session(std::shared_ptr<Model> model) : impl_(std::make_unique<SessionImpl>(std::move(model))) {}
Session::~Session() = default;

GenerationResult Session::chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options,
                               const TokenCallback& onPiece) {
    const CallScope call(*impl_, options.cancel);
    const int context = impl_->backend->contextLength();
    // Room for the reply: what was asked for, but never more than half the window.
    const int reserve = std::min(options.maxTokens, context / 2);

    const FittedChatPrompt prompt = fitChatPrompt(impl_->impl, messages, context, reserve);
    GenerationResult result;
    result.droppedMessages = prompt.droppedMessages;
    if (result.droppedMessages)
        spdlog::info("context full: dropped {} old messages", result.droppedMessages);
    return impl_->generate(prompt.tokens, options, onPiece, std::move(result));
}

GenerationResult Session::complete(std::string_view prompt, const GenerateOptions& options, const TokenCallback& onPiece) {
    const CallScope call(*impl_, options.cancel);
    std::vector<int32_t> tokens = impl_->encodeCompletion(prompt);
    if (tokens.empty())
        throw Error(ErrorKind::InvalidArgument, "the prompt is empty and this model adds no start token");
    if (int(tokens.size()) >= impl_->backend->contextLength())
        throw Error(ErrorKind::ContextFull, "the prompt has " + std::to_string(tokens.size()) +
                                                " tokens, more than the context window of " +
                                                std::to_string(impl_->backend->contextLength()));
    return impl_->generate(tokens, options, onPiece, {});
}

PromptFit Session::fitChat(const std::vector<ChatMessage>& messages, int replyTokens) const {
    return impl_->fit(encodeChatPrompt(impl_->impl, messages).size(), replyTokens);
}

PromptFit Session::fitCompletion(std::string_view prompt, int replyTokens) const {
    return impl_->fit(impl_->encodeCompletion(prompt).size(), replyTokens);
}

std::vector<float> Session::evaluate(std::span<const int32_t> tokens) {
    const CallScope call(*impl_, nullptr);
    if (int(tokens.size()) > impl_->backend->contextLength())
        throw Error(ErrorKind::ContextFull, "cannot evaluate " + std::to_string(tokens.size()) + " tokens in a context of " +
                                                std::to_string(impl_->backend->contextLength()));
    const size_t vocab = impl_->impl.config.nVocab;
    std::vector<float> all(tokens.size() * vocab), logits;
    impl_->cached.clear();
    for (size_t pos = 0; pos < tokens.size(); pos += kPrefillChunk) {
        impl_->throwIfStopRequested();
        const size_t n = std::min<size_t>(kPrefillChunk, tokens.size() - pos);
        impl_->backend->forward(tokens.subspan(pos, n), int(pos), true, logits);
        std::copy(logits.begin(), logits.end(), all.begin() + pos * vocab);
        impl_->cached.insert(impl_->cached.end(), tokens.begin() + pos, tokens.begin() + pos + n);
    }
    return all;
}

void Session::cancel() { impl_->cancelled = true; }
void Session::reset() { impl_->cached.clear(); }
int Session::contextUsed() const { return int(impl_->cached.size()); }
int Session::contextLength() const { return impl_->backend->contextLength(); }

}  // namespace nibble
