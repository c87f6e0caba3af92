// A conversation's own settings and its files, in the real app window
// offscreen: the settings panel from the chat header (system prompt,
// sampling, reply length), what the engine is given for the next reply, and
// export to JSON and Markdown, delete and import back through the
// conversation menu and the chat controller the file dialogs call.
#include "chat/chat_controller.h"
#include "chat/conversations_controller.h"
#include "chat/conversation_settings.h"
#include "engine_watch.h"
#include "chat/message_list_model.h"
#include "offscreen_app.h"
#include "library/recommended_sampling.h"
#include "shell/app_settings.h"
#include "storage/conversation_store.h"
#include "storage/message_store.h"
#include "test_models.h"

#include <nibble/engine.h>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

using namespace nibble;
using test::visualDescendants;

namespace {

constexpr int kReplyTimeoutMs = 120'000;
const QString kSystemPrompt = QStringLiteral("You are a pirate. Answer every question in one short sentence.");
const QString kQuestion = QStringLiteral("Where is the treasure?");

}  // namespace

class TestConversationTools : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void defaultsComeFromSettingsAndTheModel();
    void panelSettingsAnswerTheNextReply();
    void exportDeleteAndImportBack();
    void badFilesAreRefusedInWords();
    void withdrawnReplyKeepsItsNoticeToItself();

private:
    void setField(const char* objectName, const QString& text);
    QString fieldText(const char* objectName) const;
    QQuickItem* conversationRow(qint64 id) const;
    void chooseFromMenu(qint64 conversationId, const QString& action);
    QByteArray readFile(const QString& path) const;
    // Opens the settings panel from the chat header; the panel, or null when it did not open.
    QObject* openSettingsPanel();

    test::OffscreenApp gui_;
    app::ChatController* chat_ = nullptr;
    app::ConversationsController* conversations_ = nullptr;
    std::filesystem::path smol_;
    qint64 conversationId_ = 0;
    QString jsonFile_;
};

void TestConversationTools::setField(const char* objectName, const QString& text) {
    QQuickItem* field = gui_.find(objectName);
    QVERIFY2(field, objectName);
    field->setProperty("text", text);
}

QString TestConversationTools::fieldText(const char* objectName) const {
    QQuickItem* field = gui_.find(objectName);
    return field ? field->property("text").toString() : QStringLiteral("(no %1)").arg(objectName);
}

QQuickItem* TestConversationTools::conversationRow(qint64 id) const {
    for (QQuickItem* row : visualDescendants(gui_.item("conversationList")))
        if (row->property("conversationId").toLongLong() == id && row->isVisible()) return row;
    return nullptr;
}

// Right-clicks the conversation's row and picks action from its menu.
void TestConversationTools::chooseFromMenu(qint64 conversationId, const QString& action) {
    QQuickItem* row = conversationRow(conversationId);
    QVERIFY(row);
    QTest::mouseClick(gui_.window(), Qt::RightButton, {}, gui_.centerOf(row));
    QQuickItem* entry = nullptr;
    QTRY_VERIFY([&] {
        for (QQuickItem* candidate : visualDescendants(gui_.window()->contentItem()))
            if (QByteArray(candidate->metaObject()->className()).contains("MenuItem") && candidate->isVisible() &&
                candidate->property("text").toString() == action)
                entry = candidate;
        return entry != nullptr;
    }());
    QTest::qWait(150);  // the menu's opening transition
    gui_.clickItem(entry);
}

QObject* TestConversationTools::openSettingsPanel() {
    auto* panel = gui_.window()->findChild<QObject*>("conversationSettingsPanel");
    if (!panel) return nullptr;
    gui_.clickItem(gui_.item("conversationSettingsButton"));
    // Fully slid in, so every control is inside the window.
    return QTest::qWaitFor([&] { return panel->property("opened").toBool(); }) ? panel : nullptr;
}

QByteArray TestConversationTools::readFile(const QString& path) const {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void TestConversationTools::initTestCase() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    smol_ = smol;
    gui_.start(smol, test::OffscreenApp::FirstRun::SkipEightBitVariant);
    QVERIFY(gui_.window());
    chat_ = &gui_.app().chat();
    conversations_ = &gui_.app().conversations();
    QTRY_VERIFY_WITH_TIMEOUT(gui_.app().engine().residentVariantId() == chat_->variantId(), kReplyTimeoutMs);
}

