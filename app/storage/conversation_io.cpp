#include "storage/conversation_io.h"

#include "storage/conversation_store.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/model_store.h"
#include "storage/statement.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "storage/variant_store.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <optional>
#include <vector>

namespace nibble::storage {

namespace {

QString isoTime(const QDateTime& time) { return time.toUTC().toString(Qt::ISODateWithMs); }

[[noreturn]] void invalid(const QString& problem) {
    throw StorageError(StorageErrorKind::InvalidData,
                       QStringLiteral("This file cannot be imported as a conversation: %1.").arg(problem));
}

// Reads the fields of one JSON object, naming the object in every complaint.
class Fields {
public:
    Fields(const QJsonObject& object, QString owner) : object_(object), owner_(std::move(owner)) {}

    QString string(const QString& key, bool required) const {
        const QJsonValue value = object_.value(key);
        if (value.isUndefined()) {
            if (!required) return {};
            invalid(QStringLiteral("%1 has no \"%2\"").arg(owner_, key));
        }
        if (!value.isString()) invalid(QStringLiteral("%1 has a \"%2\" that is not text").arg(owner_, key));
        return value.toString();
    }

    std::optional<qint64> integer(const QString& key) const {
        const QJsonValue value = object_.value(key);
        if (value.isUndefined() || value.isNull()) return std::nullopt;
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number < 0 || number > 9.0e15 || std::floor(number) != number)
            invalid(QStringLiteral("%1 has a \"%2\" that is not a whole number").arg(owner_, key));
        return qint64(number);
    }

    std::optional<double> number(const QString& key) const {
        const QJsonValue value = object_.value(key);
        if (value.isUndefined() || value.isNull()) return std::nullopt;
        if (!value.isDouble() || value.toDouble() < 0 || !std::isfinite(value.toDouble()))
            invalid(QStringLiteral("%1 has a \"%2\" that is not a number").arg(owner_, key));
        return value.toDouble();
    }

    QDateTime time(const QString& key, const QDateTime& fallback) const {
        if (!object_.contains(key)) return fallback;
        const QDateTime time = QDateTime::fromString(string(key, true), Qt::ISODateWithMs);
        if (!time.isValid()) invalid(QStringLiteral("%1 has a \"%2\" that is not a date and time").arg(owner_, key));
        return time.toUTC();
    }

    QJsonObject object(const QString& key) const {
        const QJsonValue value = object_.value(key);
        if (value.isUndefined()) return {};
        if (!value.isObject()) invalid(QStringLiteral("%1 has a \"%2\" that is not an object").arg(owner_, key));
        return value.toObject();
    }

private:
    const QJsonObject& object_;
    QString owner_;
};

struct ImportedMessage {
    qint64 fileId = 0;
    std::optional<qint64> fileParentId;
    MessageRole role = MessageRole::User;
    QString content;
    MessageStatus status = MessageStatus::Complete;
    std::optional<qint64> tokenCount;
    std::optional<double> tokensPerSecond;
    QDateTime createdAt;
};

struct ImportedConversation {
    QString title;
    QString systemPrompt;
    QJsonObject sampling;
    QDateTime createdAt;
    QDateTime updatedAt;
    std::vector<ImportedMessage> messages;
};

ImportedConversation parse(const QByteArray& json) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        invalid(QStringLiteral("it is not valid JSON (%1 at byte %2)").arg(error.errorString()).arg(error.offset));
    if (!document.isObject()) invalid(QStringLiteral("it is not a Nibble conversation export"));
    const QJsonObject root = document.object();
    const Fields top(root, QStringLiteral("the conversation"));
    if (root.value(QStringLiteral("format")).toString() != QLatin1String(ConversationIo::kFormat))
        invalid(QStringLiteral("it is not a Nibble conversation export"));
    const std::optional<qint64> version = top.integer(QStringLiteral("version"));
    if (!version || *version < 1) invalid(QStringLiteral("it has no format version"));
    if (*version > ConversationIo::kFormatVersion)
        invalid(QStringLiteral("it was exported by a newer version of Nibble (format %1; this version reads up to %2)")
                    .arg(*version)
                    .arg(ConversationIo::kFormatVersion));

