#pragma once
// Side-by-side comparison of two variants: one prompt, each model's own
// sampling defaults (as chat uses them) and the same seed, generated with one
// then the other (only one model is resident at a time), with each reply's
// speed. Once both have answered, B's quality figures against A on that
// prompt are measured in the background. Until the user picks A or B, they
// are the chat model's two most different precisions.
#include "engine_bridge/generation_stats.h"

#include <QObject>
#include <QVariantMap>

#include <memory>

namespace nibble::app {

class AppSettings;
class ChatController;
class EngineHost;
class EngineReply;
class QualityEvaluator;

class CompareController : public QObject {
    Q_OBJECT
    Q_PROPERTY(qint64 variantA READ variantA WRITE setVariantA NOTIFY variantsChanged)
    Q_PROPERTY(qint64 variantB READ variantB WRITE setVariantB NOTIFY variantsChanged)
    Q_PROPERTY(bool running READ running NOTIFY runningChanged)
    Q_PROPERTY(QVariantMap resultA READ resultA NOTIFY resultsChanged)
    Q_PROPERTY(QVariantMap resultB READ resultB NOTIFY resultsChanged)
    Q_PROPERTY(quint64 seed READ seed NOTIFY resultsChanged)

public:
    CompareController(EngineHost& engine, AppSettings& settings, const ChatController& chat,
                      QualityEvaluator& evaluator, QObject* parent = nullptr);
    ~CompareController() override;

    qint64 variantA() const { return variants_[0]; }
    // The user's pick: from now on A and B no longer follow the chat's model.
    void setVariantA(qint64 id);
    qint64 variantB() const { return variants_[1]; }
    void setVariantB(qint64 id);
    bool running() const { return side_ >= 0; }
    // {text, status ("waiting", "generating", "done", "stopped", "failed"), tokensPerSecond, tokens, error}
    QVariantMap resultA() const { return results_[0]; }
    QVariantMap resultB() const { return results_[1]; }
    quint64 seed() const { return seed_; }

    Q_INVOKABLE bool run(const QString& prompt);
    Q_INVOKABLE void stop();

signals:
    void variantsChanged();
    void runningChanged();
    void resultsChanged();
    void finished();

private:
    void followChat();
    void startSide(int side);
    void onPiece(const QString& piece);
    void onFinished(const GenerationStats& stats);
    void onFailed(const QString& message);
    // After a side's reply ended: the other side next, or the end of the run.
    void nextSide();
    void finish();

    EngineHost& engine_;
    AppSettings& settings_;
    const ChatController& chat_;
    QualityEvaluator& evaluator_;
    qint64 variants_[2] = {0, 0};
    QVariantMap results_[2];
    QString prompt_;
    quint64 seed_ = 0;
    int side_ = -1;  // the side generating, -1 when idle
    std::unique_ptr<EngineReply> reply_;  // the generating side's
    bool stopped_ = false;
    bool picked_ = false;  // the user chose A or B
};

}  // namespace nibble::app
