// A context that does not fit free memory: the engine shortens it (see
// ModelInfo::contextWarning), and the status bar says so where the context is
// shown, with the engine's reason on hover. Free memory is faked through
// NIBBLE_TEST_AVAILABLE_MEMORY: SmolLM2's 98 MB of weights plus about 60 MB,
// far less than its default 4096-token cache needs.
#include "chat/chat_controller.h"
#include "chat/message_list_model.h"
#include "engine_bridge/engine_host.h"
#include "shell/app_settings.h"
#include "offscreen_app.h"
#include "test_models.h"

#include <QScopeGuard>

using namespace nibble;

class TestContextWarning : public QObject {
    Q_OBJECT

private slots:
    void init() { test::failOnQmlWarnings(); }
    void statusBarSaysTheContextWasReduced();
    void contextUseStaysWithItsConversation();
};

void TestContextWarning::statusBarSaysTheContextWasReduced() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    qputenv("NIBBLE_TEST_AVAILABLE_MEMORY", QByteArray::number(qint64(std::filesystem::file_size(smol)) + 60'000'000));
    const auto memoryBack = qScopeGuard([] { qunsetenv("NIBBLE_TEST_AVAILABLE_MEMORY"); });
    test::OffscreenApp app;
    app.start(smol, test::OffscreenApp::FirstRun::SkipEightBitVariant);
    QVERIFY(app.window());

    app::ChatController& chat = app.app().chat();
    QVERIFY(chat.send("Hi"));
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), 120'000);
    const app::EngineHost& engine = app.app().engine();
    QVERIFY2(engine.contextLength() >= 256 && engine.contextLength() < 4096, qPrintable(QString::number(engine.contextLength())));
    QVERIFY2(engine.contextWarning().contains(QString("using %1 tokens").arg(engine.contextLength())),
             qPrintable(engine.contextWarning()));
    const QString status = app.item("contextUse")->property("text").toString();
    QVERIFY2(status.endsWith("(reduced to fit memory)"), qPrintable(status));
    QCOMPARE(app.item("contextUse")->property("reducedBecause").toString(), engine.contextWarning());
    app.screenshot("context-reduced");
    app.stop();
}

// A reply withdrawn by opening another conversation still finishes (cancelled)
// after the switch; what it used belongs to its own conversation, not to the
// one open by then.
void TestContextWarning::contextUseStaysWithItsConversation() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    test::OffscreenApp app;
    app.start(smol, test::OffscreenApp::FirstRun::SkipEightBitVariant);
    QVERIFY(app.window());
    app::ChatController& chat = app.app().chat();

    QVERIFY(chat.send("Hi"));
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), 120'000);
    const qint64 first = chat.conversationId();
    const int firstUsed = chat.contextUsed();
    QVERIFY2(firstUsed > 0, qPrintable(QString::number(firstUsed)));

    // Long enough that the reply is still streaming when the first chat opens.
    app.app().settings().setMaxTokens(400);
    chat.newConversation();
    QVERIFY(chat.send("Tell me a long story about a dragon who learns to cook."));
    const qint64 second = chat.conversationId();
    QTRY_VERIFY_WITH_TIMEOUT(!chat.messages()->contentAt(1).isEmpty(), 120'000);
    chat.openConversation(first);
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), 120'000);
    QCOMPARE(chat.contextUsed(), firstUsed);

    chat.openConversation(second);
    QVERIFY2(chat.contextUsed() > 0, qPrintable(QString::number(chat.contextUsed())));
    app.stop();
}

NIBBLE_GUI_TEST_MAIN(TestContextWarning)
#include "test_context_warning.moc"
