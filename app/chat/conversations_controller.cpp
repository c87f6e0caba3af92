#include "chat/conversations_controller.h"

#include "chat/guarded_action.h"
#include "shell/local_file.h"
#include "storage/conversation_io.h"
#include "storage/conversation_store.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

namespace nibble::app {
namespace {

// Far beyond any real conversation; keeps a wrongly chosen huge file out of memory.
constexpr qint64 kMaxImportBytes = 64'000'000;

}  // namespace

ConversationsController::ConversationsController(const storage::Database& db, QObject* parent)
    : QObject(parent), db_(db), list_(db) {}

template <typename F>
bool ConversationsController::guarded(F&& action) {
    return runGuarded(std::forward<F>(action), [this](const QString& message) { emit failed(message); });
}

void ConversationsController::renameConversation(qint64 id, const QString& title) {
    const QString trimmed = title.trimmed();
    if (trimmed.isEmpty()) return;
    guarded([&] {
        storage::ConversationStore(db_).rename(id, trimmed);
        list_.reload();
        emit renamed(id, trimmed);
    });
}

void ConversationsController::deleteConversation(qint64 id) {
    guarded([&] {
        storage::ConversationStore store(db_);
        const storage::Conversation conversation = store.get(id);
        if (deletedId_) store.purge(deletedId_);
        store.softDelete(id);
        deletedId_ = id;
        deletedTitle_ = conversation.title.isEmpty() ? tr("New chat") : conversation.title;
        emit deletedChanged();
        emit deleted(id);
        list_.reload();
    });
}

void ConversationsController::undoDelete() {
    if (!deletedId_) return;
    const qint64 id = deletedId_;
    deletedId_ = 0;
    deletedTitle_.clear();
    emit deletedChanged();
    guarded([&] {
        storage::ConversationStore(db_).undoDelete(id);
        list_.reload();
    });
}

QUrl ConversationsController::suggestedExportFile(qint64 id, const QString& format) const {
    // Characters that Windows, macOS or Linux refuse in a file name.
    static const QRegularExpression unsafe(QStringLiteral("[\\\\/:*?\"<>|\\x00-\\x1f]"));
    QString name;
    if (const auto conversation = storage::ConversationStore(db_).find(id))
        name = QString(conversation->title).replace(unsafe, QStringLiteral(" ")).simplified().left(80).trimmed();
    if (name.isEmpty() || name.startsWith(QLatin1Char('.'))) name = tr("Conversation");
    name += format == QLatin1String("json") ? QStringLiteral(".json") : QStringLiteral(".md");
    return QUrl::fromLocalFile(QDir(QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation)).filePath(name));
}

bool ConversationsController::exportConversation(qint64 id, const QUrl& file, const QString& format) {
    QString path;
    const bool saved = guarded([&] {
        path = localFilePath(file);
        const storage::ConversationIo io(db_);
        writeLocalFile(path, format == QLatin1String("json") ? io.exportJson(id) : io.exportMarkdown(id).toUtf8());
    });
    if (saved) emit exported(QFileInfo(path).fileName());
    return saved;
}

qint64 ConversationsController::importConversation(const QUrl& file) {
    qint64 id = 0;
    if (!guarded([&] { id = storage::ConversationIo(db_).importJson(readLocalFile(localFilePath(file), kMaxImportBytes)); }))
        return 0;
    list_.reload();
    emit imported(id);
    return id;
}

}  // namespace nibble::app