    const QDateTime now = QDateTime::currentDateTimeUtc();
    ImportedConversation conversation;
    conversation.title = top.string(QStringLiteral("title"), false);
    conversation.systemPrompt = top.string(QStringLiteral("systemPrompt"), false);
    conversation.sampling = top.object(QStringLiteral("sampling"));
    conversation.createdAt = top.time(QStringLiteral("createdAt"), now);
    conversation.updatedAt = top.time(QStringLiteral("updatedAt"), conversation.createdAt);

    const QJsonValue messages = root.value(QStringLiteral("messages"));
    if (!messages.isArray()) invalid(QStringLiteral("it has no list of messages"));
    QHash<qint64, bool> seen;
    for (const QJsonValue& value : messages.toArray()) {
        const QString owner = QStringLiteral("message %1").arg(conversation.messages.size() + 1);
        if (!value.isObject()) invalid(QStringLiteral("%1 is not an object").arg(owner));
        const QJsonObject object = value.toObject();
        const Fields fields(object, owner);
        ImportedMessage message;
        const std::optional<qint64> id = fields.integer(QStringLiteral("id"));
        if (!id) invalid(QStringLiteral("%1 has no id").arg(owner));
        if (seen.contains(*id)) invalid(QStringLiteral("%1 repeats the id %2").arg(owner).arg(*id));
        message.fileId = *id;
        message.fileParentId = fields.integer(QStringLiteral("parent"));
        // Parents come first, which also rules out cycles.
        if (message.fileParentId && !seen.contains(*message.fileParentId))
            invalid(QStringLiteral("%1 answers message %2, which does not come before it")
                        .arg(owner)
                        .arg(*message.fileParentId));
        const std::optional<MessageRole> role = messageRoleFromText(fields.string(QStringLiteral("role"), true));
        if (!role) invalid(QStringLiteral("%1 has an unknown role").arg(owner));
        message.role = *role;
        message.content = fields.string(QStringLiteral("content"), true);
        if (object.contains(QStringLiteral("status"))) {
            const std::optional<MessageStatus> status =
                messageStatusFromText(fields.string(QStringLiteral("status"), true));
            if (!status) invalid(QStringLiteral("%1 has an unknown status").arg(owner));
            // Nothing is streaming into an imported message.
            message.status = *status == MessageStatus::Streaming ? MessageStatus::Interrupted : *status;
        }
        message.tokenCount = fields.integer(QStringLiteral("tokenCount"));
        message.tokensPerSecond = fields.number(QStringLiteral("tokensPerSecond"));
        message.createdAt = fields.time(QStringLiteral("createdAt"), conversation.createdAt);
        seen.insert(*id, true);
        conversation.messages.push_back(std::move(message));
    }
    return conversation;
}

QString roleHeading(MessageRole role) {
    switch (role) {
    case MessageRole::System: return QStringLiteral("System");
    case MessageRole::User: return QStringLiteral("User");
    case MessageRole::Assistant: return QStringLiteral("Assistant");
    }
    return {};
}

}  // namespace

