#pragma once
// Downloads of catalog models: one DownloadTask per catalog file (a part file
// left by an earlier run shows as paused, ready to resume), and each verified
// file added to the library as a 'downloaded' variant with its size and
// sha256. All network work is asynchronous on the owning thread's event loop.
#include "downloads/download_task.h"
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

signals:
    void stateChanged(const QString& id);
    void progressChanged(const QString& id);
    // The file of catalog entry id is verified and in the library.
    void modelAdded(const QString& id, qint64 variantId);

private:
    DownloadTask* find(const QString& id) const;
    void registerDownload(DownloadTask& task);

    const storage::Database& db_;
    ModelCatalog catalog_;
    QString modelsDir_;
    QNetworkAccessManager network_;
    // After network_: tasks abort their replies before it goes.
    std::map<QString, std::unique_ptr<DownloadTask>> tasks_;
};

}  // namespace nibble::app
