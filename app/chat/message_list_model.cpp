#include "chat/message_list_model.h"

#include "chat/markdown_segments.h"

namespace nibble::app {

MessageListModel::MessageListModel(std::function<QString(qint64)> labelOf, QObject* parent)
    : QAbstractListModel(parent), labelOf_(std::move(labelOf)) {}

int MessageListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(entries_.size()); }

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const Entry& entry = entries_.at(index.row());
    const storage::Message& m = entry.message;
    switch (role) {
    case Qt::DisplayRole:
    case ContentRole: return m.content;
    case MessageIdRole: return m.id;
    case RoleNameRole: return storage::toText(m.role);
    case SegmentsRole: return markdownSegments(m.content);
    case StatusRole: return storage::toText(m.status);
    case TokenCountRole: return m.tokenCount ? QVariant(*m.tokenCount) : QVariant();
    case TokensPerSecondRole: return m.tokensPerSecond ? QVariant(*m.tokensPerSecond) : QVariant();
    case VariantLabelRole: return m.variantId ? labelOf_(*m.variantId) : QString();
    case BranchIndexRole: return entry.branchIndex;
    case BranchCountRole: return entry.branchCount;
    case ErrorRole: return entry.error;
    default: return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
    return {{MessageIdRole, "messageId"},     {RoleNameRole, "role"},
            {ContentRole, "content"},         {SegmentsRole, "segments"},
            {StatusRole, "status"},           {TokenCountRole, "tokenCount"},
            {TokensPerSecondRole, "tokensPerSecond"}, {VariantLabelRole, "variantLabel"},
            {BranchIndexRole, "branchIndex"}, {BranchCountRole, "branchCount"},
            {ErrorRole, "error"}};
}

void MessageListModel::setEntries(QList<Entry> entries) {
    beginResetModel();
    entries_ = std::move(entries);
    endResetModel();
    emit countChanged();
}

void MessageListModel::append(Entry entry) {
    beginInsertRows({}, int(entries_.size()), int(entries_.size()));
    entries_.append(std::move(entry));
    endInsertRows();
    emit countChanged();
}

void MessageListModel::update(int row, const storage::Message& message, const QString& error) {
    if (row < 0 || row >= entries_.size()) return;
    entries_[row].message = message;
    entries_[row].error = error;
    emit dataChanged(index(row), index(row));
}

void MessageListModel::appendText(int row, const QString& piece) {
    if (row < 0 || row >= entries_.size()) return;
    entries_[row].message.content += piece;
    emit dataChanged(index(row), index(row), {ContentRole, SegmentsRole});
}

void MessageListModel::removeFrom(int row) {
    if (row < 0 || row >= entries_.size()) return;
    beginRemoveRows({}, row, int(entries_.size()) - 1);
    entries_.erase(entries_.begin() + row, entries_.end());
    endRemoveRows();
    emit countChanged();
}

int MessageListModel::rowOf(qint64 messageId) const {
    for (int i = 0; i < entries_.size(); ++i)
        if (entries_[i].message.id == messageId) return i;
    return -1;
}

QString MessageListModel::contentAt(int row) const {
    return row >= 0 && row < entries_.size() ? entries_[row].message.content : QString();
}

}  // namespace nibble::app
