#pragma once
// How close one variant answers to another, measured by the engine's
// comparison (KL divergence, same top token, perplexity, speed) on a worker
// thread: on one prompt (after a side-by-side comparison) or on the user
// turns of the saved chats. Every measurement is kept in the database; one on
// the chats also becomes the variant's quality figures in the library. Both
// models are loaded at once, so a measurement waits for an EngineArbiter
// lease on their bytes before it starts.
#include "engine_bridge/leased_task.h"

#include <QObject>
#include <QVariantMap>

#include <memory>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class AppSettings;
class EngineArbiter;
class VariantListModel;
struct EvaluationJob;

// Fewer scored tokens than this give no error bar worth showing.
inline constexpr int kMinTokensForError = 32;

class QualityEvaluator : public QObject {
    Q_OBJECT
    Q_PROPERTY(bool running READ running NOTIFY stateChanged)
    Q_PROPERTY(QString task READ task NOTIFY stateChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QVariantMap result READ result NOTIFY resultChanged)
    Q_PROPERTY(QString message READ message NOTIFY resultChanged)
    Q_PROPERTY(int minTokensForError READ minTokensForError CONSTANT)

public:
    QualityEvaluator(const storage::Database& db, VariantListModel& variants, AppSettings& settings,
                     EngineArbiter& arbiter, QObject* parent = nullptr);
    // Cancels the measurement in progress and waits for its thread.
    ~QualityEvaluator() override;

    bool running() const { return job_ != nullptr; }
    // What is being measured, in words, and what it waits for before it starts.
    QString task() const;
    bool waiting() const { return task_.waiting(); }
    double progress() const { return task_.progress(); }
    // The last measurement: {mode ("prompt" | "chats"), dataset, referenceId, variantId,
    // referenceLabel, variantLabel, scoredTokens, kldMean, kldMeanError, kldP99,
    // sameTopPercent, sameTopError, rmsDeltaP, referencePerplexity, perplexity,
    // referenceTokensPerSecond, tokensPerSecond, speedNote (how the speeds were
    // measured), referenceSizeText, sizeText, verdict, evaluationId}; empty
    // until one finished. The error bars are left out below kMinTokensForError.
    QVariantMap result() const { return result_; }
    // Why the last one failed, or that it was cancelled.
    QString message() const { return message_; }
    int minTokensForError() const { return kMinTokensForError; }

    // Scores variantId against referenceId on referenceReply, the reference's
    // reply to prompt that the user saw (the reference's greedy reply when
    // empty). The speeds are those measured writing the two replies, so each
    // model has one speed on screen.
    bool evaluatePrompt(qint64 referenceId, qint64 variantId, const QString& prompt, const QString& referenceReply = {},
                        double referenceTokensPerSecond = 0, double tokensPerSecond = 0);
    // Scores variantId against referenceId on up to maxTurns user turns of the saved chats.
    Q_INVOKABLE bool evaluateChats(qint64 referenceId, qint64 variantId, int maxTurns);
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void clear();
    // How many user turns of saved chats a measurement of up to maxTurns would use.
    Q_INVOKABLE int savedTurnCount(int maxTurns) const;

signals:
    void stateChanged();
    void progressChanged();
    void resultChanged();
    void finished();

private:
    bool start(std::shared_ptr<EvaluationJob> job);
    void onJobFinished();
    void setOutcome(const QVariantMap& result, const QString& message);

    const storage::Database& db_;
    VariantListModel& variants_;
    AppSettings& settings_;
    std::shared_ptr<EvaluationJob> job_;
    LeasedTask task_;
    QVariantMap result_;
    QString message_;
};

}  // namespace nibble::app
