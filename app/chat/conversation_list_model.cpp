#include "chat/conversation_list_model.h"

#include <QLocale>

namespace nibble::app {
namespace {

// Groups for the sidebar's section headers.
QString recencySection(const QDateTime& when) {
    const QDate day = when.toLocalTime().date();
    const QDate today = QDate::currentDate();
    if (day == today) return ConversationListModel::tr("Today");
    if (day == today.addDays(-1)) return ConversationListModel::tr("Yesterday");
    if (day > today.addDays(-7)) return ConversationListModel::tr("Previous 7 days");
    if (day > today.addDays(-30)) return ConversationListModel::tr("Previous 30 days");
    return QLocale().toString(day, "MMMM yyyy");
}

}  // namespace

ConversationListModel::ConversationListModel(const storage::Database& db, QObject* parent)
    : QAbstractListModel(parent), db_(db) {
    reload();
}

void ConversationListModel::setSearchText(const QString& text) {
    if (text == searchText_) return;
    searchText_ = text;
    emit searchTextChanged();
    reload();
}

void ConversationListModel::reload() {
    QList<storage::ConversationMatch> rows;
    const storage::ConversationStore store(db_);
    if (searchText_.trimmed().isEmpty()) {
        for (storage::Conversation& conversation : store.list()) rows.append({std::move(conversation), {}});
    } else {
        rows = store.search(searchText_.trimmed());
    }
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
    emit countChanged();
}

int ConversationListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const storage::ConversationMatch& row = rows_.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole: return row.conversation.title.isEmpty() ? tr("New chat") : row.conversation.title;
    case ConversationIdRole: return row.conversation.id;
    case SnippetRole: return row.snippet;
    case UpdatedRole: return row.conversation.updatedAt;
    case SectionRole: return searchText_.trimmed().isEmpty() ? recencySection(row.conversation.updatedAt) : tr("Results");
    default: return {};
    }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const {
    return {{ConversationIdRole, "conversationId"},
            {TitleRole, "title"},
            {SnippetRole, "snippet"},
            {UpdatedRole, "updated"},
            {SectionRole, "section"}};
}

int ConversationListModel::indexOf(qint64 conversationId) const {
    for (int i = 0; i < rows_.size(); ++i)
        if (rows_[i].conversation.id == conversationId) return i;
    return -1;
}

}  // namespace nibble::app