void TestConversationTools::init() { test::failOnQmlWarnings(); }

void TestConversationTools::cleanupTestCase() { gui_.stop(); }

void TestConversationTools::defaultsComeFromSettingsAndTheModel() {
    app::AppSettings& settings = gui_.app().settings();
    // The fixture chose temperature 0 and 24 tokens in Settings: those win.
    // What it left alone comes from SmolLM2's model card (top-p 0.9), the
    // rest from the engine.
    app::ConversationSettings defaults = chat_->settingsOfConversation();
    QCOMPARE(defaults.temperature, 0.0);
    QCOMPARE(defaults.maxTokens, 24);
    QCOMPARE(defaults.topP, 0.9);
    QCOMPARE(defaults.topK, SamplingParams{}.topK);
    // With nothing chosen in Settings, the model card's temperature.
    settings.resetSampling();
    QCOMPARE(chat_->settingsOfConversation().temperature, 0.2);
    QCOMPARE(chat_->defaultSettings()["temperature"].toDouble(), 0.2);
    settings.setTemperature(0);
    settings.setMaxTokens(24);
    settings.setSeed(42);
    // Gemma's makers recommend other values; a model with no recommendation keeps the engine's.
    const app::RecommendedSampling gemma = app::recommendedSampling("Gemma 3 270m It", "gemma3");
    QCOMPARE(gemma.temperature, std::optional<double>(1.0));
    QCOMPARE(gemma.topK, std::optional<int>(64));
    QCOMPARE(gemma.topP, std::optional<double>(0.95));
    const app::RecommendedSampling other = app::recommendedSampling("Stories 260K", "llama");
    QVERIFY(!other.temperature && !other.topP && !other.topK);
}

void TestConversationTools::panelSettingsAnswerTheNextReply() {
    chat_->newConversation();
    QObject* panel = openSettingsPanel();
    QVERIFY(panel);
    QCOMPARE(fieldText("conversationSystemPrompt"), QString());  // no system prompt in Settings
    QCOMPARE(fieldText("conversationTopP"), QString("0.90"));
    setField("conversationSystemPrompt", kSystemPrompt);
    setField("conversationTemperature", "0");
    setField("conversationMaxTokens", "12");
    setField("conversationSeed", "7");
    gui_.screenshot("conversation-settings");
    gui_.clickItem(gui_.find("saveConversationSettings"));
    QTRY_VERIFY(!panel->property("visible").toBool());

    const test::EngineWatch engine(gui_.app().engine());
    QVERIFY(chat_->send(kQuestion));
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->generating(), kReplyTimeoutMs);
    QCOMPARE(engine.finished().size(), 1);
    conversationId_ = chat_->conversationId();

    // (a) Stored on this conversation, in one piece.
    const storage::Conversation stored = storage::ConversationStore(gui_.app().database()).get(conversationId_);
    QCOMPARE(stored.systemPrompt, kSystemPrompt);
    QCOMPARE(stored.sampling["temperature"].toDouble(), 0.0);
    QCOMPARE(stored.sampling["max_tokens"].toInt(), 12);
    QCOMPARE(stored.sampling["seed"].toInt(), 7);
    QCOMPARE(stored.sampling["top_p"].toDouble(), 0.9);

    // (b) The engine's prompt was the chat template's rendering of the system
    // prompt and the question, token for token (SmolLM2's template puts its
    // own system prompt in when there is none, which is a different length).
    const app::GenerationStats stats = engine.finished().first();
    LoadOptions cpu;
    cpu.backend = BackendKind::Cpu;
    const auto model = Model::open(smol_, cpu);
    const auto promptTokens = [&](const std::vector<ChatMessage>& messages) {
        return int(model->tokenize(model->applyChatTemplate(messages, true), false, true).size());
    };
    const int withSystem = promptTokens({{"system", kSystemPrompt.toStdString()}, {"user", kQuestion.toStdString()}});
    QCOMPARE(stats.promptTokens, withSystem);
    QVERIFY(promptTokens({{"user", kQuestion.toStdString()}}) != withSystem);
    // The reply was cut at the conversation's 12 tokens, not Settings' 24.
    const QList<storage::Message> thread = storage::MessageStore(gui_.app().database()).thread(conversationId_);
    QCOMPARE(thread.size(), 2);
    QVERIFY(thread[1].tokenCount.value_or(0) > 0);
    QVERIFY(thread[1].tokenCount.value_or(99) <= 12);

    // A new chat starts from the defaults again...
    chat_->newConversation();
    QCOMPARE(chat_->conversationSettings(), chat_->defaultSettings());
    QCOMPARE(chat_->conversationSettings()["systemPrompt"].toString(), QString());
    QCOMPARE(chat_->conversationSettings()["maxTokens"].toInt(), 24);
    // ...and the first one keeps its own, shown when the panel opens.
    chat_->openConversation(conversationId_);
    QCOMPARE(chat_->conversationSettings()["maxTokens"].toInt(), 12);
    QVERIFY(openSettingsPanel());
    QCOMPARE(fieldText("conversationSystemPrompt"), kSystemPrompt);
    QCOMPARE(fieldText("conversationMaxTokens"), QString("12"));
    gui_.clickItem(gui_.find("cancelConversationSettings"));
    QTRY_VERIFY(!panel->property("visible").toBool());
}

