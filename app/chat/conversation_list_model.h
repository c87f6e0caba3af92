#pragma once
// The sidebar's conversations, most recently active first, or the ones
// matching the search text (title or message content) with a snippet.
#include "storage/conversation_store.h"

#include <QAbstractListModel>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class ConversationListModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(QString searchText READ searchText WRITE setSearchText NOTIFY searchTextChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role { ConversationIdRole = Qt::UserRole + 1, TitleRole, SnippetRole, UpdatedRole, SectionRole };

    explicit ConversationListModel(const storage::Database& db, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString searchText() const { return searchText_; }
    void setSearchText(const QString& text);
    void reload();
    Q_INVOKABLE int indexOf(qint64 conversationId) const;

signals:
    void searchTextChanged();
    void countChanged();

private:
    const storage::Database& db_;
    QString searchText_;
    QList<storage::ConversationMatch> rows_;
};

}  // namespace nibble::app
