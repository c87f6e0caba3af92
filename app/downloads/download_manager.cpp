#include "downloads/download_manager.h"

#include "library/model_registration.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/variant_store.h"

#include <nibble/error.h>

#include <QFileInfo>

namespace nibble::app {

DownloadManager::DownloadManager(const storage::Database& db, ModelCatalog catalog, QString modelsDir,
                                 DownloadOptions options, QObject* parent)
    : QObject(parent), db_(db), catalog_(std::move(catalog)), modelsDir_(std::move(modelsDir)) {
    // Certificates are always checked: no sslErrors handler ignores them.
    network_.setStrictTransportSecurityEnabled(true);
    for (const CatalogFile& file : catalog_.files()) {
        auto task = std::make_unique<DownloadTask>(network_, file, modelsDir_, options);
        DownloadTask* raw = task.get();
        connect(raw, &DownloadTask::stateChanged, this, [this, id = file.id] { emit stateChanged(id); });
        connect(raw, &DownloadTask::progressChanged, this, [this, id = file.id] { emit progressChanged(id); });
        connect(raw, &DownloadTask::completed, this, [this, raw] { registerDownload(*raw); });
        tasks_.emplace(file.id, std::move(task));
    }
}

DownloadTask* DownloadManager::find(const QString& id) const {
    const auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : it->second.get();
}

const DownloadTask* DownloadManager::task(const QString& id) const { return find(id); }

bool DownloadManager::isInLibrary(const QString& id) const {
    const DownloadTask* task = find(id);
    if (!task) return false;
    const CatalogFile& file = task->file();
    try {
        for (const storage::Model& model : storage::ModelStore(db_).list())
            for (const storage::Variant& variant : storage::VariantStore(db_).forModel(model.id)) {
                if (variant.sha256 == file.sha256) return true;
                // Bundled and imported files carry no checksum: the same
                // name and exact size is the same file.
                if (variant.sizeBytes == file.sizeBytes && QFileInfo(variant.filePath).fileName() == file.fileName)
                    return true;
            }
    } catch (const storage::StorageError&) {
    }
    return false;
}

void DownloadManager::start(const QString& id) {
    if (DownloadTask* task = find(id)) task->start();
}

void DownloadManager::pause(const QString& id) {
    if (DownloadTask* task = find(id)) task->pause();
}

void DownloadManager::cancel(const QString& id) {
    if (DownloadTask* task = find(id)) task->cancel();
}

void DownloadManager::registerDownload(DownloadTask& task) {
    try {
        const storage::Variant variant =
            registerModelFile(db_, task.finalPath(), storage::VariantOrigin::Downloaded, task.file().sha256);
        emit modelAdded(task.file().id, variant.id);
    } catch (const Error& e) {
        task.markFailed(
            tr("%1 was downloaded but cannot be used: %2").arg(task.file().fileName, QString::fromUtf8(e.what())));
    } catch (const storage::StorageError& e) {
        task.markFailed(e.message());
    }
}

}  // namespace nibble::app
