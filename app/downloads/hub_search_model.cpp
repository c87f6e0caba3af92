#include "downloads/hub_search_model.h"

#include <nibble/architectures.h>

#include <QLocale>
#include <QPointer>

namespace nibble::app {

QString parametersText(qint64 parameters) {
    if (parameters <= 0) return {};
    const QLocale c = QLocale::c();
    if (parameters >= 1'000'000'000) {
        const double billions = double(parameters) / 1e9;
        return c.toString(billions, 'f', billions < 10 ? 1 : 0) + QLatin1Char('B');
    }
    if (parameters >= 1'000'000) return c.toString(double(parameters) / 1e6, 'f', 0) + QLatin1Char('M');
    return c.toString(double(parameters) / 1e3, 'f', 0) + QLatin1Char('K');
}

HubSearchModel::HubSearchModel(HubClient& hub, QObject* parent) : QAbstractListModel(parent), hub_(hub) {}

int HubSearchModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(models_.size()); }

QVariant HubSearchModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const HubModel& model = models_.at(index.row());
    switch (role) {
        case Qt::DisplayRole:
        case RepoRole: return model.repo;
        case AuthorRole: return model.author;
        case DownloadsRole: return model.downloads;
        case LikesRole: return model.likes;
        case LicenseRole: return model.license;
        case InstructRole: return model.instruct;
        case ParametersTextRole: return parametersText(model.parameters);
        case GatedRole: return model.gated;
        case ArchitectureRole: return model.architecture;
        case UpdatedRole: return model.lastModified;
        case SupportedRole:
            return model.architecture.isEmpty() || isSupportedArchitecture(model.architecture.toStdString());
        default: return {};
    }
}

QHash<int, QByteArray> HubSearchModel::roleNames() const {
    return {{RepoRole, "repo"},
            {AuthorRole, "author"},
            {DownloadsRole, "downloads"},
            {LikesRole, "likes"},
            {LicenseRole, "license"},
            {InstructRole, "instruct"},
            {ParametersTextRole, "parametersText"},
            {GatedRole, "gated"},
            {ArchitectureRole, "architecture"},
            {UpdatedRole, "updated"},
            {SupportedRole, "supported"}};
}

QString HubSearchModel::sort() const {
    switch (sort_) {
        case HubSort::Likes: return QStringLiteral("likes");
        case HubSort::LastModified: return QStringLiteral("updated");
        case HubSort::Downloads: break;
    }
    return QStringLiteral("downloads");
}

void HubSearchModel::setSort(const QString& sort) {
    const HubSort next = sort == QLatin1String("likes")     ? HubSort::Likes
                         : sort == QLatin1String("updated") ? HubSort::LastModified
                                                            : HubSort::Downloads;
    if (next == sort_) return;
    sort_ = next;
    emit sortChanged();
    search(query_);
}

void HubSearchModel::search(const QString& query) {
    const int generation = ++generation_;
    query_ = query.trimmed();
    busy_ = true;
    error_.clear();
    emit busyChanged();
    hub_.searchModels(query_, sort_, kLimit, [this, alive = QPointer(this), generation](auto answer) {
        if (!alive || generation != generation_) return;
        beginResetModel();
        models_ = answer.value.value_or(QList<HubModel>());
        endResetModel();
        busy_ = false;
        error_ = answer.error;
        emit countChanged();
        emit busyChanged();
    });
}

}  // namespace nibble::app
