#include "downloads/download_manager.h"

#include "library/model_registration.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/variant_store.h"

#include <nibble/architectures.h>
#include <nibble/error.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <utility>

namespace nibble::app {

DownloadManager::DownloadManager(const storage::Database& db, ModelCatalog catalog, QString modelsDir,
                                 DownloadOptions options, QObject* parent)
    : QObject(parent),
      db_(db),
      catalog_(std::move(catalog)),
      modelsDir_(std::move(modelsDir)),
      options_(std::move(options)) {
    // Certificates are always checked: no sslErrors handler ignores them.
    network_.setStrictTransportSecurityEnabled(true);
    connect(this, &DownloadManager::hubDownloadFailed, this, [this](const QString& id, const QString& message) {
        hubFailures_.insert(id, message);
        emit stateChanged(id);
    });
}

void DownloadManager::addFile(const CatalogFile& file) { addTask(file); }

QString DownloadManager::catalogDownloadId(const CatalogModel& model, const CatalogModelFile& file) {
    return hubDownloadId(model.repo, file.fileName);
}

qint64 DownloadManager::leftoverBytes(const QString& fileName) const {
    const QFileInfo part(QDir(modelsDir_).filePath(fileName + QStringLiteral(".part")));
    return part.isFile() ? part.size() : 0;
}

DownloadTask& DownloadManager::addTask(const CatalogFile& file, const QString& entryId) {
    auto task = std::make_unique<DownloadTask>(network_, file, modelsDir_, options_);
    DownloadTask* raw = task.get();
    const QString id = entryId.isEmpty() ? file.id : entryId;
    connect(raw, &DownloadTask::stateChanged, this, [this, id] { emit stateChanged(id); });
    connect(raw, &DownloadTask::progressChanged, this, [this, id] { emit progressChanged(id); });
    if (entryId.isEmpty()) {
        connect(raw, &DownloadTask::completed, this,
                [this, raw] { registerDownload(*raw, raw->file().id, raw->finalPath(), raw->file().sha256); });
    } else {
        raw->setRecordsVerification(true);
        connect(raw, &DownloadTask::completed, this, [this, entryId] { partCompleted(entryId); });
    }
    tasks_.insert_or_assign(file.id, std::move(task));
    return *raw;
}

QString DownloadManager::hubDownloadId(const QString& repo, const QString& fileName) {
    return QStringLiteral("hf:%1/%2").arg(repo, fileName);
}

QString DownloadManager::downloadFromHub(const QString& repo, const QString& fileName) {
    const QString id = hubDownloadId(repo, fileName);
    if (const DownloadTask* task = find(id); task && (task->state() == DownloadState::Preparing ||
                                                      task->state() == DownloadState::Downloading ||
                                                      task->state() == DownloadState::Verifying))
        return id;
    hubFailures_.remove(id);
    lookingUp_.insert(id);
    emit stateChanged(id);
    hub_.listFiles(repo, [this, id, fileName](HubResult<HubModelFiles> answer) {
        lookingUp_.remove(id);
        if (!answer.value) {
            emit hubDownloadFailed(id, answer.error);
            return;
        }
        for (const HubFile& file : answer.value->files)
            if (file.parts.contains(fileName)) return startHubFile(id, answer.value->model, file);
        emit hubDownloadFailed(id,
                               tr("Hugging Face no longer lists %1 in %2.").arg(fileName, answer.value->model.repo));
    });
    return id;
}

void DownloadManager::startHubFile(const QString& id, const HubModel& model, const HubFile& file) {
    // Where the Hub read the architecture from the file, a model Nibble cannot run is not downloaded at all.
    if (!model.architecture.isEmpty() && !isSupportedArchitecture(model.architecture.toStdString())) {
        emit hubDownloadFailed(id, tr("%1 is a \"%2\" model, which Nibble cannot run (it runs %3).")
                                       .arg(model.repo, model.architecture,
                                            QString::fromStdString(supportedArchitecturesText())));
        return;
    }
    for (int part = 0; part < file.parts.size(); ++part)
        if (file.partSizes.value(part) <= 0 || !isSha256Hex(file.partSha256.value(part))) {
            emit hubDownloadFailed(id, tr("Hugging Face publishes no checksum for %1, so Nibble cannot check it and "
                                          "does not download it.")
                                           .arg(file.parts.at(part)));
            return;
        }
    CatalogFile entry;
    entry.id = id;
    entry.modelName = model.repo.section('/', -1);
    entry.publisher = model.author;
    entry.license = model.license;
    entry.homepage = hub_.baseUrl();
    entry.homepage.setPath(entry.homepage.path() + QLatin1Char('/') + model.repo);
    entry.precision = file.quantization;
    if (file.isSplit()) {
        QList<CatalogFile> parts;
        for (int part = 0; part < file.parts.size(); ++part) {
            CatalogFile piece = entry;
            piece.id = id + QStringLiteral("#%1").arg(part + 1);
            piece.fileName = file.parts.at(part).section('/', -1);
            piece.url = hub_.fileUrl(model.repo, file.parts.at(part));
            piece.sizeBytes = file.partSizes.at(part);
            piece.sha256 = file.partSha256.at(part);
            parts.append(piece);
        }
        return startSplit(id, std::move(parts));
    }
    entry.url = hub_.fileUrl(model.repo, file.fileName);
    entry.sizeBytes = file.sizeBytes;
    entry.sha256 = file.partSha256.first();
    entry.fileName = unclaimedFileName(file.fileName.section('/', -1), entry.sha256);

    DownloadTask* task = find(id);
    // The Hub now publishes a different file under that name: what was
    // downloaded of the old one is of no use.
    if (task && (task->file().sha256 != entry.sha256 || task->file().sizeBytes != entry.sizeBytes)) {
        task->cancel();
        task = nullptr;
    }
    if (!task) task = &addTask(entry);
    task->setOrigin({tr("the one Hugging Face publishes"), hub_.accessToken().toUtf8(), HubClient::gatedMessage()});
    emit stateChanged(id);
    task->start();
}

QString DownloadManager::unclaimedFileName(const QString& fileName, const QString& sha256) const {
    // Nibble names the variants it makes as publishers name theirs
    // ("SmolLM2-135M-Instruct.Q8_0.gguf" made from the Q4_1 file), so a
    // download can share its name with a library file that is not the same
    // file; that one must stay.
    const QFileInfo info(QDir(modelsDir_).filePath(fileName));
    try {
        const auto holder = storage::VariantStore(db_).findByPath(info.absoluteFilePath());
        if (!holder || holder->sha256 == sha256) return fileName;
    } catch (const storage::StorageError&) {
        return fileName;
    }
    // Joined to the precision ("...Q8_0_original.gguf"), so the name still
    // reads as that precision of the same model and the file joins it.
    return info.completeBaseName() + QStringLiteral("_original.") + info.suffix();
}

void DownloadManager::startSplit(const QString& id, QList<CatalogFile> parts) {
    SplitDownload& split = splits_[id];
    // Parts of an earlier try are kept only where the Hub still publishes the very same parts.
    bool same = split.partIds.size() == parts.size();
    for (int part = 0; same && part < parts.size(); ++part) {
        const DownloadTask* task = find(split.partIds.at(part));
        same = task && task->file().sha256 == parts.at(part).sha256 && task->file().sizeBytes == parts.at(part).sizeBytes;
    }
    if (!same) {
        for (const QString& partId : std::as_const(split.partIds))
            if (DownloadTask* task = find(partId)) {
                task->cancel();
                QFile::remove(task->finalPath());
                QFile::remove(task->recordPath());
                tasks_.erase(partId);
            }
        split.partIds.clear();
        // Parts an earlier run (before a restart or a crash) finished are kept.
        for (const CatalogFile& part : parts) {
            DownloadTask& task = addTask(part, id);
            task.adoptFinishedFile();
            split.partIds.append(task.file().id);
        }
    }
    split.current = 0;
    while (split.current + 1 < split.partIds.size() &&
           find(split.partIds.at(split.current))->state() == DownloadState::Finished)
        ++split.current;
    const DownloadOrigin origin{tr("the one Hugging Face publishes"), hub_.accessToken().toUtf8(),
                                HubClient::gatedMessage()};
    for (const QString& partId : std::as_const(split.partIds)) find(partId)->setOrigin(origin);
    emit stateChanged(id);
    DownloadTask& current = *find(split.partIds.at(split.current));
    // Every part was in already (before a restart, say): only the library entry is missing.
    if (current.state() == DownloadState::Finished)
        partCompleted(id);
    else
        current.start();
}

void DownloadManager::partCompleted(const QString& entryId) {
    SplitDownload& split = splits_.at(entryId);
    if (split.current + 1 < split.partIds.size()) {
        ++split.current;
        find(split.partIds.at(split.current))->start();
        return;
    }
    // Every part is verified: the engine opens the model from its first part.
    const DownloadTask& first = *find(split.partIds.first());
    if (!registerDownload(*find(split.partIds.last()), entryId, first.finalPath(), first.file().sha256)) return;
    // In the library, the parts need no record of their check any more.
    for (const QString& partId : std::as_const(split.partIds)) QFile::remove(find(partId)->recordPath());
}

std::optional<DownloadProgress> DownloadManager::progress(const QString& id) const {
    if (const auto split = splits_.find(id); split != splits_.end()) {
        const QStringList& ids = split->second.partIds;
        const int current = split->second.current;
        const DownloadTask& task = *find(ids.at(current));
        DownloadProgress result{task.state(), task.message(), 0, 0, task.bytesPerSecond()};
        for (int part = 0; part < ids.size(); ++part) {
            const qint64 size = find(ids.at(part))->file().sizeBytes;
            result.totalBytes += size;
            if (part < current) result.receivedBytes += size;
        }
        result.receivedBytes += task.receivedBytes();
        const QString which = tr("part %1 of %2").arg(current + 1).arg(ids.size());
        switch (result.state) {
        case DownloadState::Finished:
            // Between one part's end and the next one's start, the model is not finished.
            if (current + 1 < ids.size()) result.state = DownloadState::Downloading;
            break;
        case DownloadState::Failed:
            result.message = tr("Part %1 of %2: %3").arg(current + 1).arg(ids.size()).arg(task.message());
            break;
        case DownloadState::Idle:
            break;
        default:
            result.message = task.message().isEmpty() ? which : which + QStringLiteral(" · ") + task.message();
        }
        return result;
    }
    const DownloadTask* task = find(id);
    if (!task) return std::nullopt;
    return DownloadProgress{task->state(), task->message(), task->receivedBytes(), task->file().sizeBytes,
                            task->bytesPerSecond()};
}

const CatalogFile* DownloadManager::libraryFile(const QString& id) const {
    if (const auto split = splits_.find(id); split != splits_.end())
        return &find(split->second.partIds.first())->file();
    const DownloadTask* task = find(id);
    return task ? &task->file() : nullptr;
}

DownloadTask* DownloadManager::find(const QString& id) const {
    const auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : it->second.get();
}

const DownloadTask* DownloadManager::task(const QString& id) const { return find(id); }

bool DownloadManager::isInLibrary(const QString& id) const {
    CatalogFile file;
    if (const CatalogFile* known = libraryFile(id)) {
        file = *known;
    } else {
        // Not downloaded in this run: a catalog or Hub file is known by its name alone.
        if (!id.startsWith(QLatin1String("hf:"))) return false;
        file.fileName = id.section('/', -1);
    }
    try {
        for (const storage::Model& model : storage::ModelStore(db_).list())
            for (const storage::Variant& variant : storage::VariantStore(db_).forModel(model.id)) {
                if (!file.sha256.isEmpty() && variant.sha256 == file.sha256) return true;
                // Bundled and imported files carry no checksum: the same
                // name (and exact size, where known) is the same file.
                if ((file.sizeBytes == 0 || variant.sizeBytes == file.sizeBytes) &&
                    QFileInfo(variant.filePath).fileName() == file.fileName)
                    return true;
            }
    } catch (const storage::StorageError&) {
    }
    return false;
}

void DownloadManager::start(const QString& id) {
    if (id.startsWith(QLatin1String("hf:"))) {
        // "hf:<owner>/<name>/<file>": the Hub may publish a newer file since the last look.
        const QString path = id.mid(3);
        downloadFromHub(path.section('/', 0, 1), path.section('/', 2));
        return;
    }
    if (DownloadTask* task = find(id)) task->start();
}

void DownloadManager::pause(const QString& id) {
    if (const auto split = splits_.find(id); split != splits_.end())
        find(split->second.partIds.at(split->second.current))->pause();
    else if (DownloadTask* task = find(id))
        task->pause();
}

void DownloadManager::cancel(const QString& id) {
    if (const auto split = splits_.find(id); split != splits_.end()) {
        // Parts already in are of no use alone; none of them is in the library yet.
        for (const QString& partId : std::as_const(split->second.partIds)) {
            DownloadTask& task = *find(partId);
            const bool wasFinished = task.state() == DownloadState::Finished;
            task.cancel();
            if (wasFinished) QFile::remove(task.finalPath());
            QFile::remove(task.recordPath());
        }
        split->second.current = 0;
        emit stateChanged(id);
    } else if (DownloadTask* task = find(id)) {
        task->cancel();
    }
}

bool DownloadManager::registerDownload(DownloadTask& task, const QString& id, const QString& path,
                                       const QString& sha256) {
    try {
        const storage::Variant variant = registerModelFile(db_, path, storage::VariantOrigin::Downloaded, sha256);
        emit modelAdded(id, variant.id);
        return true;
    } catch (const Error& e) {
        task.markFailed(
            tr("%1 was downloaded but cannot be used: %2").arg(QFileInfo(path).fileName(), QString::fromUtf8(e.what())));
    } catch (const storage::StorageError& e) {
        task.markFailed(e.message());
    }
    return false;
}

}  // namespace nibble::app
