#pragma once
// A conversation as a file: JSON that keeps every branch and imports back
// into Nibble, and Markdown of the current branch for reading and sharing.
// Import checks the whole document before writing anything and then writes
// it in one transaction, so a bad file adds nothing.
#include <QByteArray>
#include <QString>

namespace nibble::storage {

class Database;

class ConversationIo {
public:
    static constexpr const char* kFormat = "nibble-conversation";
    static constexpr int kFormatVersion = 1;

    explicit ConversationIo(const Database& db) : db_(db) {}

    QByteArray exportJson(qint64 conversationId) const;
    QString exportMarkdown(qint64 conversationId) const;
    // Adds the conversation in json as a new one and returns its id; throws
    // InvalidData, naming the problem, for a file that is not a valid export.
    qint64 importJson(const QByteArray& json);

private:
    const Database& db_;
};

}  // namespace nibble::storage
