#include "downloads/download_list_model.h"

#include "downloads/download_manager.h"
#include "downloads/hub_search_model.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace nibble::app {

QString transferSpeedText(double bytesPerSecond) {
    if (bytesPerSecond <= 0) return {};
    return DownloadListModel::tr("%1/s").arg(
        QLocale().formattedDataSize(qint64(bytesPerSecond), 1, QLocale::DataSizeSIFormat));
}

QString timeLeftText(qint64 remainingBytes, double bytesPerSecond) {
    if (bytesPerSecond <= 0 || remainingBytes <= 0) return {};
    const double seconds = double(remainingBytes) / bytesPerSecond;
    if (seconds < 60) return DownloadListModel::tr("less than a minute left");
    if (seconds < 3600) return DownloadListModel::tr("about %n min left", nullptr, int(std::ceil(seconds / 60)));
    const int minutes = int(std::ceil(seconds / 60));
    return DownloadListModel::tr("about %1 h %2 min left").arg(minutes / 60).arg(minutes % 60);
}

QString decodeSpeedEstimateText(qint64 fileBytes, double memoryBytesPerSecond) {
    if (fileBytes <= 0 || memoryBytesPerSecond <= 0) return {};
    const double tokensPerSecond = memoryBytesPerSecond / double(fileBytes);
    const QString rate = tokensPerSecond >= 10 ? QString::number(std::lround(tokensPerSecond))
                                               : QLocale().toString(tokensPerSecond, 'f', 1);
    return DownloadListModel::tr("about %1 tokens/s on this computer's processor").arg(rate);
}

DownloadListModel::DownloadListModel(DownloadManager& manager, std::optional<qint64> availableMemory, QObject* parent)
    : QAbstractListModel(parent), manager_(manager), availableMemory_(availableMemory) {
    for (const CatalogModel& model : manager_.catalog().models())
        for (const CatalogModelFile& file : model.files)
            rows_.append({&model, &file, DownloadManager::catalogDownloadId(model, file)});
    refresh();
    progressTimer_.setInterval(200);
    progressTimer_.setSingleShot(true);
    connect(&progressTimer_, &QTimer::timeout, this, &DownloadListModel::flushProgress);
    connect(&manager_, &DownloadManager::stateChanged, this, &DownloadListModel::refreshRow);
    connect(&manager_, &DownloadManager::modelAdded, this, &DownloadListModel::refresh);
    connect(&manager_, &DownloadManager::progressChanged, this, [this](const QString& id) {
        progressed_.insert(id);
        if (!progressTimer_.isActive()) progressTimer_.start();
    });
}

int DownloadListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }

QString DownloadListModel::modelsDir() const { return manager_.modelsDir(); }

qint64 DownloadListModel::sizeOf(const Row& row) const {
    const std::optional<DownloadProgress> progress = manager_.progress(row.id);
    return progress ? progress->totalBytes : row.model->estimatedFileBytes(*row.file);
}

