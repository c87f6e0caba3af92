#pragma once
// The UI thread's handle on the engine: starts the worker thread, forwards
// requests to it, and mirrors its state (what is loaded, loading progress,
// context length) as properties QML can bind to. Each generation is answered
// through its own EngineReply: the worker's results arrive here, queued onto
// the UI thread and tagged with the request's id, and the host hands each to
// that request's reply.
#include "engine_bridge/engine_reply.h"
#include "engine_bridge/engine_target.h"
#include "engine_bridge/engine_worker.h"
#include "engine_bridge/generation_stats.h"
#include "engine_bridge/prompt_input.h"

#include <nibble/engine.h>

#include <QHash>
#include <QObject>
#include <QThread>

#include <memory>
#include <vector>

namespace nibble::app {

class EngineHost : public QObject {
    Q_OBJECT
    Q_PROPERTY(bool loading READ loading NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    Q_PROPERTY(double loadProgress READ loadProgress NOTIFY loadProgressChanged)
    Q_PROPERTY(QString loadingLabel READ loadingLabel NOTIFY stateChanged)
    Q_PROPERTY(qint64 residentVariantId READ residentVariantId NOTIFY stateChanged)
    Q_PROPERTY(QString residentLabel READ residentLabel NOTIFY stateChanged)
    Q_PROPERTY(QString backend READ backend NOTIFY stateChanged)
    Q_PROPERTY(int contextLength READ contextLength NOTIFY stateChanged)
    // Why the context is shorter than asked for (it had to fit free memory), or empty.
    Q_PROPERTY(QString contextWarning READ contextWarning NOTIFY stateChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY stateChanged)

public:
    // backendChoicesFile: where Auto keeps which backend won each model's race
    // (see BackendChoices); empty keeps them for this run only.
    explicit EngineHost(const QString& backendChoicesFile = {}, QObject* parent = nullptr);
    ~EngineHost() override;

    void load(const EngineTarget& target);
    // Queues a chat generation; the reply reports it (see engine_reply.h for
    // who owns it).
    std::unique_ptr<EngineReply> generate(const EngineTarget& target, std::vector<ChatMessage> messages,
                                          const GenerateOptions& options);
    // The API's generation (see EngineWorker::generateExact); queues behind the GUI's.
    std::unique_ptr<EngineReply> generateExact(const EngineTarget& target, PromptInput prompt,
                                               const GenerateOptions& options);
    Q_INVOKABLE void cancelLoad();
    void unload();
    // Unloads the resident model when no generation is running or waiting,
    // and leaves it otherwise: for EngineArbiter, which needs its memory for
    // a background job. The next generation loads it again.
    void releaseIfIdle();

    bool loading() const { return loading_; }
    bool busy() const { return pendingGenerations_ > 0; }
    double loadProgress() const { return loadProgress_; }
    QString loadingLabel() const { return loadingLabel_; }
    qint64 residentVariantId() const { return resident_.variantId; }
    QString residentLabel() const { return resident_.label; }
    QString backend() const { return backend_; }
    int contextLength() const { return contextLength_; }
    QString contextWarning() const { return contextWarning_; }
    QString lastError() const { return lastError_; }
    // The file of the model in memory or being loaded; empty when there is none.
    QString heldFilePath() const { return loading_ ? loadingTarget_.filePath : resident_.filePath; }

signals:
    void stateChanged();
    void loadProgressChanged();
    void loadFailed(const QString& message);
    // Emitted on the engine thread as a load begins, before the model file is
    // opened, and after it has ended (loaded, failed or cancelled); a slot
    // connected with Qt::DirectConnection runs then, in that order.
    void loadBeginning(const nibble::app::EngineTarget& target);
    void loadEnded();
    // Every request as it is queued, for whoever watches the engine as a
    // whole; emitted before generate() returns, so a slot connected here sees
    // all of the reply's signals. Its owner is generate()'s caller.
    void requestQueued(nibble::app::EngineReply* reply);

private:
    friend class EngineReply;

    // Safe from any thread; see EngineReply::cancel().
    void cancel(quint64 requestId, bool preemptApi);
    // The reply was deleted before it ended: cancels the request, whose results now go nowhere.
    void abandon(quint64 requestId);
    // The reply for requestId, or null once it has ended or was deleted.
    EngineReply* replyFor(quint64 requestId) const { return replies_.value(requestId); }
    // Counts the request as done, then ends its reply (when it still has one) through emitEnd.
    void endRequest(quint64 requestId, const std::function<void(EngineReply&)>& emitEnd);
    std::unique_ptr<EngineReply> queue(RequestSource source, const GenerateOptions& options,
                                       std::function<void(quint64, const GenerateOptions&)> run);

    QThread thread_;
    EngineWorker* worker_;  // lives on thread_, deleted when it finishes
    quint64 nextRequestId_ = 1;
    // The replies of requests not yet ended, by request id; their callers own them.
    QHash<quint64, EngineReply*> replies_;
    int pendingGenerations_ = 0;
    bool loading_ = false;
    double loadProgress_ = 0;
    QString loadingLabel_;
    EngineTarget loadingTarget_;
    EngineTarget resident_;
    QString backend_;
    int contextLength_ = 0;
    QString contextWarning_;
    QString lastError_;
};

}  // namespace nibble::app
