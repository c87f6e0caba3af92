#pragma once
// The engine's side of the app: lives on its own thread, keeps at most one
// model resident (released before another loads) and runs one generation at
// a time. Generations wait in the worker's own queue, the chat window's ahead
// of the API's, and each has a cancel flag the engine polls between the
// model's layers, so a cancel takes effect at once wherever the request is.
// Results leave as signals tagged with the request's id, so the UI thread
// never waits on the engine; EngineHost hands each to that request's
// EngineReply.
#include "engine_bridge/backend_choices.h"
#include "engine_bridge/engine_target.h"
#include "engine_bridge/generation_stats.h"
#include "engine_bridge/prompt_input.h"

#include <nibble/engine.h>

#include <QObject>
#include <QString>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace nibble::app {

// Whose generation it is: the chat window's (and compare view's) go first.
enum class RequestSource { Chat, Api };

class EngineWorker : public QObject {
    Q_OBJECT

public:
    using CancelFlag = std::shared_ptr<std::atomic<bool>>;

    // choices: what earlier loads found racing Auto's GPU against the CPU; null keeps them in memory only.
    explicit EngineWorker(std::unique_ptr<BackendChoices> choices = nullptr);
    ~EngineWorker() override;

    // Run on the worker's thread.
    void load(const EngineTarget& target);
    // Loads target first when another variant (or none) is resident, then
    // continues the conversation: the session re-reads the history, reusing
    // what its cache already holds.
    void generate(quint64 requestId, const EngineTarget& target, const std::vector<ChatMessage>& messages,
                  const GenerateOptions& options);
    // The API's generation: like generate(), but a prompt that does not fit
    // the context beside its reply (prompt.maxTokens, or one token when the
    // client set no cap) is refused (generationRejected, with the token
    // counts) instead of losing its oldest turns, since an API client expects
    // an error, not a shorter chat. Without a cap the reply stops where the
    // context ends.
    void generateExact(quint64 requestId, const EngineTarget& target, const PromptInput& prompt,
                       const GenerateOptions& options);
    void unload();
    // Unloads unless a generation is queued: one queued since the caller
    // looked keeps its model. Never in a reply, as it runs between them.
    void releaseIfIdle();

    // Safe from any thread: queues a generation; `run` carries it out on the
    // worker's thread, calling generate() or generateExact() with options
    // whose cancel is `cancel`. Post one runNext() per request queued.
    void enqueue(quint64 requestId, RequestSource source, CancelFlag cancel, std::function<void()> run);
    // Run on the worker's thread: runs the first queued chat request, else the first API one.
    void runNext();

    // Safe from any thread. Stops generation requestId within a layer of the
    // model wherever it is; returns true when it was still queued, having
    // dropped it (no signal will come for it). With preemptApi, a request
    // dropped so also stops the API request running ahead of it, so the chat
    // gets the engine; only the user's Stop on a waiting chat reply asks that.
    bool cancelGeneration(quint64 requestId, bool preemptApi = false);
    // Safe from any thread: cancels every generation, queued or running.
    void cancelAll();
    // Safe from any thread: abandons the load in progress.
    void cancelLoad();

signals:
    void loadStarted(const nibble::app::EngineTarget& target);
    void loadProgress(double fraction);
    // contextWarning: why the context is shorter than asked (it had to fit free memory), or empty.
    void loaded(const nibble::app::EngineTarget& target, const QString& backend, int contextLength,
                const QString& contextWarning);
    void loadFailed(const nibble::app::EngineTarget& target, const QString& message, bool cancelled);
    void unloaded();
    // The request left the queue and its model is resident: it has the engine.
    void generationStarted(quint64 requestId);
    // How much of the prompt has been read: done of total tokens (see GenerateOptions::promptProgress).
    void promptProgress(quint64 requestId, int done, int total);
    void pieceReady(quint64 requestId, const QString& piece);
    void generationFinished(quint64 requestId, const nibble::app::GenerationStats& stats);
    void generationFailed(quint64 requestId, const QString& message);
    void generationRejected(quint64 requestId, const QString& message);

private:
    // Returns false (after reporting why) when the target could not be loaded.
    // cancel, when given, abandons the load too: the request that needs it was cancelled.
    bool ensureLoaded(const EngineTarget& target, const std::shared_ptr<const std::atomic<bool>>& cancel = {});
    // Opens filePath into model_ and session_ and describes where it runs. Auto
    // races a GPU against the CPU once per model and file (BackendChoices) and
    // says why the winner runs it; other choices load as asked.
    QString open(const QString& filePath, const LoadOptions& options);
    // The Vulkan device Auto would take now, by name; empty when there is none.
    static QString autoGpuName();
    // Whether request requestId may run: false (after reporting why) when it
    // was cancelled before it started or its target could not be loaded.
    bool startRequest(quint64 requestId, const EngineTarget& target, const GenerateOptions& options);
    // Runs one generation through run(onPiece) and reports it as generate() does.
    void runGeneration(quint64 requestId, const GenerateOptions& options,
                       const std::function<GenerationResult(const TokenCallback&)>& run);
    // Whether the running request was stopped for a chat request rather than by its owner.
    bool runningPreempted() const;
    static QString preemptedMessage();
    static QString contextExceededMessage(const PromptFit& fit, bool rawText);

    struct Request {
        quint64 id = 0;
        RequestSource source = RequestSource::Chat;
        CancelFlag cancel;
        std::function<void()> run;
        bool preempted = false;
    };

    std::unique_ptr<BackendChoices> choices_;
    std::shared_ptr<Model> model_;
    std::unique_ptr<Session> session_;
    EngineTarget resident_;
    // Guards the queue and the running request, which other threads cancel.
    mutable std::mutex requestsMutex_;
    std::deque<Request> queued_;
    std::optional<Request> running_;
    std::atomic<bool> loadCancelled_{false};
};

}  // namespace nibble::app
