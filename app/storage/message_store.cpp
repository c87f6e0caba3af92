#include "storage/message_store.h"

#include "storage/database.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

#include <string>

namespace nibble::storage {

namespace {

constexpr const char* kColumns =
    "SELECT m.id, m.conversation_id, m.parent_id, m.role, m.content, m.token_count, m.tokens_per_second, "
    "m.variant_id, m.status, m.created_at, m.updated_at ";

Message readMessage(const Statement& row) {
    Message m;
    m.id = row.int64(0);
    m.conversationId = row.int64(1);
    m.parentId = row.optionalInt64(2);
    // CHECK constraints admit only known roles and states.
    m.role = messageRoleFromText(row.text(3)).value_or(MessageRole::User);
    m.content = row.text(4);
    m.tokenCount = row.optionalInt64(5);
    m.tokensPerSecond = row.optionalReal(6);
    m.variantId = row.optionalInt64(7);
    m.status = messageStatusFromText(row.text(8)).value_or(MessageStatus::Complete);
    m.createdAt = row.dateTime(9);
    m.updatedAt = row.dateTime(10);
    return m;
}

[[noreturn]] void messageNotFound() {
    throw StorageError(StorageErrorKind::NotFound, QStringLiteral("The message no longer exists."));
}

}  // namespace

QString toText(MessageRole role) {
    switch (role) {
    case MessageRole::System: return QStringLiteral("system");
    case MessageRole::User: return QStringLiteral("user");
    case MessageRole::Assistant: return QStringLiteral("assistant");
    }
    return {};
}

QString toText(MessageStatus status) {
    switch (status) {
    case MessageStatus::Complete: return QStringLiteral("complete");
    case MessageStatus::Streaming: return QStringLiteral("streaming");
    case MessageStatus::Interrupted: return QStringLiteral("interrupted");
    case MessageStatus::Error: return QStringLiteral("error");
    }
    return {};
}

std::optional<MessageRole> messageRoleFromText(const QString& text) {
    for (auto role : {MessageRole::System, MessageRole::User, MessageRole::Assistant})
        if (toText(role) == text) return role;
    return std::nullopt;
}

std::optional<MessageStatus> messageStatusFromText(const QString& text) {
    for (auto status : {MessageStatus::Complete, MessageStatus::Streaming, MessageStatus::Interrupted,
                        MessageStatus::Error})
        if (toText(status) == text) return status;
    return std::nullopt;
}

MessageStore::MessageStore(const Database& db)
    : db_(db),
      append_(db, "UPDATE messages SET content = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'streaming'") {}

void MessageStore::touchConversation(qint64 conversationId, const QDateTime& when) {
    db_.prepare("UPDATE conversations SET updated_at = ?2 WHERE id = ?1").bindAll(conversationId, when).run();
    if (db_.changes() == 0)
        throw StorageError(StorageErrorKind::NotFound, QStringLiteral("The conversation no longer exists."));
}

Message MessageStore::add(qint64 conversationId, std::optional<qint64> parentId, MessageRole role,
                          const QString& content, std::optional<qint64> variantId) {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Transaction transaction(db_);
    touchConversation(conversationId, now);
    if (parentId && get(*parentId).conversationId != conversationId)
        throw StorageError(StorageErrorKind::InvalidData,
                           QStringLiteral("A message can only answer a message of the same conversation."));
    db_.prepare("INSERT INTO messages (conversation_id, parent_id, role, content, variant_id, status, created_at, "
                "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'complete', ?6, ?6)")
        .bindAll(conversationId, parentId, toText(role), content, variantId, now)
        .run();
    const qint64 id = db_.lastInsertId();
    transaction.commit();
    return get(id);
}

qint64 MessageStore::beginAssistant(qint64 conversationId, std::optional<qint64> variantId,
                                    std::optional<qint64> replyTo) {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Transaction transaction(db_);
    touchConversation(conversationId, now);
    const std::optional<qint64> parentId = replyTo ? replyTo : latestLeaf(conversationId);
    if (parentId && get(*parentId).conversationId != conversationId)
        throw StorageError(StorageErrorKind::InvalidData,
                           QStringLiteral("A reply can only answer a message of the same conversation."));
    db_.prepare("INSERT INTO messages (conversation_id, parent_id, role, content, variant_id, status, created_at, "
                "updated_at) VALUES (?1, ?2, 'assistant', '', ?3, 'streaming', ?4, ?4)")
        .bindAll(conversationId, parentId, variantId, now)
        .run();
    const qint64 id = db_.lastInsertId();
    transaction.commit();
    return id;
}

bool MessageStore::appendStreaming(qint64 id, const QString& fullTextSoFar) {
    append_.reset();
    append_.bindAll(id, fullTextSoFar, QDateTime::currentDateTimeUtc()).run();
    return db_.changes() == 1;
}

bool MessageStore::endStream(qint64 id, MessageStatus status, std::optional<qint64> tokenCount,
                             std::optional<double> tokensPerSecond) {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Transaction transaction(db_);
    db_.prepare("UPDATE messages SET status = ?2, token_count = ?3, tokens_per_second = ?4, updated_at = ?5 "
                "WHERE id = ?1 AND status = 'streaming'")
        .bindAll(id, toText(status), tokenCount, tokensPerSecond, now)
        .run();
    if (db_.changes() == 0) return false;
    touchConversation(get(id).conversationId, now);
    transaction.commit();
    return true;
}

bool MessageStore::finish(qint64 id, qint64 tokenCount, double tokensPerSecond) {
    return endStream(id, MessageStatus::Complete, tokenCount, tokensPerSecond);
}

bool MessageStore::interrupt(qint64 id, std::optional<qint64> tokenCount, std::optional<double> tokensPerSecond) {
    return endStream(id, MessageStatus::Interrupted, tokenCount, tokensPerSecond);
}

bool MessageStore::fail(qint64 id) { return endStream(id, MessageStatus::Error, std::nullopt, std::nullopt); }

qint64 MessageStore::edit(qint64 id, const QString& newContent) {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Transaction transaction(db_);
    const Message original = get(id);
    db_.prepare("INSERT INTO messages (conversation_id, parent_id, role, content, variant_id, status, created_at, "
                "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'complete', ?6, ?6)")
        .bindAll(original.conversationId, original.parentId, toText(original.role), newContent,
                 original.variantId, now)
        .run();
    const qint64 sibling = db_.lastInsertId();
    touchConversation(original.conversationId, now);
    transaction.commit();
    return sibling;
}

void MessageStore::remove(qint64 id) {
    Transaction transaction(db_);
    const Message message = get(id);
    // One statement, so the parent links are checked once the whole subtree
    // is gone rather than row by row.
    db_.prepare("WITH RECURSIVE subtree(id) AS ("
                "  SELECT ?1 UNION ALL SELECT m.id FROM messages m JOIN subtree s ON m.parent_id = s.id) "
                "DELETE FROM messages WHERE id IN subtree")
        .bindAll(id)
        .run();
    touchConversation(message.conversationId, QDateTime::currentDateTimeUtc());
    transaction.commit();
}

QList<Message> MessageStore::select(const char* sqlAfterColumns, qint64 key) const {
    Statement query = db_.prepare(std::string(kColumns) + sqlAfterColumns);
    query.bindAll(key);
    QList<Message> messages;
    while (query.step()) messages.append(readMessage(query));
    return messages;
}

std::optional<Message> MessageStore::find(qint64 id) const {
    const QList<Message> found = select("FROM messages m WHERE m.id = ?1", id);
    if (found.isEmpty()) return std::nullopt;
    return found.front();
}

Message MessageStore::get(qint64 id) const {
    if (auto message = find(id)) return *message;
    messageNotFound();
}

QList<Message> MessageStore::all(qint64 conversationId) const {
    return select("FROM messages m WHERE m.conversation_id = ?1 ORDER BY m.id", conversationId);
}

QList<Message> MessageStore::children(qint64 conversationId, std::optional<qint64> parentId) const {
    Statement query = db_.prepare(std::string(kColumns) +
                                  "FROM messages m WHERE m.conversation_id = ?1 AND m.parent_id IS ?2 ORDER BY m.id");
    query.bindAll(conversationId, parentId);
    QList<Message> messages;
    while (query.step()) messages.append(readMessage(query));
    return messages;
}

QList<Message> MessageStore::siblings(qint64 id) const {
    const Message message = get(id);
    return children(message.conversationId, message.parentId);
}

QList<Message> MessageStore::path(qint64 leafId) const {
    QList<Message> messages = select(
        "FROM (WITH RECURSIVE chain(id, parent_id, depth) AS ("
        "        SELECT id, parent_id, 0 FROM messages WHERE id = ?1"
        "        UNION ALL SELECT p.id, p.parent_id, c.depth + 1 FROM messages p JOIN chain c ON p.id = c.parent_id)"
        "      SELECT id, depth FROM chain) AS chain "
        "JOIN messages m ON m.id = chain.id ORDER BY chain.depth DESC",
        leafId);
    if (messages.isEmpty()) messageNotFound();
    return messages;
}

std::optional<qint64> MessageStore::latestLeaf(qint64 conversationId) const {
    Statement query = db_.prepare("SELECT MAX(id) FROM messages WHERE conversation_id = ?1");
    query.bindAll(conversationId).step();
    return query.optionalInt64(0);
}

QList<Message> MessageStore::thread(qint64 conversationId) const {
    const std::optional<qint64> leaf = latestLeaf(conversationId);
    return leaf ? path(*leaf) : QList<Message>{};
}

}  // namespace nibble::storage
