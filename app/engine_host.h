#pragma once
// The UI thread's handle on the engine: starts the worker thread, forwards
// requests to it, and mirrors its state (what is loaded, loading progress,
// context length) as properties QML can bind to.
#include "engine_target.h"
#include "engine_worker.h"
#include "generation_stats.h"
#include "prompt_input.h"

#include <nibble/engine.h>

#include <QObject>
#include <QThread>

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
    explicit EngineHost(QObject* parent = nullptr);
    ~EngineHost() override;

    void load(const EngineTarget& target);
    // Returns the request's id, which the generation signals carry.
    quint64 generate(const EngineTarget& target, std::vector<ChatMessage> messages, const GenerateOptions& options);
    // The API's generation (see EngineWorker::generateExact); queues behind the GUI's.
    quint64 generateExact(const EngineTarget& target, PromptInput prompt, const GenerateOptions& options);
    // Stops the request within a layer of the model, even mid-prompt; a queued
    // one ends (generationFinished, Cancelled) at once. Nothing else is stopped.
    void cancel(quint64 requestId);
    // The user's Stop on a chat reply: cancel(), and when the reply still waits
    // behind an API request, stops that request too, so the chat gets the engine.
    void stopChatReply(quint64 requestId);
    Q_INVOKABLE void cancelLoad();
    void unload();

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

signals:
    void stateChanged();
    void loadProgressChanged();
    void loadFailed(const QString& message);
    // Emitted on the engine thread as a load begins, before the model file is
    // opened, and after it has ended (loaded, failed or cancelled); a slot
    // connected with Qt::DirectConnection runs then, in that order.
    void loadBeginning(const nibble::app::EngineTarget& target);
    void loadEnded();
    // The request has the engine (its model is loaded): queued no longer.
    void generationStarted(quint64 requestId);
    void promptProgress(quint64 requestId, int done, int total);
    void pieceReady(quint64 requestId, const QString& piece);
    void generationFinished(quint64 requestId, const nibble::app::GenerationStats& stats);
    void generationFailed(quint64 requestId, const QString& message);
    // The request cannot be served as asked (its prompt does not fit the context).
    void generationRejected(quint64 requestId, const QString& message);

private:
    void onGenerationEnded();
    void cancel(quint64 requestId, bool preemptApi);
    quint64 queue(RequestSource source, const GenerateOptions& options,
                  std::function<void(quint64, const GenerateOptions&)> run);

    QThread thread_;
    EngineWorker* worker_;  // lives on thread_, deleted when it finishes
    quint64 nextRequestId_ = 1;
    int pendingGenerations_ = 0;
    bool loading_ = false;
    double loadProgress_ = 0;
    QString loadingLabel_;
    EngineTarget resident_;
    QString backend_;
    int contextLength_ = 0;
    QString contextWarning_;
    QString lastError_;
};

}  // namespace nibble::app
