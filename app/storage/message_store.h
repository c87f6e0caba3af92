#pragma once
// Messages of a conversation, stored as a tree: each message answers its
// parent, and editing a message adds a sibling, so every earlier version
// stays reachable as a branch. Children are always newer than their parent,
// so the newest message of a conversation is the tip of its latest branch.
//
// An assistant reply is written while it streams: beginAssistant(), then
// appendStreaming() every few tokens with the whole text so far (one small
// write, no re-indexing), then finish(). A reply still streaming when Nibble
// died is marked interrupted, with its text, the next time the database opens.
#include "storage/statement.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace nibble::storage {

class Database;

enum class MessageRole { System, User, Assistant };
enum class MessageStatus { Complete, Streaming, Interrupted, Error };

QString toText(MessageRole role);
QString toText(MessageStatus status);
std::optional<MessageRole> messageRoleFromText(const QString& text);
std::optional<MessageStatus> messageStatusFromText(const QString& text);

struct Message {
    qint64 id = 0;
    qint64 conversationId = 0;
    std::optional<qint64> parentId;
    MessageRole role = MessageRole::User;
    QString content;
    std::optional<qint64> tokenCount;
    std::optional<double> tokensPerSecond;
    std::optional<qint64> variantId;  // the model variant that wrote an assistant message
    MessageStatus status = MessageStatus::Complete;
    QDateTime createdAt;
    QDateTime updatedAt;
};

class MessageStore {
public:
    explicit MessageStore(const Database& db);

    // Adds a finished message answering parentId (none: a first message).
    Message add(qint64 conversationId, std::optional<qint64> parentId, MessageRole role, const QString& content,
                std::optional<qint64> variantId = std::nullopt);

    // Starts an empty streaming assistant message answering replyTo, or when
    // that is absent, the conversation's newest message. Returns its id.
    qint64 beginAssistant(qint64 conversationId, std::optional<qint64> variantId,
                          std::optional<qint64> replyTo = std::nullopt);
    // Replaces the streaming text. False when the message is no longer
    // streaming (finished, or deleted meanwhile), so the caller can stop.
    [[nodiscard]] bool appendStreaming(qint64 id, const QString& fullTextSoFar);
    // End a stream, keeping the text the last append gave. Each returns false
    // when the message was not streaming any more.
    bool finish(qint64 id, qint64 tokenCount, double tokensPerSecond);
    // The user stopped it; what was generated until then keeps its figures.
    bool interrupt(qint64 id, std::optional<qint64> tokenCount = std::nullopt,
                   std::optional<double> tokensPerSecond = std::nullopt);
    bool fail(qint64 id);       // generation failed part-way

    // Adds a sibling of id with newContent (same parent, same role) and
    // returns its id; the original stays as the other branch.
    qint64 edit(qint64 id, const QString& newContent);
    // Deletes the message and every reply below it.
    void remove(qint64 id);

    std::optional<Message> find(qint64 id) const;
    Message get(qint64 id) const;  // throws NotFound
    QList<Message> all(qint64 conversationId) const;  // oldest first
    QList<Message> children(qint64 conversationId, std::optional<qint64> parentId) const;
    QList<Message> siblings(qint64 id) const;  // the versions of a message, itself included, oldest first
    QList<Message> path(qint64 leafId) const;  // from the first message down to leafId
    std::optional<qint64> latestLeaf(qint64 conversationId) const;
    QList<Message> thread(qint64 conversationId) const;  // path to the latest leaf

private:
    bool endStream(qint64 id, MessageStatus status, std::optional<qint64> tokenCount,
                   std::optional<double> tokensPerSecond);
    void touchConversation(qint64 conversationId, const QDateTime& when);
    QList<Message> select(const char* sqlAfterColumns, qint64 key) const;

    const Database& db_;
    Statement append_;  // prepared once: appendStreaming runs every few tokens
};

}  // namespace nibble::storage