void TestConversationTools::exportDeleteAndImportBack() {
    QVERIFY(conversationId_);
    const storage::Database& db = gui_.app().database();
    const QList<storage::Message> original = storage::MessageStore(db).all(conversationId_);
    QCOMPARE(original.size(), 2);

    // The dialog's proposal: the title as a file name.
    QCOMPARE(conversations_->suggestedExportFile(conversationId_, "markdown").fileName(), QString("Where is the treasure.md"));
    jsonFile_ = gui_.dataPath("export.json");
    const QString markdownFile = gui_.dataPath("export.md");
    QVERIFY(conversations_->exportConversation(conversationId_, QUrl::fromLocalFile(jsonFile_), "json"));
    QTRY_VERIFY(gui_.find("exportedBar"));
    QVERIFY(conversations_->exportConversation(conversationId_, QUrl::fromLocalFile(markdownFile), "markdown"));
    QCOMPARE(chat_->notice(), QString());

    const QJsonObject json = QJsonDocument::fromJson(readFile(jsonFile_)).object();
    QCOMPARE(json["format"].toString(), QString("nibble-conversation"));
    QCOMPARE(json["systemPrompt"].toString(), kSystemPrompt);
    const QString markdown = QString::fromUtf8(readFile(markdownFile));
    QVERIFY2(markdown.startsWith("# " + kQuestion + "\n"), qPrintable(markdown));
    QVERIFY(markdown.contains("> " + kSystemPrompt));
    QVERIFY(markdown.contains(kQuestion));
    QVERIFY(markdown.contains(original[1].content));

    // Delete through the conversation's menu.
    const int listed = conversations_->listModel().rowCount();
    chooseFromMenu(conversationId_, "Delete");
    QTRY_COMPARE(conversations_->listModel().rowCount(), listed - 1);
    QCOMPARE(chat_->conversationId(), qint64(0));

    // Import: listed, opened, and the same conversation.
    const qint64 imported = conversations_->importConversation(QUrl::fromLocalFile(jsonFile_));
    QVERIFY2(imported > 0, qPrintable(chat_->notice()));
    QCOMPARE(chat_->conversationId(), imported);
    QCOMPARE(conversations_->listModel().rowCount(), listed);
    QVERIFY(conversations_->listModel().indexOf(imported) >= 0);
    QCOMPARE(chat_->title(), kQuestion);
    QCOMPARE(chat_->messageList().rowCount(), 2);
    const QList<storage::Message> copy = storage::MessageStore(db).all(imported);
    QCOMPARE(copy.size(), original.size());
    for (int i = 0; i < copy.size(); ++i) {
        QCOMPARE(copy[i].role, original[i].role);
        QCOMPARE(copy[i].content, original[i].content);
        QCOMPARE(copy[i].status, original[i].status);
        QCOMPARE(copy[i].tokenCount, original[i].tokenCount);
    }
    QCOMPARE(chat_->conversationSettings()["systemPrompt"].toString(), kSystemPrompt);
    QCOMPARE(chat_->conversationSettings()["maxTokens"].toInt(), 12);
    QTRY_VERIFY(conversationRow(imported));
}

