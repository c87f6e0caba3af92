#include "chat/saved_chat_text.h"

#include "storage/conversation_store.h"
#include "storage/message_store.h"

namespace nibble::app {
namespace {

// Calibration runs the source model over the text: about 4,000 tokens keep it
// within seconds for a small model.
constexpr qint64 kMaxCalibrationCharacters = 16000;
// A turn of at most this many characters leaves room in a comparison's
// context for the reference's reply, whatever the tokenizer.
constexpr qsizetype kMaxTurnCharacters = 800;

}  // namespace

CalibrationText calibrationTextFromChats(const storage::Database& db) {
    const storage::MessageStore messages(db);
    QString text;
    CalibrationText result;
    for (const storage::Conversation& conversation : storage::ConversationStore(db).list()) {
        bool used = false;
        for (const storage::Message& message : messages.thread(conversation.id)) {
            const QString content = message.content.trimmed();
            if (content.isEmpty()) continue;
            result.characters += content.size();
            if (text.size() >= kMaxCalibrationCharacters) continue;
            text += content.left(kMaxCalibrationCharacters - text.size()) + QStringLiteral("\n\n");
            used = true;
        }
        if (used) ++result.conversations;
    }
    if (result.characters >= kEnoughCalibrationCharacters) result.text = text.toStdString();
    return result;
}

QStringList savedUserTurns(const storage::Database& db, int maxTurns) {
    const storage::MessageStore messages(db);
    QStringList turns;
    for (const storage::Conversation& conversation : storage::ConversationStore(db).list()) {
        for (const storage::Message& message : messages.thread(conversation.id)) {
            if (turns.size() >= maxTurns) return turns;
            const QString content = message.content.trimmed();
            if (message.role == storage::MessageRole::User && !content.isEmpty())
                turns.append(content.left(kMaxTurnCharacters));
        }
    }
    return turns;
}

}  // namespace nibble::app
