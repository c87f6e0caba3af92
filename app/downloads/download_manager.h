#pragma once
// Downloads of model files, and each verified file added to the library as a
// 'downloaded' variant with its size and sha256. Files of the built-in catalog
// and any other file on the Hugging Face Hub are downloaded the same way:
// checked against the size and sha256 the Hub publishes, fetched when the
// download starts. A model split into parts is one download: its parts are
// fetched one after another, each checked against its own size and sha256,
// and the model enters the library from its first part once all are in;
// parts verified before a restart are not fetched again. A file whose size and sha256 are known in advance can be
// added with addFile(). All network work is asynchronous on the owning
// thread's event loop.
#include "downloads/download_task.h"
#include "downloads/hub_client.h"
#include "downloads/model_catalog.h"

#include <QHash>
#include <QNetworkAccessManager>
#include <QSet>
#include <QObject>

#include <map>
#include <memory>
#include <optional>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

// Where a download stands, as the download rows show it; for a split model
// all its parts together.
struct DownloadProgress {
    DownloadState state = DownloadState::Idle;
    QString message;
    qint64 receivedBytes = 0;
    qint64 totalBytes = 0;
    double bytesPerSecond = 0;
};

class DownloadManager : public QObject {
    Q_OBJECT

public:
    DownloadManager(const storage::Database& db, ModelCatalog catalog, QString modelsDir, DownloadOptions options = {},
                    QObject* parent = nullptr);

    const ModelCatalog& catalog() const { return catalog_; }
    const QString& modelsDir() const { return modelsDir_; }
    // A file whose size and sha256 are known in advance; its id is file.id.
    void addFile(const CatalogFile& file);
    // nullptr while no transfer of that id was started (or added), and for
    // a split model, whose parts are transfers of their own.
    const DownloadTask* task(const QString& id) const;
    // nullopt while no transfer of that id was started (or added).
    std::optional<DownloadProgress> progress(const QString& id) const;
    // Whether the file is in the library (downloaded now or earlier, or
    // imported under its name).
    bool isInLibrary(const QString& id) const;
    // The download id of a catalog model's file.
    static QString catalogDownloadId(const CatalogModel& model, const CatalogModelFile& file);
    // Whether the Hub is being asked for the file's size and checksum.
    bool isLookingUp(const QString& id) const { return lookingUp_.contains(id); }
    // Why the last try to start a Hub download failed; empty when it did not.
    QString hubFailure(const QString& id) const { return hubFailures_.value(id); }
    // Bytes of a part file an earlier run left for a Hub or catalog file.
    qint64 leftoverBytes(const QString& fileName) const;

    // A catalog or Hub download starts with a fresh look at the Hub; an
    // added file starts (or resumes) at once.
    void start(const QString& id);
    void pause(const QString& id);
    void cancel(const QString& id);

    // The Hub search and file lists go through; its base URL and access
    // token are the ones downloads from the Hub use.
    HubClient& hub() { return hub_; }
    // The id of a Hub file's download, for task(), pause() and cancel().
    static QString hubDownloadId(const QString& repo, const QString& fileName);
    // Looks up the file's size and sha256 on the Hub, then downloads it (or
    // resumes its part file, when the Hub still publishes the same file).
    // Returns hubDownloadId(); a failure before the transfer starts is
    // reported by hubDownloadFailed.
    QString downloadFromHub(const QString& repo, const QString& fileName);
    // Where the Hub is; only tests point it elsewhere (plain http then only to loopback).
    void setHubBaseUrl(const QUrl& url) { hub_.setBaseUrl(url); }

signals:
    void stateChanged(const QString& id);
    void progressChanged(const QString& id);
    // The Hub download could not start: message says why, in words.
    void hubDownloadFailed(const QString& id, const QString& message);
    // The file of download id is verified and in the library.
    void modelAdded(const QString& id, qint64 variantId);

private:
    DownloadTask* find(const QString& id) const;
    // fileName, or another name when a different library file already has it.
    QString unclaimedFileName(const QString& fileName, const QString& sha256) const;
    // entryId: the split model's download a part belongs to; empty for a whole file.
    DownloadTask& addTask(const CatalogFile& file, const QString& entryId = {});
    void startHubFile(const QString& id, const HubModel& model, const HubFile& file);
    void startSplit(const QString& id, QList<CatalogFile> parts);
    void partCompleted(const QString& entryId);
    // Registers the verified file at path; failures land on task. Returns
    // whether the file is in the library.
    bool registerDownload(DownloadTask& task, const QString& id, const QString& path, const QString& sha256);
    // The file a download's library entry is known by: a split model's first part.
    const CatalogFile* libraryFile(const QString& id) const;

    // A split model's parts, each a task of its own under "<id>#<part>".
    struct SplitDownload {
        QStringList partIds;
        int current = 0;  // the part being fetched, or the last one
    };

    const storage::Database& db_;
    ModelCatalog catalog_;
    QString modelsDir_;
    DownloadOptions options_;
    QNetworkAccessManager network_;
    HubClient hub_{network_};
    // After network_: tasks abort their replies before it goes.
    std::map<QString, std::unique_ptr<DownloadTask>> tasks_;
    std::map<QString, SplitDownload> splits_;
    QSet<QString> lookingUp_;
    QHash<QString, QString> hubFailures_;
};

}  // namespace nibble::app
