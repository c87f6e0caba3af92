#pragma once
// The "Download models" rows of the model library: every file of every
// catalog model with what the model is for, whether it is a chat or a base
// model, the memory it needs at the default context and whether this
// computer has that much; its download state, progress, speed, time left and
// any error in words, and the actions the buttons call. Progress repaints are
// batched so a fast transfer does not flood the view.
#include "downloads/model_catalog.h"

#include <QAbstractListModel>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <optional>

namespace nibble::app {

class DownloadManager;

class DownloadListModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount CONSTANT)
    Q_PROPERTY(QString modelsDir READ modelsDir CONSTANT)

public:
    enum Role {
        EntryIdRole = Qt::UserRole + 1,
        NameRole,
        PublisherRole,
        ParametersRole,
        PrecisionRole,
        BitsRole,
        LicenseRole,
        SizeTextRole,
        // "idle", "preparing", "downloading", "paused", "verifying", "finished", "failed"
        StateRole,
        InLibraryRole,
        ProgressRole,      // 0..1
        ProgressTextRole,  // "12.3 MB of 98.4 MB"
        SpeedTextRole,     // "4.1 MB/s", empty when unknown
        TimeLeftTextRole,  // "about 2 min left", empty when unknown
        MessageRole,
        ModelIdRole,
        PurposeRole,
        InstructRole,
        ArchitectureRole,
        RepoRole,
        MemoryTextRole,  // "Needs about 1.2 GB of memory with a 4096-token context"
        FitsRole,        // whether this computer has that much free
        FitTextRole,     // "fits in the 6.1 GB free" / "this computer has 3.0 GB free"
        // "about 25 tokens/s on this computer's processor"; empty until the
        // memory bandwidth is known
        SpeedEstimateTextRole,
    };

    // availableMemory: bytes free for a model; nullopt where the platform cannot say.
    DownloadListModel(DownloadManager& manager, std::optional<qint64> availableMemory, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    QString modelsDir() const;

    Q_INVOKABLE void download(const QString& entryId);
    Q_INVOKABLE void pause(const QString& entryId);
    Q_INVOKABLE void resume(const QString& entryId);
    Q_INVOKABLE void cancel(const QString& entryId);
    // Re-reads every row, e.g. after the library changed (a downloaded
    // variant removed shows the Download button again).
    void refresh();
    // The memory read rate the speed estimates divide by a file's size:
    // decoding reads every weight once per token, and the fast CPU path
    // decodes at about this bound (see the README's benchmarks).
    void setMemoryReadBandwidth(double bytesPerSecond);

private:
    struct Row {
        const CatalogModel* model;
        const CatalogModelFile* file;
        QString id;
    };
    int rowOf(const QString& entryId) const;
    qint64 sizeOf(const Row& row) const;  // the Hub's once known, else an estimate
    void refreshRow(const QString& entryId);
    void flushProgress();

    DownloadManager& manager_;
    std::optional<qint64> availableMemory_;
    double memoryReadBandwidth_ = 0;
    QList<Row> rows_;
    QHash<QString, bool> inLibrary_;  // by entry id; a query per repaint would be wasteful
    QSet<QString> progressed_;
    QTimer progressTimer_;
};

// "about 25 tokens/s on this computer's processor": decode speed estimated
// as bandwidth / file size; empty when either is unknown.
QString decodeSpeedEstimateText(qint64 fileBytes, double memoryBytesPerSecond);

// "4.1 MB/s"; empty when the speed is not known yet.
QString transferSpeedText(double bytesPerSecond);

// "about 2 min left"; empty when the speed is not known yet.
QString timeLeftText(qint64 remainingBytes, double bytesPerSecond);

}  // namespace nibble::app
