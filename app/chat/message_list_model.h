#pragma once
// The messages of the open conversation along its current branch. A reply
// that is streaming grows in place (dataChanged on its row only), so the view
// keeps its scroll position and delegates.
#include "storage/message_store.h"

#include <QAbstractListModel>

#include <functional>

namespace nibble::app {

class MessageListModel : public QAbstractListModel {
    Q_OBJECT
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role {
        MessageIdRole = Qt::UserRole + 1,
        RoleNameRole,
        ContentRole,
        SegmentsRole,
        StatusRole,
        TokenCountRole,
        TokensPerSecondRole,
        VariantLabelRole,
        BranchIndexRole,
        BranchCountRole,
        ErrorRole,
    };

    // labelOf names the variant that wrote a reply.
    explicit MessageListModel(std::function<QString(qint64)> labelOf, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    struct Entry {
        storage::Message message;
        int branchIndex = 0;  // which version of the message this is, from 0
        int branchCount = 1;
        QString error;        // why generation failed, for replies with status Error
    };
    void setEntries(QList<Entry> entries);
    void append(Entry entry);
    void update(int row, const storage::Message& message, const QString& error = {});
    void appendText(int row, const QString& piece);
    void removeFrom(int row);

    const storage::Message& message(int row) const { return entries_.at(row).message; }
    Q_INVOKABLE int rowOf(qint64 messageId) const;
    Q_INVOKABLE QString contentAt(int row) const;

signals:
    void countChanged();

private:
    std::function<QString(qint64)> labelOf_;
    QList<Entry> entries_;
};

}  // namespace nibble::app
