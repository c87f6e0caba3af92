#pragma once
// Downloads of catalog models: one DownloadTask per catalog file (a part file
// left by an earlier run shows as paused, ready to resume), and each verified
// file added to the library as a 'downloaded' variant with its size and
// sha256. Files from the Hugging Face Hub are downloaded the same way, checked
// against the size and sha256 the Hub publishes, fetched when the download
// starts. All network work is asynchronous on the owning thread's event loop.
#include "downloads/download_task.h"
#include "downloads/hub_client.h"
#include "downloads/model_catalog.h"

#include <QNetworkAccessManager>
#include <QObject>

#include <map>
#include <memory>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class DownloadManager : public QObject {
    Q_OBJECT

public:
    DownloadManager(const storage::Database& db, ModelCatalog catalog, QString modelsDir, DownloadOptions options = {},
                    QObject* parent = nullptr);

    const ModelCatalog& catalog() const { return catalog_; }
    const QString& modelsDir() const { return modelsDir_; }
    // nullptr for an id the catalog does not have.
    const DownloadTask* task(const QString& id) const;
    // Whether the catalog file is in the library (downloaded now or earlier).
    bool isInLibrary(const QString& id) const;

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

signals:
    void stateChanged(const QString& id);
    void progressChanged(const QString& id);
    // The Hub download could not start: message says why, in words.
    void hubDownloadFailed(const QString& id, const QString& message);
    // The file of catalog entry id is verified and in the library.
    void modelAdded(const QString& id, qint64 variantId);

private:
    DownloadTask* find(const QString& id) const;
    DownloadTask& addTask(const CatalogFile& file);
    void startHubFile(const QString& id, const HubModel& model, const HubFile& file);
    void registerDownload(DownloadTask& task);

    const storage::Database& db_;
    ModelCatalog catalog_;
    QString modelsDir_;
    DownloadOptions options_;
    QNetworkAccessManager network_;
    HubClient hub_{network_};
    // After network_: tasks abort their replies before it goes.
    std::map<QString, std::unique_ptr<DownloadTask>> tasks_;
};

}  // namespace nibble::app
