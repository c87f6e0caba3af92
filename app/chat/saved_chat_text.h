#pragma once
// The user's own saved chats as material for making and judging variants:
// their text calibrates importance-aware quantization, and their user turns
// are the prompts a quality comparison runs on.
#include <QStringList>

#include <string>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

struct CalibrationText {
    std::string text;  // empty: too little saved text, the engine's built-in text is used
    int conversations = 0;
    qint64 characters = 0;  // of saved chat text found, used or not
};

// Below this much saved text the built-in text calibrates better.
inline constexpr qint64 kEnoughCalibrationCharacters = 4000;

// The messages of the saved conversations (newest first), up to a length
// that calibrates in seconds.
CalibrationText calibrationTextFromChats(const storage::Database& db);

// The user turns of saved conversations, newest first, at most maxTurns of
// them, each cut to a length that fits a comparison's context.
QStringList savedUserTurns(const storage::Database& db, int maxTurns);

}  // namespace nibble::app
