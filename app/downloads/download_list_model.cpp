#include "downloads/download_list_model.h"

#include "downloads/download_manager.h"

#include <QLocale>

#include <cmath>

namespace nibble::app {
namespace {

QString stateName(DownloadState state) {
    switch (state) {
    case DownloadState::Idle: return QStringLiteral("idle");
    case DownloadState::Preparing: return QStringLiteral("preparing");
    case DownloadState::Downloading: return QStringLiteral("downloading");
    case DownloadState::Paused: return QStringLiteral("paused");
    case DownloadState::Verifying: return QStringLiteral("verifying");
    case DownloadState::Finished: return QStringLiteral("finished");
    case DownloadState::Failed: return QStringLiteral("failed");
    }
    return {};
}

}  // namespace

QString timeLeftText(qint64 remainingBytes, double bytesPerSecond) {
    if (bytesPerSecond <= 0 || remainingBytes <= 0) return {};
    const double seconds = double(remainingBytes) / bytesPerSecond;
    if (seconds < 60) return DownloadListModel::tr("less than a minute left");
    if (seconds < 3600) return DownloadListModel::tr("about %n min left", nullptr, int(std::ceil(seconds / 60)));
    const int minutes = int(std::ceil(seconds / 60));
    return DownloadListModel::tr("about %1 h %2 min left").arg(minutes / 60).arg(minutes % 60);
}

DownloadListModel::DownloadListModel(DownloadManager& manager, QObject* parent)
    : QAbstractListModel(parent), manager_(manager) {
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

int DownloadListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(manager_.catalog().files().size());
}

QString DownloadListModel::modelsDir() const { return manager_.modelsDir(); }

QVariant DownloadListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const CatalogFile& file = manager_.catalog().files().at(index.row());
    const DownloadTask* task = manager_.task(file.id);
    // A file that reached the library another way (imported, dropped) since
    // a download of it failed: that failure no longer concerns anyone.
    const bool failureMoot = task->state() == DownloadState::Failed && inLibrary_.value(file.id);
    const QLocale locale;
    switch (role) {
    case EntryIdRole: return file.id;
    case NameRole: return file.modelName;
    case PublisherRole: return file.publisher;
    case ParametersRole: return file.parameters;
    case PrecisionRole: return file.precision;
    case BitsRole: return tr("%1-bit").arg(file.bits);
    case LicenseRole: return file.license;
    case SizeTextRole: return locale.formattedDataSize(file.sizeBytes, 1, QLocale::DataSizeSIFormat);
    case StateRole: return failureMoot ? stateName(DownloadState::Idle) : stateName(task->state());
    case InLibraryRole: return inLibrary_.value(file.id);
    case ProgressRole: return double(task->receivedBytes()) / double(file.sizeBytes);
    case ProgressTextRole:
        return tr("%1 of %2")
            .arg(locale.formattedDataSize(task->receivedBytes(), 1, QLocale::DataSizeSIFormat),
                 locale.formattedDataSize(file.sizeBytes, 1, QLocale::DataSizeSIFormat));
    case SpeedTextRole:
        return task->bytesPerSecond() > 0 ? tr("%1/s").arg(locale.formattedDataSize(qint64(task->bytesPerSecond()), 1,
                                                                                    QLocale::DataSizeSIFormat))
                                          : QString();
    case TimeLeftTextRole: return timeLeftText(file.sizeBytes - task->receivedBytes(), task->bytesPerSecond());
    case MessageRole: return failureMoot ? QString() : task->message();
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
        {MessageRole, "message"},
    };
}

int DownloadListModel::rowOf(const QString& entryId) const {
    const auto& files = manager_.catalog().files();
    for (int row = 0; row < files.size(); ++row)
        if (files.at(row).id == entryId) return row;
    return -1;
}

void DownloadListModel::refreshRow(const QString& entryId) {
    const int row = rowOf(entryId);
    if (row < 0) return;
    progressed_.remove(entryId);
    emit dataChanged(index(row), index(row));
}

void DownloadListModel::refresh() {
    for (const CatalogFile& file : manager_.catalog().files()) inLibrary_[file.id] = manager_.isInLibrary(file.id);
    if (rowCount() > 0) emit dataChanged(index(0), index(rowCount() - 1));
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