QByteArray ConversationIo::exportJson(qint64 conversationId) const {
    const Conversation conversation = ConversationStore(db_).get(conversationId);
    QJsonObject root{
        {QStringLiteral("format"), QLatin1String(kFormat)},
        {QStringLiteral("version"), kFormatVersion},
        {QStringLiteral("title"), conversation.title},
        {QStringLiteral("systemPrompt"), conversation.systemPrompt},
        {QStringLiteral("sampling"), conversation.sampling},
        {QStringLiteral("createdAt"), isoTime(conversation.createdAt)},
        {QStringLiteral("updatedAt"), isoTime(conversation.updatedAt)},
    };
    // Which model it was is worth keeping for a reader; an import does not
    // depend on it, since the other machine has its own catalogue.
    if (conversation.variantId) {
        if (const std::optional<Variant> variant = VariantStore(db_).find(*conversation.variantId)) {
            const std::optional<Model> model = ModelStore(db_).find(variant->modelId);
            root.insert(QStringLiteral("model"),
                        QJsonObject{{QStringLiteral("name"), model ? model->name : QString()},
                                    {QStringLiteral("precision"), variant->precision}});
        }
    }
    QJsonArray messages;
    for (const Message& message : MessageStore(db_).all(conversationId)) {
        QJsonObject entry{
            {QStringLiteral("id"), message.id},
            {QStringLiteral("parent"), message.parentId ? QJsonValue(*message.parentId) : QJsonValue()},
            {QStringLiteral("role"), toText(message.role)},
            {QStringLiteral("content"), message.content},
            {QStringLiteral("status"), toText(message.status)},
            {QStringLiteral("createdAt"), isoTime(message.createdAt)},
        };
        if (message.tokenCount) entry.insert(QStringLiteral("tokenCount"), *message.tokenCount);
        if (message.tokensPerSecond) entry.insert(QStringLiteral("tokensPerSecond"), *message.tokensPerSecond);
        messages.append(entry);
    }
    root.insert(QStringLiteral("messages"), messages);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QString ConversationIo::exportMarkdown(qint64 conversationId) const {
    const Conversation conversation = ConversationStore(db_).get(conversationId);
    QString text = QStringLiteral("# %1\n").arg(conversation.title.isEmpty() ? QStringLiteral("Conversation")
                                                                              : conversation.title);
    if (!conversation.systemPrompt.isEmpty()) {
        text += QStringLiteral("\n**System prompt**\n\n");
        for (const QString& line : conversation.systemPrompt.split(QLatin1Char('\n')))
            text += line.isEmpty() ? QStringLiteral(">\n") : QStringLiteral("> ") + line + QLatin1Char('\n');
    }
    for (const Message& message : MessageStore(db_).thread(conversationId)) {
        text += QStringLiteral("\n**%1**\n\n%2\n").arg(roleHeading(message.role), message.content);
        if (message.status == MessageStatus::Interrupted) text += QStringLiteral("\n*(This reply was interrupted.)*\n");
        if (message.status == MessageStatus::Error) text += QStringLiteral("\n*(This reply failed part-way.)*\n");
    }
    return text;
}

qint64 ConversationIo::importJson(const QByteArray& json) {
    const ImportedConversation conversation = parse(json);
    Transaction transaction(db_);
    db_.prepare("INSERT INTO conversations (title, system_prompt, sampling, created_at, updated_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5)")
        .bindAll(conversation.title, conversation.systemPrompt,
                 QString::fromUtf8(QJsonDocument(conversation.sampling).toJson(QJsonDocument::Compact)),
                 conversation.createdAt, conversation.updatedAt)
        .run();
    const qint64 conversationId = db_.lastInsertId();
    Statement insert = db_.prepare(
        "INSERT INTO messages (conversation_id, parent_id, role, content, token_count, tokens_per_second, status, "
        "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)");
    QHash<qint64, qint64> idInDatabase;
    for (const ImportedMessage& message : conversation.messages) {
        const std::optional<qint64> parentId =
            message.fileParentId ? std::optional(idInDatabase.value(*message.fileParentId)) : std::nullopt;
        insert.reset();
        insert
            .bindAll(conversationId, parentId, toText(message.role), message.content, message.tokenCount,
                     message.tokensPerSecond, toText(message.status), message.createdAt)
            .run();
        idInDatabase.insert(message.fileId, db_.lastInsertId());
    }
    transaction.commit();
    return conversationId;
}

}  // namespace nibble::storage
