#pragma once
// Making new variants of a model in the library: 8-bit, 4-bit, or 4-bit with
// importance measured on the user's own chats, or with each rounding error
// made up for by the weights not yet rounded (error compensation). The quantizer and the new
// file's checksum run on a worker thread while the app stays usable; the
// result joins the library as a variant derived from its source. Cancelling
// leaves no file behind. One variant is made at a time, once an
// EngineArbiter lease on the source's bytes (the quantizer reads it whole,
// and loads it to calibrate) lets it share memory with the chat's model.
#include "engine_bridge/leased_task.h"

#include <QObject>
#include <QVariantList>

#include <memory>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class EngineArbiter;
class VariantListModel;
struct BuildJob;

class VariantBuilder : public QObject {
    Q_OBJECT
    Q_PROPERTY(bool running READ running NOTIFY stateChanged)
    Q_PROPERTY(QString label READ label NOTIFY stateChanged)
    Q_PROPERTY(qint64 sourceVariantId READ sourceVariantId NOTIFY stateChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(QString phase READ phase NOTIFY progressChanged)
    Q_PROPERTY(QString message READ message NOTIFY messageChanged)
    Q_PROPERTY(QStringList warnings READ warnings NOTIFY messageChanged)
    Q_PROPERTY(QVariantList recipes READ recipes CONSTANT)

public:
    VariantBuilder(const storage::Database& db, VariantListModel& variants, QString modelsFolder,
                   EngineArbiter& arbiter, QObject* parent = nullptr);
    // Cancels the variant being made and waits for its thread.
    ~VariantBuilder() override;

    bool running() const { return job_ != nullptr; }
    // "SmolLM2 135M Instruct - 8-bit (Q8_0)" while it is being made.
    QString label() const;
    qint64 sourceVariantId() const;
    double progress() const { return task_.progress(); }
    // What the worker is doing, in words: waiting for memory, calibrating, quantizing, checking the file.
    QString phase() const;
    // How the last one went, and the quantizer's warnings about it.
    QString message() const { return message_; }
    QStringList warnings() const { return warnings_; }
    // Each: {key, label, detail}; key is what create() takes.
    QVariantList recipes() const;

    // Starts making a variant of sourceVariantId with a recipe key ("Q8_0",
    // "Q4_K_M", "Q4_K_M-imat", "Q4_K_M-comp", "IQ4_XS"); false, with the reason in message, when it
    // cannot start.
    Q_INVOKABLE bool create(qint64 sourceVariantId, const QString& recipe);
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void dismissMessage();
    // What importance-aware quantization would calibrate on now:
    // {ownChats (bool), conversations, text (in plain words)}.
    Q_INVOKABLE QVariantMap calibrationSource() const;
    // Why recipe cannot be made from sourceVariantId, in words, before it
    // starts (error compensation of a model too large); empty when it can.
    Q_INVOKABLE QString refusal(qint64 sourceVariantId, const QString& recipe) const;

signals:
    void stateChanged();
    void progressChanged();
    void messageChanged();
    // newVariantId is 0 when the variant was not made.
    void finished(qint64 sourceVariantId, const QString& recipe, qint64 newVariantId, bool cancelled);

private:
    void onJobFinished();
    void setMessage(const QString& text, const QStringList& warnings = {});
    QString outputPathFor(const QString& sourcePath, const QString& precision) const;

    const storage::Database& db_;
    VariantListModel& variants_;
    QString modelsFolder_;
    std::shared_ptr<BuildJob> job_;
    LeasedTask task_;
    QString message_;
    QStringList warnings_;
};

}  // namespace nibble::app
