#include "chat/chat_controller.h"

#include "chat/conversations_controller.h"
#include "chat/guarded_action.h"

#include "shell/app_settings.h"
#include "engine_bridge/engine_host.h"
#include "library/model_registration.h"
#include "storage/conversation_store.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "library/variant_defaults.h"
#include "library/variant_list_model.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <QClipboard>
#include <QGuiApplication>

namespace nibble::app {
namespace {

// A streaming reply is written every few pieces or this often, whichever
// comes first, so a crash loses at most a moment of text.
constexpr int kPiecesPerSave = 8;
constexpr qint64 kSaveIntervalMs = 1000;

}  // namespace

ChatController::ChatController(const storage::Database& db, EngineHost& engine, AppSettings& settings,
                               VariantListModel& variants, ConversationsController& conversations,
                               qint64 heldBackVariantId, QObject* parent)
    : QObject(parent), db_(db), engine_(engine), settings_(settings), variants_(variants), store_(db),
      conversations_(conversations), messages_([&variants](qint64 id) { return variants.labelOf(id); }) {
    connect(&engine_, &EngineHost::loadFailed, this, &ChatController::setNotice);
    connect(&variants_, &QAbstractItemModel::modelReset, this, [this] {
        if (variants_.indexOf(variantId_) < 0) pickInitialVariant();
    });
    // The settings shown follow the conversation, the model's defaults and Settings.
    connect(this, &ChatController::conversationChanged, this, &ChatController::conversationSettingsChanged);
    connect(this, &ChatController::conversationChanged, this, &ChatController::contextUsedChanged);
    connect(this, &ChatController::variantChanged, this, &ChatController::conversationSettingsChanged);
    connect(&settings_, &AppSettings::changed, this, &ChatController::conversationSettingsChanged);
    connect(&conversations_, &ConversationsController::failed, this, &ChatController::setNotice);
    connect(&conversations_, &ConversationsController::renamed, this, [this](qint64 id, const QString& title) {
        if (id != conversationId_) return;
        title_ = title;
        emit conversationChanged();
    });
    connect(&conversations_, &ConversationsController::deleted, this, [this](qint64 id) {
        if (id == conversationId_) newConversation();
    });
    connect(&conversations_, &ConversationsController::imported, this, &ChatController::openConversation);
    heldBackVariantId_ = heldBackVariantId;
    // Where the user left off: the most recent conversation, not a blank new
    // chat. It picks its own variant, so only one model loads.
    const ConversationListModel& list = conversations_.listModel();
    if (list.rowCount() > 0)
        openConversation(list.data(list.index(0), ConversationListModel::ConversationIdRole).toLongLong());
    if (!variantId_) pickInitialVariant();
    heldBackVariantId_ = 0;
}

ChatController::~ChatController() = default;

template <typename F>
bool ChatController::guarded(F&& action) {
    return runGuarded(std::forward<F>(action), [this](const QString& message) { setNotice(message); });
}

void ChatController::pickInitialVariant() {
    qint64 id = settings_.lastVariantId();
    if (variants_.indexOf(id) < 0) id = variants_.variantIdAt(0);
    setVariantId(id);
}

std::optional<EngineTarget> ChatController::targetFor(qint64 variantId) const {
    const auto variant = variants_.variant(variantId);
    if (!variant) return std::nullopt;
    return EngineTarget::of(variant->id, variant->filePath, variants_.labelOf(variant->id), settings_.loadOptions());
}

void ChatController::setVariantId(qint64 id) {
    if (id == variantId_) return;
    variantId_ = id;
    if (id) settings_.setLastVariantId(id);
    if (conversationId_ && id) guarded([&] { storage::ConversationStore(db_).setVariant(conversationId_, id); });
    // Load now, so the next message does not wait; the conversation carries
    // on with the new variant, which re-reads the history on the next reply.
    if (auto target = targetFor(id); target && id != heldBackVariantId_) engine_.load(*target);
    emit variantChanged();
}

void ChatController::setNotice(const QString& text) {
    if (text == notice_) return;
    notice_ = text;
    emit noticeChanged();
}

void ChatController::dismissNotice() { setNotice({}); }

MessageListModel::Entry ChatController::entryFor(const storage::Message& message) const {
    MessageListModel::Entry entry{message, 0, 1, {}};
    const QList<storage::Message> versions = store_.siblings(message.id);
    entry.branchCount = int(versions.size());
    for (int i = 0; i < versions.size(); ++i)
        if (versions[i].id == message.id) entry.branchIndex = i;
    if (message.status == storage::MessageStatus::Error) entry.error = tr("The reply could not be finished.");
    return entry;
}

void ChatController::showThread(QList<storage::Message> thread) {
    QList<MessageListModel::Entry> entries;
    for (const storage::Message& message : thread)
        if (message.role != storage::MessageRole::System) entries.append(entryFor(message));
    messages_.setEntries(std::move(entries));
}

bool ChatController::send(const QString& text) {
    const QString content = text.trimmed();
    if (content.isEmpty() || generating() || !targetFor(variantId_)) return false;
    return guarded([&] {
        storage::ConversationStore conversations(db_);
        if (!conversationId_) {
            // Saved settings are pinned; without any, the conversation follows the defaults.
            const ConversationSettings chosen = pendingSettings_.value_or(defaults());
            storage::Transaction transaction(db_);
            const storage::Conversation created = conversations.create(variantId_);
            conversations.setSettings(created.id, chosen.systemPrompt,
                                      pendingSettings_ ? chosen.samplingJson() : QJsonObject());
            transaction.commit();
            conversationId_ = created.id;
            pendingSettings_.reset();
        }
        std::optional<qint64> parent;
        if (messages_.rowCount() > 0) parent = messages_.message(messages_.rowCount() - 1).id;
        const storage::Message user =
            store_.add(conversationId_, parent, storage::MessageRole::User, content);
        messages_.append(entryFor(user));
        if (auto newTitle = conversations.autoTitle(conversationId_)) title_ = *newTitle;
        conversations_.listModel().reload();
        emit conversationChanged();
        startReply(user.id);
    });
}

std::vector<ChatMessage> ChatController::historyUpTo(int lastRow, const QString& systemPrompt) const {
    std::vector<ChatMessage> history;
    if (!systemPrompt.isEmpty()) history.push_back({"system", systemPrompt.toStdString()});
    for (int row = 0; row <= lastRow && row < messages_.rowCount(); ++row) {
        const storage::Message& m = messages_.message(row);
        if (m.content.isEmpty()) continue;
        history.push_back({storage::toText(m.role).toStdString(), m.content.toStdString()});
    }
    return history;
}

void ChatController::startReply(qint64 parentId) {
    const auto target = targetFor(variantId_);
    if (!target) return;
    const ConversationSettings settings = settingsOfConversation();
    std::vector<ChatMessage> history = historyUpTo(messages_.rowOf(parentId), settings.systemPrompt);
    streamingId_ = store_.beginAssistant(conversationId_, variantId_, parentId);
    streamingConversationId_ = conversationId_;
    messages_.append(entryFor(store_.get(streamingId_)));
    streamedText_.clear();
    piecesSinceSave_ = 0;
    sinceSave_.start();
    setNotice({});
    const bool earlierTurns = std::count_if(history.cbegin(), history.cend(),
                                            [](const ChatMessage& m) { return m.role != "system"; }) > 1;
    if (earlierTurns && (lastReadConversationId_ != conversationId_ || lastReadVariantId_ != variantId_)) {
        const auto variant = variants_.variant(variantId_);
        const QString bits = variant ? precisionBits(variant->precision) : QString();
        setReading(bits.isEmpty() ? tr("Reading the conversation with %1…").arg(target->label)
                                  : tr("Reading the conversation with the %1 model…").arg(bits));
    }
    lastReadConversationId_ = conversationId_;
    lastReadVariantId_ = variantId_;
    reply_ = engine_.generate(*target, std::move(history), settings.generateOptions());
    connect(reply_.get(), &EngineReply::promptProgress, this, &ChatController::onPromptProgress);
    connect(reply_.get(), &EngineReply::piece, this, &ChatController::onPiece);
    connect(reply_.get(), &EngineReply::finished, this, &ChatController::onFinished);
    connect(reply_.get(), &EngineReply::failed, this, &ChatController::onFailed);
    emit generatingChanged();
}

void ChatController::setReading(const QString& text) {
    if (text == reading_) return;
    reading_ = text;
    readingDone_ = readingTotal_ = 0;
    emit readingChanged();
}

void ChatController::onPromptProgress(int done, int total) {
    if (reading_.isEmpty()) return;
    readingDone_ = done;
    readingTotal_ = total;
    emit readingChanged();
}

void ChatController::onPiece(const QString& piece) {
    setReading({});
    streamedText_ += piece;
    messages_.appendText(messages_.rowOf(streamingId_), piece);
    if (++piecesSinceSave_ >= kPiecesPerSave || sinceSave_.elapsed() >= kSaveIntervalMs) saveStreamingText();
}

void ChatController::saveStreamingText() {
    piecesSinceSave_ = 0;
    sinceSave_.restart();
    guarded([&] {
        if (!store_.appendStreaming(streamingId_, streamedText_))
            spdlog::warn("message {} stopped streaming before its reply ended", streamingId_);
    });
}

int ChatController::contextUsed() const {
    if (!conversationId_) return 0;
    return contextUsed_.value(conversationId_, -1);
}

void ChatController::onFinished(const GenerationStats& stats) {
    saveStreamingText();
    if (stats.contextUsed >= 0) {
        contextUsed_.insert(streamingConversationId_, stats.contextUsed);
        if (streamingConversationId_ == conversationId_) emit contextUsedChanged();
    }
    guarded([&] {
        if (stats.stopReason == StopReason::Cancelled)
            store_.interrupt(streamingId_, stats.generatedTokens, stats.tokensPerSecond);
        else
            store_.finish(streamingId_, stats.generatedTokens, stats.tokensPerSecond);
    });
    // A reply withdrawn for another conversation has nothing to say in that one.
    if (streamingConversationId_ == conversationId_) {
        if (stats.droppedMessages > 0)
            setNotice(tr("The conversation is longer than the model's context: the oldest %n message(s) were left out.",
                         "", stats.droppedMessages));
        else if (stats.stopReason == StopReason::ContextFull)
            setNotice(tr("The reply stopped because the context window is full."));
    }
    endStream();
}

void ChatController::onFailed(const QString& message) {
    saveStreamingText();
    guarded([&] { store_.fail(streamingId_); });
    if (streamingConversationId_ == conversationId_) setNotice(message);
    endStream();
}

void ChatController::endStream() {
    const qint64 finished = streamingId_;
    guarded([&] {
        if (auto saved = store_.find(finished)) {
            MessageListModel::Entry entry = entryFor(*saved);
            if (saved->status == storage::MessageStatus::Error && !notice_.isEmpty()) entry.error = notice_;
            messages_.update(messages_.rowOf(finished), entry.message, entry.error);
        }
    });
    // Ended, and this runs in a slot of its own signal: deleted once that returns.
    reply_.release()->deleteLater();
    streamingId_ = 0;
    streamingConversationId_ = 0;
    streamedText_.clear();
    setReading({});
    conversations_.listModel().reload();
    emit generatingChanged();
    emit replyFinished(finished);
}

void ChatController::stop() {
    if (reply_) reply_->cancelPreemptingApi();
}

void ChatController::withdrawReply() {
    if (reply_) reply_->cancel();
}

void ChatController::regenerate() {
    if (generating() || messages_.rowCount() == 0) return;
    int row = messages_.rowCount() - 1;
    if (messages_.message(row).role == storage::MessageRole::Assistant) {
        messages_.removeFrom(row);
        --row;
    }
    if (row < 0 || messages_.message(row).role != storage::MessageRole::User) return;
    const qint64 parent = messages_.message(row).id;
    guarded([&] { startReply(parent); });
}

void ChatController::edit(int row, const QString& text) {
    if (generating() || row < 0 || row >= messages_.rowCount() || text.trimmed().isEmpty()) return;
    const storage::Message original = messages_.message(row);
    guarded([&] {
        const qint64 id = store_.edit(original.id, text.trimmed());
        messages_.removeFrom(row);
        messages_.append(entryFor(store_.get(id)));
        if (original.role == storage::MessageRole::User) startReply(id);
    });
}

void ChatController::removeMessage(int row) {
    if (generating() || row < 0 || row >= messages_.rowCount()) return;
    guarded([&] {
        store_.remove(messages_.message(row).id);
        showThread(store_.thread(conversationId_));
    });
}

qint64 ChatController::leafBelow(qint64 messageId) const {
    qint64 leaf = messageId;
    for (;;) {
        const QList<storage::Message> replies = store_.children(conversationId_, leaf);
        if (replies.isEmpty()) return leaf;
        leaf = replies.last().id;  // the newest reply: the branch last worked on
    }
}

void ChatController::switchBranch(int row, int step) {
    if (generating() || row < 0 || row >= messages_.rowCount()) return;
    guarded([&] {
        const QList<storage::Message> versions = store_.siblings(messages_.message(row).id);
        int current = 0;
        for (int i = 0; i < versions.size(); ++i)
            if (versions[i].id == messages_.message(row).id) current = i;
        const int wanted = current + step;
        if (wanted < 0 || wanted >= versions.size()) return;
        showThread(store_.path(leafBelow(versions[wanted].id)));
    });
}

void ChatController::newConversation() {
    withdrawReply();
    conversationId_ = 0;
    title_.clear();
    pendingSettings_.reset();
    messages_.setEntries({});
    setNotice({});
    emit conversationChanged();
}

void ChatController::openConversation(qint64 id) {
    if (id == conversationId_) return;
    withdrawReply();
    guarded([&] {
        const storage::Conversation conversation = storage::ConversationStore(db_).get(id);
        conversationId_ = id;
        title_ = conversation.title;
        pendingSettings_.reset();
        showThread(store_.thread(id));
        setNotice({});
        emit conversationChanged();
        if (conversation.variantId && variants_.indexOf(*conversation.variantId) >= 0) setVariantId(*conversation.variantId);
    });
}

void ChatController::copyToClipboard(const QString& text) const { QGuiApplication::clipboard()->setText(text); }

ConversationSettings ChatController::defaults() const { return variantDefaults(settings_, variants_, variantId_); }

ConversationSettings ChatController::settingsOfConversation() const {
    if (!conversationId_) return pendingSettings_.value_or(defaults());
    try {
        if (const auto conversation = storage::ConversationStore(db_).find(conversationId_))
            return ConversationSettings::fromStored(conversation->systemPrompt, conversation->sampling, defaults());
    } catch (const storage::StorageError& e) {
        spdlog::error("storage: {}", e.what());
    }
    return defaults();
}

void ChatController::saveConversationSettings(const QVariantMap& values) {
    const ConversationSettings chosen = ConversationSettings::fromMap(values, settingsOfConversation());
    if (!conversationId_) {
        pendingSettings_ = chosen;
    } else if (!guarded([&] {
                   storage::ConversationStore(db_).setSettings(conversationId_, chosen.systemPrompt,
                                                               chosen.samplingJson());
               })) {
        return;
    }
    emit conversationSettingsChanged();
}

void ChatController::resetConversationSettings() {
    pendingSettings_.reset();
    if (conversationId_)
        guarded([&] { storage::ConversationStore(db_).setSettings(conversationId_, settings_.systemPrompt(), {}); });
    emit conversationSettingsChanged();
}

}  // namespace nibble::app
