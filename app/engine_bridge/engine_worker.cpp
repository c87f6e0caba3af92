#include "engine_bridge/engine_worker.h"

#include <nibble/backend_race.h>

#include <spdlog/spdlog.h>

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>

namespace nibble::app {

EngineWorker::EngineWorker(std::unique_ptr<BackendChoices> choices)
    : choices_(choices ? std::move(choices) : std::make_unique<BackendChoices>()) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::load(const EngineTarget& target) { ensureLoaded(target); }

bool EngineWorker::ensureLoaded(const EngineTarget& target, const std::shared_ptr<const std::atomic<bool>>& cancel) {
    if (model_ && resident_.loadsLike(target)) {
        resident_ = target;
        return true;
    }
    unload();
    loadCancelled_ = false;
    emit loadStarted(target);
    LoadOptions options = target.loadOptions();
    int lastPercent = -1;
    options.progress = [&](float fraction) {
        // Whole percents are plenty for a progress bar and keep the queue short.
        if (const int percent = int(std::lround(fraction * 100)); percent != lastPercent) {
            lastPercent = percent;
            emit loadProgress(fraction);
        }
        return !loadCancelled_.load() && !(cancel && cancel->load());
    };
    try {
        QElapsedTimer timer;
        timer.start();
        const QString backend = open(target.filePath, options);
        resident_ = target;
        spdlog::info("loaded {} in {} ms on {}", target.label.toStdString(), timer.elapsed(), backend.toStdString());
        emit loaded(target, backend, session_->contextLength(), QString::fromStdString(model_->info().contextWarning));
        return true;
    } catch (const Error& e) {
        const bool wasCancelled = e.kind() == ErrorKind::Cancelled;
        if (!wasCancelled) spdlog::error("loading {} failed: {}", target.filePath.toStdString(), e.what());
        emit loadFailed(target, QString::fromUtf8(e.what()), wasCancelled);
        return false;
    } catch (const std::bad_alloc&) {
        emit loadFailed(target, tr("There is not enough memory to load %1.").arg(target.label), false);
        return false;
    }
}

QString EngineWorker::open(const QString& filePath, const LoadOptions& options) {
    const std::string path = filePath.toStdString();
    const auto described = [this](const QString& why) {
        const QString where = QString::fromStdString(model_->backendDescription());
        return why.isEmpty() ? where : tr("%1 · %2").arg(where, why);
    };
    if (options.backend != BackendKind::Auto) {
        model_ = Model::open(path, options);
        session_ = std::make_unique<Session>(model_);
        return described({});
    }
    if (const std::optional<BackendChoice> known = choices_->find(filePath);
        known && (known->gpuWon || autoGpuName() == known->gpuName)) {
        LoadOptions chosen = options;
        if (!known->gpuWon) chosen.backend = BackendKind::Cpu;
        model_ = Model::open(path, chosen);
        session_ = std::make_unique<Session>(model_);
        // The GPU that won is gone or another one came first: Auto chose anew, and the next load races.
        if (known->gpuWon && QString::fromStdString(model_->vulkanDevice()) != known->gpuName) {
            choices_->forget(filePath);
            return described({});
        }
        return described(known->reason());
    }
    BackendRace race = raceBackends(path, options);
    model_ = std::move(race.model);
    session_ = std::move(race.session);
    if (race.gpuName.empty()) return described({});
    const BackendChoice choice{QString::fromStdString(race.gpuName), race.gpuWon(), race.gpuTokensPerSecond,
                               race.cpuTokensPerSecond};
    choices_->remember(filePath, choice);
    return described(choice.reason());
}

QString EngineWorker::autoGpuName() {
    try {
        for (const DeviceInfo& device : listDevices())
            if (device.selected) return QString::fromStdString(device.name);
    } catch (const Error&) {
    }
    return {};
}

void EngineWorker::unload() {
    if (!model_) return;
    session_.reset();
    model_.reset();
    resident_ = {};
    emit unloaded();
}

void EngineWorker::releaseIfIdle() {
    {
        const std::lock_guard lock(requestsMutex_);
        if (!queued_.empty() || running_) return;
    }
    unload();
}

void EngineWorker::enqueue(quint64 requestId, RequestSource source, CancelFlag cancel, std::function<void()> run) {
    const std::lock_guard lock(requestsMutex_);
    queued_.push_back({requestId, source, std::move(cancel), std::move(run)});
}

void EngineWorker::runNext() {
    std::function<void()> run;
    {
        const std::lock_guard lock(requestsMutex_);
        auto next = std::find_if(queued_.begin(), queued_.end(),
                                 [](const Request& r) { return r.source == RequestSource::Chat; });
        if (next == queued_.end()) next = queued_.begin();
        if (next == queued_.end()) return;  // dropped by a cancel
        running_ = std::move(*next);
        queued_.erase(next);
        run = std::move(running_->run);
    }
    run();
    const std::lock_guard lock(requestsMutex_);
    running_.reset();
}

bool EngineWorker::cancelGeneration(quint64 requestId, bool preemptApi) {
    const std::lock_guard lock(requestsMutex_);
    const auto queued = std::find_if(queued_.begin(), queued_.end(), [&](const Request& r) { return r.id == requestId; });
    if (queued != queued_.end()) {
        const bool chat = queued->source == RequestSource::Chat;
        queued_.erase(queued);
        if (preemptApi && chat && running_ && running_->source == RequestSource::Api) {
            running_->preempted = true;
            running_->cancel->store(true);
        }
        return true;
    }
    if (running_ && running_->id == requestId) running_->cancel->store(true);
    return false;
}

void EngineWorker::cancelAll() {
    const std::lock_guard lock(requestsMutex_);
    queued_.clear();
    if (running_) running_->cancel->store(true);
}

bool EngineWorker::runningPreempted() const {
    const std::lock_guard lock(requestsMutex_);
    return running_ && running_->preempted;
}

bool EngineWorker::startRequest(quint64 requestId, const EngineTarget& target, const GenerateOptions& options) {
    const auto cancelled = [&] { return options.cancel && options.cancel->load(); };
    if (!cancelled() && ensureLoaded(target, options.cancel)) {
        emit generationStarted(requestId);
        return true;
    }
    if (!cancelled()) {
        emit generationFailed(requestId, tr("%1 could not be loaded.").arg(target.label));
    } else if (runningPreempted()) {
        emit generationFailed(requestId, preemptedMessage());
    } else {
        GenerationStats stats;
        stats.stopReason = StopReason::Cancelled;
        stats.contextUsed = -1;
        emit generationFinished(requestId, stats);
    }
    return false;
}

void EngineWorker::generate(quint64 requestId, const EngineTarget& target, const std::vector<ChatMessage>& messages,
                            const GenerateOptions& options) {
    if (!startRequest(requestId, target, options)) return;
    GenerateOptions reporting = options;
    reporting.promptProgress = [this, requestId](int done, int total) { emit promptProgress(requestId, done, total); };
    runGeneration(requestId, reporting,
                  [&](const TokenCallback& onPiece) { return session_->chat(messages, reporting, onPiece); });
}

void EngineWorker::generateExact(quint64 requestId, const EngineTarget& target, const PromptInput& prompt,
                                 const GenerateOptions& options) {
    if (!startRequest(requestId, target, options)) return;
    GenerateOptions fitted = options;
    try {
        const int replyTokens = prompt.maxTokens.value_or(1);
        const PromptFit fit = prompt.rawText ? session_->fitCompletion(*prompt.rawText, replyTokens)
                                             : session_->fitChat(prompt.messages, replyTokens);
        if (!fit.fits()) {
            emit generationRejected(requestId, contextExceededMessage(fit, prompt.rawText.has_value()));
            return;
        }
        // A reply no longer than the room left is what keeps chat() from
        // dropping old turns (see Session::fitChat).
        fitted.maxTokens = std::min(options.maxTokens, fit.contextLength - fit.promptTokens);
    } catch (const Error& e) {
        // A failure, not a rejection: that is only for a prompt the context cannot hold.
        const QString reason = QString::fromUtf8(e.what());
        emit generationFailed(requestId, prompt.rawText ? tr("The prompt could not be read: %1").arg(reason)
                                                        : tr("The chat template failed: %1").arg(reason));
        return;
    }
    runGeneration(requestId, fitted, [&](const TokenCallback& onPiece) {
        return prompt.rawText ? session_->complete(*prompt.rawText, fitted, onPiece)
                              : session_->chat(prompt.messages, fitted, onPiece);
    });
}

void EngineWorker::runGeneration(quint64 requestId, const GenerateOptions& options,
                                 const std::function<GenerationResult(const TokenCallback&)>& run) {
    GenerationStats stats;
    // Set when a piece was held back for a cancel: the reply is then incomplete,
    // whatever its stop reason. A cancel landing after the run is not consulted:
    // the reply it would mark is already whole.
    bool pieceWithheld = false;
    try {
        const GenerationResult result = run([&](std::string_view piece) {
            if (options.cancel && options.cancel->load()) {
                pieceWithheld = true;
                return false;
            }
            emit pieceReady(requestId, QString::fromUtf8(piece.data(), qsizetype(piece.size())));
            return true;
        });
        stats.stopReason = pieceWithheld ? StopReason::Cancelled : result.stopReason;
        stats.generatedTokens = result.generatedTokens;
        stats.tokensPerSecond = result.tokensPerSecond();
        stats.promptTokens = result.promptTokens;
        stats.promptTokensPerSecond = result.promptTokensPerSecond();
        stats.droppedMessages = result.droppedMessages;
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Cancelled) {
            spdlog::error("generation failed: {}", e.what());
            emit generationFailed(requestId, QString::fromUtf8(e.what()));
            return;
        }
        stats.stopReason = StopReason::Cancelled;
    } catch (const std::bad_alloc&) {
        emit generationFailed(requestId, tr("There is not enough memory to continue this reply."));
        return;
    }
    if (stats.stopReason == StopReason::Cancelled && runningPreempted()) {
        emit generationFailed(requestId, preemptedMessage());
        return;
    }
    stats.contextUsed = session_->contextUsed();
    stats.contextLength = session_->contextLength();
    emit generationFinished(requestId, stats);
}

void EngineWorker::cancelLoad() { loadCancelled_ = true; }

QString EngineWorker::contextExceededMessage(const PromptFit& fit, bool rawText) {
    // OpenAI's own wording, which clients and people already know.
    const QString message = rawText ? tr("This model's maximum context length is %1 tokens. However, you requested %2 "
                                         "tokens (%3 in the prompt, %4 in the completion). Please reduce the length "
                                         "of the prompt or completion.")
                                    : tr("This model's maximum context length is %1 tokens. However, you requested %2 "
                                         "tokens (%3 in the messages, %4 in the completion). Please reduce the length "
                                         "of the messages or completion.");
    return message.arg(fit.contextLength).arg(fit.requestedTokens()).arg(fit.promptTokens).arg(fit.replyTokens);
}

QString EngineWorker::preemptedMessage() {
    return tr("Stopped so that Nibble's chat window could use the model; send the request again.");
}

}  // namespace nibble::app
