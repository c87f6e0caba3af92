#pragma once
// What the chat page does: sending, streaming the reply into the view and
// the database, stop, regenerate, editing into a new branch, opening a
// conversation or starting a new one, and its settings. What is done to whole
// conversations (rename, delete, export, import) is ConversationsController's.
// Every call returns at once; the engine works on its own thread.
#include "chat/conversation_settings.h"
#include "engine_bridge/engine_target.h"
#include "engine_bridge/generation_stats.h"
#include "chat/message_list_model.h"
#include "storage/message_store.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QUrl>

#include <memory>
#include <optional>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class AppSettings;
class ConversationsController;
class EngineHost;
class EngineReply;
class VariantListModel;

class ChatController : public QObject {
    Q_OBJECT
    Q_PROPERTY(nibble::app::MessageListModel* messages READ messages CONSTANT)
    Q_PROPERTY(qint64 conversationId READ conversationId NOTIFY conversationChanged)
    Q_PROPERTY(QString title READ title NOTIFY conversationChanged)
    Q_PROPERTY(qint64 variantId READ variantId WRITE setVariantId NOTIFY variantChanged)
    Q_PROPERTY(bool generating READ generating NOTIFY generatingChanged)
    Q_PROPERTY(QString notice READ notice NOTIFY noticeChanged)
    // Tokens of the context the open conversation filled at its last reply;
    // -1 when unknown (not answered since the app started), 0 for a new chat.
    Q_PROPERTY(int contextUsed READ contextUsed NOTIFY contextUsedChanged)
    // While a reply waits for the model to read the whole conversation again
    // (another precision or conversation was read last), says so in words;
    // empty otherwise. On a small CPU that can take many seconds.
    Q_PROPERTY(QString reading READ reading NOTIFY readingChanged)
    // How far that reading is: readingDone of readingTotal tokens; 0 of 0
    // until the engine has read its first batch.
    Q_PROPERTY(int readingDone READ readingDone NOTIFY readingChanged)
    Q_PROPERTY(int readingTotal READ readingTotal NOTIFY readingChanged)
    // The open conversation's settings (see ConversationSettings::toMap), and
    // what a new one starts with for the variant answering.
    Q_PROPERTY(QVariantMap conversationSettings READ conversationSettings NOTIFY conversationSettingsChanged)
    Q_PROPERTY(QVariantMap defaultSettings READ defaultSettings NOTIFY conversationSettingsChanged)

public:
    // heldBackVariantId: selected at start as usual but not loaded until a
    // message needs it (it stopped Nibble while loading the last time).
    ChatController(const storage::Database& db, EngineHost& engine, AppSettings& settings, VariantListModel& variants,
                   ConversationsController& conversations, qint64 heldBackVariantId = 0, QObject* parent = nullptr);
    ~ChatController() override;

    MessageListModel* messages() { return &messages_; }
    MessageListModel& messageList() { return messages_; }
    const VariantListModel& variants() const { return variants_; }
    qint64 conversationId() const { return conversationId_; }
    QString title() const { return title_; }
    qint64 variantId() const { return variantId_; }
    void setVariantId(qint64 id);
    bool generating() const { return reply_ != nullptr; }
    // A one-line message for the user: an error, or that old turns were dropped.
    QString notice() const { return notice_; }
    int contextUsed() const;
    QString reading() const { return reading_; }
    int readingDone() const { return readingDone_; }
    int readingTotal() const { return readingTotal_; }

    // False when nothing can be sent now (empty text, a reply in progress, no model).
    Q_INVOKABLE bool send(const QString& text);
    // The user's Stop: a reply still waiting behind an API request stops that
    // request too, so the chat gets the engine.
    Q_INVOKABLE void stop();
    // A new reply to the last user message, kept beside the old one as a branch.
    Q_INVOKABLE void regenerate();
    // Replaces the message at row with a new version (a branch) and, for a
    // user message, answers it.
    Q_INVOKABLE void edit(int row, const QString& text);
    // Deletes the message at row and everything after it.
    Q_INVOKABLE void removeMessage(int row);
    // Shows the previous (-1) or next (+1) version of the message at row.
    Q_INVOKABLE void switchBranch(int row, int step);

    Q_INVOKABLE void newConversation();
    Q_INVOKABLE void openConversation(qint64 id);
    Q_INVOKABLE void dismissNotice();
    Q_INVOKABLE void copyToClipboard(const QString& text) const;

    QVariantMap conversationSettings() const { return settingsOfConversation().toMap(); }
    QVariantMap defaultSettings() const { return defaults().toMap(); }
    // Saves the settings panel's values to the open conversation (or keeps
    // them for a new chat until its first message); the next reply uses them.
    Q_INVOKABLE void saveConversationSettings(const QVariantMap& values);
    Q_INVOKABLE void resetConversationSettings();
    // What the next reply in the open conversation is generated with.
    ConversationSettings settingsOfConversation() const;

    // The engine target for a variant, with the current device settings.
    std::optional<EngineTarget> targetFor(qint64 variantId) const;

signals:
    void conversationChanged();
    void variantChanged();
    void generatingChanged();
    void noticeChanged();
    // A reply finished streaming and is saved (complete, stopped or failed).
    void replyFinished(qint64 messageId);
    void conversationSettingsChanged();
    void contextUsedChanged();
    void readingChanged();

private:
    void showThread(QList<storage::Message> thread);
    MessageListModel::Entry entryFor(const storage::Message& message) const;
    void startReply(qint64 parentId);
    std::vector<ChatMessage> historyUpTo(int lastRow, const QString& systemPrompt) const;
    qint64 leafBelow(qint64 messageId) const;
    void onPromptProgress(int done, int total);
    void onPiece(const QString& piece);
    void onFinished(const GenerationStats& stats);
    void onFailed(const QString& message);
    void saveStreamingText();
    void endStream();
    // Ends the reply in progress for the app's own reasons (another
    // conversation opened), unlike the user's stop(): only that reply stops.
    void withdrawReply();
    void setNotice(const QString& text);
    void setReading(const QString& text);
    void pickInitialVariant();
    ConversationSettings defaults() const;
    // Runs a storage action; a failure becomes the notice instead of escaping into QML.
    template <typename F>
    bool guarded(F&& action);

    const storage::Database& db_;
    EngineHost& engine_;
    AppSettings& settings_;
    VariantListModel& variants_;
    storage::MessageStore store_;
    ConversationsController& conversations_;
    MessageListModel messages_;

    qint64 conversationId_ = 0;  // 0: a new chat, created on the first message
    QString title_;
    qint64 variantId_ = 0;
    qint64 heldBackVariantId_ = 0;  // only while the constructor runs
    QString notice_;
    // Saved from the settings panel before a new chat's first message.
    std::optional<ConversationSettings> pendingSettings_;
    // By conversation, from its last reply in this session.
    QHash<qint64, int> contextUsed_;
    // What the engine read last: a reply in another conversation or with
    // another variant means reading this one from its start.
    qint64 lastReadConversationId_ = 0;
    qint64 lastReadVariantId_ = 0;
    QString reading_;
    int readingDone_ = 0;
    int readingTotal_ = 0;

    // The reply being streamed.
    std::unique_ptr<EngineReply> reply_;
    qint64 streamingId_ = 0;
    // Its conversation: another may be open by the time a withdrawn reply ends.
    qint64 streamingConversationId_ = 0;
    QString streamedText_;
    int piecesSinceSave_ = 0;
    QElapsedTimer sinceSave_;
};

}  // namespace nibble::app
