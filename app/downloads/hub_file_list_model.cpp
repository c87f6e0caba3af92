#include "downloads/hub_file_list_model.h"

#include "downloads/download_manager.h"
#include "library/model_registration.h"

#include <nibble/architectures.h>

#include <QLocale>
#include <QPointer>

namespace nibble::app {

HubFileListModel::HubFileListModel(DownloadManager& manager, QObject* parent)
    : QAbstractListModel(parent), manager_(manager) {
    connect(&manager_, &DownloadManager::stateChanged, this, [this](const QString& id) {
        const int row = rowOf(id);
        if (row >= 0) emit dataChanged(index(row), index(row));
    });
    // Progress repaints only what moves: no library lookups at the transfer's pace.
    connect(&manager_, &DownloadManager::progressChanged, this, [this](const QString& id) {
        const int row = rowOf(id);
        if (row >= 0) emit dataChanged(index(row), index(row), {ProgressRole, ProgressTextRole});
    });
    connect(&manager_, &DownloadManager::modelAdded, this, [this](const QString& id) {
        const int row = rowOf(id);
        if (row < 0) return;
        inLibrary_.insert(id, manager_.isInLibrary(id));
        emit dataChanged(index(row), index(row));
    });
}

void HubFileListModel::refresh() {
    refreshInLibrary();
    if (rowCount() > 0) emit dataChanged(index(0), index(rowCount() - 1));
}

void HubFileListModel::refreshInLibrary() {
    inLibrary_.clear();
    for (const HubFile& file : files_.files) {
        const QString id = DownloadManager::hubDownloadId(repo_, file.fileName);
        inLibrary_.insert(id, manager_.isInLibrary(id));
    }
}

int HubFileListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(files_.files.size());
}

bool HubFileListModel::supported() const {
    const QString& architecture = files_.model.architecture;
    return architecture.isEmpty() || isSupportedArchitecture(architecture.toStdString());
}

QVariant HubFileListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const HubFile& file = files_.files.at(index.row());
    const QString id = DownloadManager::hubDownloadId(repo_, file.fileName);
    const std::optional<DownloadProgress> task = manager_.progress(id);
    DownloadState state = task ? task->state : DownloadState::Idle;
    QString message = task ? task->message : QString();
    if (manager_.isLookingUp(id)) state = DownloadState::Preparing;
    if (const QString failure = manager_.hubFailure(id); !failure.isEmpty()) {
        state = DownloadState::Failed;
        message = failure;
    }
    const QLocale locale;
    const auto bytes = [&](qint64 n) { return locale.formattedDataSize(n, 1, QLocale::DataSizeSIFormat); };
    switch (role) {
    case EntryIdRole: return id;
    case FileNameRole: return file.fileName;
    case QuantizationRole: return file.quantization;
    case BitsRole: return precisionBits(file.quantization);
    case SizeTextRole: return bytes(file.sizeBytes);
    case PartsRole: return int(file.parts.size());
    case StateRole: return stateName(state);
    case InLibraryRole: return state != DownloadState::Failed && inLibrary_.value(id);
    case ProgressRole: return task && file.sizeBytes > 0 ? double(task->receivedBytes) / double(file.sizeBytes) : 0.0;
    case ProgressTextRole:
        return task ? tr("%1 of %2").arg(bytes(task->receivedBytes), bytes(file.sizeBytes)) : QString();
    case MessageRole: return message;
    default: return {};
    }
}

QHash<int, QByteArray> HubFileListModel::roleNames() const {
    return {{EntryIdRole, "entryId"},     {FileNameRole, "fileName"},   {QuantizationRole, "quantization"},
            {BitsRole, "bits"},           {SizeTextRole, "sizeText"},   {PartsRole, "parts"},
            {StateRole, "downloadState"}, {InLibraryRole, "inLibrary"}, {ProgressRole, "progress"},
            {ProgressTextRole, "progressText"}, {MessageRole, "message"}};
}

int HubFileListModel::rowOf(const QString& entryId) const {
    for (int row = 0; row < files_.files.size(); ++row)
        if (DownloadManager::hubDownloadId(repo_, files_.files.at(row).fileName) == entryId) return row;
    return -1;
}

void HubFileListModel::open(const QString& repo) {
    const int generation = ++generation_;
    beginResetModel();
    repo_ = repo;
    files_ = {};
    endResetModel();
    busy_ = true;
    error_.clear();
    emit changed();
    manager_.hub().listFiles(repo, [this, alive = QPointer(this), generation](HubResult<HubModelFiles> answer) {
        if (!alive || generation != generation_) return;
        beginResetModel();
        if (answer.value) files_ = *answer.value;
        refreshInLibrary();
        endResetModel();
        busy_ = false;
        error_ = answer.error;
        if (error_.isEmpty() && files_.files.isEmpty()) error_ = tr("%1 has no GGUF files.").arg(repo_);
        emit changed();
    });
}

void HubFileListModel::close() {
    ++generation_;
    beginResetModel();
    repo_.clear();
    files_ = {};
    endResetModel();
    busy_ = false;
    error_.clear();
    emit changed();
}

void HubFileListModel::download(const QString& fileName) { manager_.downloadFromHub(repo_, fileName); }

void HubFileListModel::pause(const QString& fileName) {
    manager_.pause(DownloadManager::hubDownloadId(repo_, fileName));
}

void HubFileListModel::cancel(const QString& fileName) {
    manager_.cancel(DownloadManager::hubDownloadId(repo_, fileName));
}

}  // namespace nibble::app
