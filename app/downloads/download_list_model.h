#pragma once
// The "Download models" rows of the model library: every catalog file with
// its download state, progress, speed, time left and any error in words,
// and the actions the buttons call. Progress repaints are batched so a fast
// transfer does not flood the view.
#include <QAbstractListModel>
#include <QHash>
#include <QSet>
#include <QTimer>

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
    };

    explicit DownloadListModel(DownloadManager& manager, QObject* parent = nullptr);

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

private:
    int rowOf(const QString& entryId) const;
    void refreshRow(const QString& entryId);
    void flushProgress();

    DownloadManager& manager_;
    QHash<QString, bool> inLibrary_;  // by entry id; a query per repaint would be wasteful
    QSet<QString> progressed_;
    QTimer progressTimer_;
};

// "about 2 min left"; empty when the speed is not known yet.
QString timeLeftText(qint64 remainingBytes, double bytesPerSecond);

}  // namespace nibble::app