void TestConversationTools::badFilesAreRefusedInWords() {
    const int listed = conversations_->listModel().rowCount();
    const auto refused = [&](const QString& path, const QByteArray& content, const QString& words) {
        if (!content.isNull()) {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(content);
        }
        QCOMPARE(conversations_->importConversation(QUrl::fromLocalFile(path)), qint64(0));
        QVERIFY2(chat_->notice().contains(words), qPrintable(chat_->notice()));
        QCOMPARE(conversations_->listModel().rowCount(), listed);
        chat_->dismissNotice();
    };
    refused(gui_.dataPath("notes.json"), "these are my notes", "not valid JSON");
    refused(gui_.dataPath("other.json"), R"({"name": "something else"})", "not a Nibble conversation export");
    refused(gui_.dataPath("missing.json"), QByteArray(), "could not read");
    // The notice bar shows it.
    QCOMPARE(conversations_->importConversation(QUrl::fromLocalFile(gui_.dataPath("notes.json"))), qint64(0));
    QTRY_VERIFY(gui_.find("notice"));
    chat_->dismissNotice();

    // An export where nothing can be written says so and leaves nothing behind.
    const QString unwritable = gui_.dataPath("no-such-folder/export.json");
    QVERIFY(!conversations_->exportConversation(chat_->conversationId(), QUrl::fromLocalFile(unwritable), "json"));
    QVERIFY2(chat_->notice().contains("could not save “export.json”"), qPrintable(chat_->notice()));
    QVERIFY(!QFile::exists(unwritable));
    chat_->dismissNotice();
}

// A reply still streaming when another conversation is opened is withdrawn;
// what it has to say (here: that old turns were left out) belongs to its own
// conversation, not to the one the user has just opened.
void TestConversationTools::withdrawnReplyKeepsItsNoticeToItself() {
    const storage::Database& db = gui_.app().database();
    app::AppSettings& settings = gui_.app().settings();
    const int contextBefore = settings.contextLength();
    settings.setContextLength(256);
    const qint64 longId = storage::ConversationStore(db).create(chat_->variantId(), "A long talk").id;
    storage::MessageStore store(db);
    std::optional<qint64> parent;
    const QString filler = QStringLiteral("Tell me about the sea, the ships, the harbours and the old sailors' songs. ");
    for (int turn = 0; turn < 10; ++turn) {
        parent = store.add(longId, parent, storage::MessageRole::User, filler.repeated(3)).id;
        parent = store.add(longId, parent, storage::MessageRole::Assistant, filler.repeated(3)).id;
    }
    conversations_->listModel().reload();

    // Left open, the reply says that old turns were left out: the notice this test is about.
    chat_->openConversation(longId);
    QVERIFY(chat_->send(QStringLiteral("And the lighthouses?")));
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->generating(), kReplyTimeoutMs);
    QVERIFY2(chat_->notice().contains("were left out"), qPrintable(chat_->notice()));
    chat_->dismissNotice();

    // Withdrawn once its first words arrived, by opening another conversation.
    QVERIFY(chat_->send(QStringLiteral("And the storms?")));
    const app::MessageListModel& messages = chat_->messageList();
    QTRY_VERIFY_WITH_TIMEOUT(!messages.message(messages.rowCount() - 1).content.isEmpty(), kReplyTimeoutMs);
    chat_->openConversation(storage::ConversationStore(db).create(chat_->variantId(), "Another talk").id);
    QTRY_VERIFY_WITH_TIMEOUT(!chat_->generating(), kReplyTimeoutMs);
    QCOMPARE(chat_->notice(), QString());
    settings.setContextLength(contextBefore);
}

NIBBLE_GUI_TEST_MAIN(TestConversationTools)

#include "test_conversation_tools.moc"
