#pragma once
// Conversations: their settings, titles, the list the app shows (most
// recently active first), search, and delete with undo. updated_at moves with
// message activity only, so renaming or changing settings does not reorder
// the list.
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace nibble::storage {

class Database;

struct Conversation {
    qint64 id = 0;
    QString title;
    std::optional<qint64> variantId;
    QString systemPrompt;
    QJsonObject sampling;  // temperature, top_p, ... as the chat layer names them
    QDateTime createdAt;
    QDateTime updatedAt;
    std::optional<QDateTime> deletedAt;  // set while the delete can still be undone
};

struct ConversationMatch {
    Conversation conversation;
    QString snippet;  // text around the best matching message; empty for a title match
};

class ConversationStore {
public:
    explicit ConversationStore(const Database& db) : db_(db) {}

    Conversation create(std::optional<qint64> variantId = std::nullopt, const QString& title = {});
    std::optional<Conversation> find(qint64 id) const;
    Conversation get(qint64 id) const;  // throws NotFound
    // Conversations not deleted, most recently active first.
    QList<Conversation> list() const;
    // Deleted conversations that can still be restored, most recently deleted first.
    QList<Conversation> listDeleted() const;

    void rename(qint64 id, const QString& title);
    void setVariant(qint64 id, std::optional<qint64> variantId);
    void setSystemPrompt(qint64 id, const QString& systemPrompt);
    void setSampling(qint64 id, const QJsonObject& sampling);
    // Both at once, so a conversation never has one without the other.
    void setSettings(qint64 id, const QString& systemPrompt, const QJsonObject& sampling);

    // A short title from a message: its first line, cut at a word near 60 characters.
    static QString titleFromText(const QString& text);
    // Titles an untitled conversation after its first user message; returns
    // the new title, or nothing when it had one already or has no user message.
    std::optional<QString> autoTitle(qint64 id);

    // Hides the conversation until undoDelete() or purge.
    void softDelete(qint64 id);
    void undoDelete(qint64 id);
    // Deletes the conversation and its messages for good.
    void purge(qint64 id);
    // Purges conversations deleted before cutoff; returns how many.
    int purgeDeletedBefore(const QDateTime& cutoff);

    // Conversations whose title contains text, or with a message containing
    // every word of it (as a word prefix, ignoring case and accents), most
    // recently active first.
    QList<ConversationMatch> search(const QString& text) const;

private:
    template <typename T>
    void setColumn(qint64 id, const char* column, const T& value);

    const Database& db_;
};

}  // namespace nibble::storage
