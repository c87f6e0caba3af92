#pragma once
// The engine's side of the app: lives on its own thread, keeps at most one
// model resident (released before another loads) and runs one generation at
// a time. Work arrives as queued calls; results leave as signals, so the UI
// thread never waits on the engine.
#include "engine_target.h"
#include "generation_stats.h"
#include "prompt_input.h"

#include <nibble/engine.h>

#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace nibble::app {

class EngineWorker : public QObject {
    Q_OBJECT

public:
    EngineWorker() = default;
    ~EngineWorker() override;

    // Run on the worker's thread.
    void load(const EngineTarget& target);
    // Loads target first when another variant (or none) is resident, then
    // continues the conversation: the session re-reads the history, reusing
    // what its cache already holds.
    void generate(quint64 requestId, const EngineTarget& target, const std::vector<ChatMessage>& messages,
                  const GenerateOptions& options);
    // The API's generation: like generate(), but a prompt that does not fit
    // the context is refused (generationRejected) instead of losing its
    // oldest turns, since an API client expects an error, not a shorter chat.
    void generateExact(quint64 requestId, const EngineTarget& target, const PromptInput& prompt,
                       const GenerateOptions& options);
    void unload();

    // Safe from any thread. Stops generation requestId (and any earlier one)
    // within a token; a queued one never starts.
    void cancelGeneration(quint64 requestId);
    // Safe from any thread: abandons the load in progress.
    void cancelLoad();

signals:
    void loadStarted(const nibble::app::EngineTarget& target);
    void loadProgress(double fraction);
    void loaded(const nibble::app::EngineTarget& target, const QString& backend, int contextLength);
    void loadFailed(const nibble::app::EngineTarget& target, const QString& message, bool cancelled);
    void unloaded();
    void pieceReady(quint64 requestId, const QString& piece);
    void generationFinished(quint64 requestId, const nibble::app::GenerationStats& stats);
    void generationFailed(quint64 requestId, const QString& message);
    void generationRejected(quint64 requestId, const QString& message);

private:
    // Returns false (after reporting why) when the target could not be loaded.
    bool ensureLoaded(const EngineTarget& target);
    // Whether request requestId may run: false (after reporting why) when it
    // was cancelled before it started or its target could not be loaded.
    bool startRequest(quint64 requestId, const EngineTarget& target);
    // Runs one generation through run(onPiece) and reports it as generate() does.
    void runGeneration(quint64 requestId, const std::function<GenerationResult(const TokenCallback&)>& run);
    bool cancelled(quint64 requestId) const { return requestId <= cancelledThrough_.load(); }

    std::shared_ptr<Model> model_;
    std::unique_ptr<Session> session_;
    EngineTarget resident_;
    // Guards session_ against cancelGeneration() from the UI thread while the
    // worker replaces it; the worker never holds it while generating.
    std::mutex sessionMutex_;
    std::atomic<quint64> cancelledThrough_{0};
    std::atomic<bool> loadCancelled_{false};
};

}  // namespace nibble::app