QVariant DownloadListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const Row& row = rows_.at(index.row());
    const CatalogModel& model = *row.model;
    const CatalogModelFile& file = *row.file;
    const std::optional<DownloadProgress> task = manager_.progress(row.id);
    const qint64 size = sizeOf(row);
    const qint64 received = task ? task->receivedBytes : manager_.leftoverBytes(file.fileName);
    DownloadState state = task ? task->state : received > 0 ? DownloadState::Paused : DownloadState::Idle;
    QString message = task ? task->message : QString();
    if (manager_.isLookingUp(row.id)) state = DownloadState::Preparing;
    if (const QString failure = manager_.hubFailure(row.id); !failure.isEmpty()) {
        state = DownloadState::Failed;
        message = failure;
    }
    // A file that reached the library another way (imported, dropped) since
    // a download of it failed: that failure no longer concerns anyone.
    const bool failureMoot = state == DownloadState::Failed && inLibrary_.value(row.id);
    const qint64 memory = size + model.kvCacheBytes(kDefaultContextTokens);
    const QLocale locale;
    const auto bytes = [&](qint64 n) { return locale.formattedDataSize(n, 1, QLocale::DataSizeSIFormat); };
    switch (role) {
    case EntryIdRole: return row.id;
    case ModelIdRole: return model.id;
    case NameRole: return model.name;
    case PublisherRole: return model.publisher;
    case ParametersRole: return parametersText(model.parameters);
    case PrecisionRole: return file.precision;
    case BitsRole: return tr("%1-bit").arg(file.bits);
    case LicenseRole: return model.license;
    case PurposeRole: return model.purpose;
    case InstructRole: return model.instruct;
    case ArchitectureRole: return model.architecture;
    case RepoRole: return model.repo;
    // Until the Hub has said, the size is worked out from the parameters.
    case SizeTextRole: return task ? bytes(size) : tr("about %1").arg(bytes(size));
    case MemoryTextRole:
        return tr("Needs about %1 of memory with a %2-token context")
            .arg(bytes(memory))
            .arg(std::min(kDefaultContextTokens, model.contextLength));
    case FitsRole: return !availableMemory_ || memory <= *availableMemory_;
    case FitTextRole:
        if (!availableMemory_) return QString();
        return memory <= *availableMemory_ ? tr("fits in the %1 this computer has free").arg(bytes(*availableMemory_))
                                           : tr("too big for now: this computer has %1 free").arg(bytes(*availableMemory_));
    case SpeedEstimateTextRole: return decodeSpeedEstimateText(size, memoryReadBandwidth_);
    case StateRole: return failureMoot ? stateName(DownloadState::Idle) : stateName(state);
    case InLibraryRole: return inLibrary_.value(row.id);
    case ProgressRole: return size > 0 ? double(received) / double(size) : 0.0;
    case ProgressTextRole: return task ? tr("%1 of %2").arg(bytes(received), bytes(size)) : bytes(received);
    case SpeedTextRole:
        return task ? transferSpeedText(task->bytesPerSecond) : QString();
    case TimeLeftTextRole: return task ? timeLeftText(size - received, task->bytesPerSecond) : QString();
    case MessageRole: return failureMoot ? QString() : message;
    default: return {};
    }
}

QHash<int, QByteArray> DownloadListModel::roleNames() const {
    return {
        {EntryIdRole, "entryId"},     {NameRole, "name"},
        {PublisherRole, "publisher"}, {ParametersRole, "parameters"},
        {PrecisionRole, "precision"}, {BitsRole, "bits"},
        {LicenseRole, "license"},     {SizeTextRole, "sizeText"},
        {StateRole, "downloadState"}, {InLibraryRole, "inLibrary"},
        {ProgressRole, "progress"},   {ProgressTextRole, "progressText"},
        {SpeedTextRole, "speedText"}, {TimeLeftTextRole, "timeLeftText"},
        {MessageRole, "message"},     {ModelIdRole, "modelId"},
        {PurposeRole, "purpose"},     {InstructRole, "instruct"},
        {ArchitectureRole, "architecture"}, {RepoRole, "repo"},
        {MemoryTextRole, "memoryText"}, {FitsRole, "fits"}, {SpeedEstimateTextRole, "speedEstimateText"},
        {FitTextRole, "fitText"},
    };
}

int DownloadListModel::rowOf(const QString& entryId) const {
    for (int row = 0; row < rows_.size(); ++row)
        if (rows_.at(row).id == entryId) return row;
    return -1;
}

void DownloadListModel::refreshRow(const QString& entryId) {
    const int row = rowOf(entryId);
    if (row < 0) return;
    progressed_.remove(entryId);
    emit dataChanged(index(row), index(row));
}

void DownloadListModel::refresh() {
    for (const Row& row : rows_) inLibrary_[row.id] = manager_.isInLibrary(row.id);
    if (rowCount() > 0) emit dataChanged(index(0), index(rowCount() - 1));
}

void DownloadListModel::setMemoryReadBandwidth(double bytesPerSecond) {
    if (bytesPerSecond == memoryReadBandwidth_) return;
    memoryReadBandwidth_ = bytesPerSecond;
    if (rowCount() > 0) emit dataChanged(index(0), index(rowCount() - 1), {SpeedEstimateTextRole});
}

void DownloadListModel::flushProgress() {
    const QSet<QString> rows = std::exchange(progressed_, {});
    for (const QString& id : rows) {
        const int row = rowOf(id);
        if (row >= 0)
            emit dataChanged(index(row), index(row), {ProgressRole, ProgressTextRole, SpeedTextRole, TimeLeftTextRole});
    }
}

void DownloadListModel::download(const QString& entryId) { manager_.start(entryId); }
void DownloadListModel::pause(const QString& entryId) { manager_.pause(entryId); }
void DownloadListModel::resume(const QString& entryId) { manager_.start(entryId); }
void DownloadListModel::cancel(const QString& entryId) { manager_.cancel(entryId); }

}  // namespace nibble::app
