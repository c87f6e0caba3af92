#include "storage/conversation_store.h"

#include "storage/database.h"
#include "storage/statement.h"
#include "storage/storage_error.h"

#include <QHash>
#include <QJsonDocument>
#include <QRegularExpression>

#include <string>

namespace nibble::storage {

namespace {

constexpr const char* kColumns =
    "c.id, c.title, c.variant_id, c.system_prompt, c.sampling, c.created_at, c.updated_at, c.deleted_at";
constexpr qsizetype kTitleLength = 60;

Conversation readConversation(const Statement& row) {
    Conversation c;
    c.id = row.int64(0);
    c.title = row.text(1);
    c.variantId = row.optionalInt64(2);
    c.systemPrompt = row.text(3);
    c.sampling = QJsonDocument::fromJson(row.text(4).toUtf8()).object();
    c.createdAt = row.dateTime(5);
    c.updatedAt = row.dateTime(6);
    c.deletedAt = row.optionalDateTime(7);
    return c;
}

QList<Conversation> readAll(Statement& query) {
    QList<Conversation> conversations;
    while (query.step()) conversations.append(readConversation(query));
    return conversations;
}

[[noreturn]] void notFound() {
    throw StorageError(StorageErrorKind::NotFound, QStringLiteral("The conversation no longer exists."));
}

// Every word becomes a quoted prefix term, so nothing the user types is
// read as FTS5 query syntax.
QString matchExpression(const QString& text) {
    static const QRegularExpression whitespace(QStringLiteral("\\s+"));
    static const QRegularExpression wordCharacter(QStringLiteral("[\\p{L}\\p{N}]"));
    QStringList terms;
    for (QString word : text.split(whitespace, Qt::SkipEmptyParts)) {
        word.remove(QLatin1Char('"'));
        if (word.contains(wordCharacter)) terms.append(QLatin1Char('"') + word + QStringLiteral("\"*"));
    }
    return terms.join(QLatin1Char(' '));
}

QString samplingText(const QJsonObject& sampling) {
    return QString::fromUtf8(QJsonDocument(sampling).toJson(QJsonDocument::Compact));
}

}  // namespace

Conversation ConversationStore::create(std::optional<qint64> variantId, const QString& title) {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    db_.prepare("INSERT INTO conversations (title, variant_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)")
        .bindAll(title, variantId, now)
        .run();
    return get(db_.lastInsertId());
}

std::optional<Conversation> ConversationStore::find(qint64 id) const {
    Statement query = db_.prepare(std::string("SELECT ") + kColumns + " FROM conversations c WHERE c.id = ?1");
    if (!query.bindAll(id).step()) return std::nullopt;
    return readConversation(query);
}

Conversation ConversationStore::get(qint64 id) const {
    if (auto conversation = find(id)) return *conversation;
    notFound();
}

QList<Conversation> ConversationStore::list() const {
    Statement query = db_.prepare(std::string("SELECT ") + kColumns +
                                  " FROM conversations c WHERE c.deleted_at IS NULL"
                                  " ORDER BY c.updated_at DESC, c.id DESC");
    return readAll(query);
}

QList<Conversation> ConversationStore::listDeleted() const {
    Statement query = db_.prepare(std::string("SELECT ") + kColumns +
                                  " FROM conversations c WHERE c.deleted_at IS NOT NULL"
                                  " ORDER BY c.deleted_at DESC, c.id DESC");
    return readAll(query);
}

template <typename T>
void ConversationStore::setColumn(qint64 id, const char* column, const T& value) {
    db_.prepare(std::string("UPDATE conversations SET ") + column + " = ?2 WHERE id = ?1").bindAll(id, value).run();
    if (db_.changes() == 0) notFound();
}

void ConversationStore::rename(qint64 id, const QString& title) { setColumn(id, "title", title.trimmed()); }

void ConversationStore::setVariant(qint64 id, std::optional<qint64> variantId) {
    setColumn(id, "variant_id", variantId);
}

void ConversationStore::setSystemPrompt(qint64 id, const QString& systemPrompt) {
    setColumn(id, "system_prompt", systemPrompt);
}

void ConversationStore::setSampling(qint64 id, const QJsonObject& sampling) {
    setColumn(id, "sampling", samplingText(sampling));
}

void ConversationStore::setSettings(qint64 id, const QString& systemPrompt, const QJsonObject& sampling) {
    db_.prepare("UPDATE conversations SET system_prompt = ?2, sampling = ?3 WHERE id = ?1")
        .bindAll(id, systemPrompt, samplingText(sampling))
        .run();
    if (db_.changes() == 0) notFound();
}

QString ConversationStore::titleFromText(const QString& text) {
    QString line;
    for (const QString& candidate : text.split(QLatin1Char('\n'))) {
        line = candidate.simplified();
        if (!line.isEmpty()) break;
    }
    if (line.size() <= kTitleLength) return line;
    qsizetype cut = line.lastIndexOf(QLatin1Char(' '), kTitleLength);
    if (cut < kTitleLength / 2) cut = kTitleLength;
    return line.left(cut).trimmed() + QChar(0x2026);
}

std::optional<QString> ConversationStore::autoTitle(qint64 id) {
    if (!get(id).title.isEmpty()) return std::nullopt;
    Statement first = db_.prepare("SELECT content FROM messages WHERE conversation_id = ?1 AND role = 'user' "
                                  "ORDER BY id LIMIT 1");
    if (!first.bindAll(id).step()) return std::nullopt;
    const QString title = titleFromText(first.text(0));
    if (title.isEmpty()) return std::nullopt;
    rename(id, title);
    return title;
}

void ConversationStore::softDelete(qint64 id) {
    db_.prepare("UPDATE conversations SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL")
        .bindAll(id, QDateTime::currentDateTimeUtc())
        .run();
    if (db_.changes() == 0) get(id);
}

void ConversationStore::undoDelete(qint64 id) { setColumn(id, "deleted_at", std::nullopt); }

void ConversationStore::purge(qint64 id) {
    db_.prepare("DELETE FROM conversations WHERE id = ?1").bindAll(id).run();
}

int ConversationStore::purgeDeletedBefore(const QDateTime& cutoff) {
    db_.prepare("DELETE FROM conversations WHERE deleted_at < ?1").bindAll(cutoff).run();
    return db_.changes();
}

QList<ConversationMatch> ConversationStore::search(const QString& text) const {
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        QList<ConversationMatch> all;
        for (Conversation& c : list()) all.append({std::move(c), {}});
        return all;
    }
    // A query of punctuation alone matches no message, but may match a title.
    const QString match = matchExpression(trimmed);
    // FTS5 computes snippets only in a plain query of its own table, so the
    // best snippet per conversation is picked here, in rank order.
    QHash<qint64, QString> snippets;
    if (!match.isEmpty()) {
        Statement hits = db_.prepare(
            "SELECT m.conversation_id, snippet(message_search, 0, '', '', '…', 12) "
            "FROM message_search JOIN messages m ON m.id = message_search.rowid "
            "WHERE message_search MATCH ?1 ORDER BY message_search.rank");
        hits.bindAll(match);
        while (hits.step())
            if (!snippets.contains(hits.int64(0))) snippets.insert(hits.int64(0), hits.text(1));
    }
    Statement query = db_.prepare(std::string("SELECT ") + kColumns +
                                  " FROM conversations c WHERE c.deleted_at IS NULL"
                                  " ORDER BY c.updated_at DESC, c.id DESC");
    const QString pattern = trimmed.toCaseFolded();
    QList<ConversationMatch> matches;
    while (query.step()) {
        Conversation conversation = readConversation(query);
        const auto snippet = snippets.constFind(conversation.id);
        if (snippet != snippets.constEnd())
            matches.append({std::move(conversation), *snippet});
        else if (conversation.title.toCaseFolded().contains(pattern))
            matches.append({std::move(conversation), {}});
    }
    return matches;
}

}  // namespace nibble::storage
