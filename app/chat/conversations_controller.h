#pragma once
// What the sidebar does to whole conversations: the list (with search),
// rename, delete with one undo, export to a file and import back. Showing a
// conversation and answering in it are ChatController's; this class tells it
// through signals when one it may be showing was renamed, deleted or imported.
#include "chat/conversation_list_model.h"

#include <QObject>
#include <QUrl>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class ConversationsController : public QObject {
    Q_OBJECT
    Q_PROPERTY(nibble::app::ConversationListModel* list READ list CONSTANT)
    // The conversation the last delete removed while it can still be undone.
    Q_PROPERTY(QString deletedTitle READ deletedTitle NOTIFY deletedChanged)

public:
    explicit ConversationsController(const storage::Database& db, QObject* parent = nullptr);

    ConversationListModel* list() { return &list_; }
    ConversationListModel& listModel() { return list_; }
    QString deletedTitle() const { return deletedTitle_; }

    Q_INVOKABLE void renameConversation(qint64 id, const QString& title);
    // Only the latest delete can be undone; the one before it becomes final.
    Q_INVOKABLE void deleteConversation(qint64 id);
    Q_INVOKABLE void undoDelete();
    // Writes conversation id to file, format "json" (every branch, imports
    // back) or "markdown" (the current branch). False, with the reason sent
    // as failed(), when it could not be written.
    Q_INVOKABLE bool exportConversation(qint64 id, const QUrl& file, const QString& format);
    // Where the export dialog proposes to save: the title, made safe for a
    // file system, in the Documents folder.
    Q_INVOKABLE QUrl suggestedExportFile(qint64 id, const QString& format) const;
    // Adds the conversation in a JSON export and announces it with imported();
    // returns its id, or 0 with the reason sent as failed().
    Q_INVOKABLE qint64 importConversation(const QUrl& file);

signals:
    void renamed(qint64 id, const QString& title);
    void deleted(qint64 id);
    void imported(qint64 id);
    void exported(const QString& fileName);
    // Something asked for could not be done; the reason in words.
    void failed(const QString& message);
    void deletedChanged();

private:
    template <typename F>
    bool guarded(F&& action);

    const storage::Database& db_;
    ConversationListModel list_;
    qint64 deletedId_ = 0;
    QString deletedTitle_;
};

}  // namespace nibble::app
