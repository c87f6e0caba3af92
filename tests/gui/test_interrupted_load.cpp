// A model that stopped Nibble while loading is not loaded on its own again.
// The real app, offscreen: a load writes its marker to settings.ini before
// the model file is opened and removes it once loaded; a marker left behind
// (as by a crash) makes the next start leave that model unloaded, still
// selected, with a notice saying why; a message loads it after all, and the
// start after that loads it again as usual.
// Screenshot: <build>/screenshots/interrupted-load-notice.png.
#include "chat/chat_controller.h"
#include "engine_bridge/engine_host.h"
#include "shell/load_marker.h"
#include "offscreen_app.h"
#include "shell/startup_notice.h"
#include "test_models.h"

#include <mutex>
#include <optional>

using namespace nibble;

class TestInterruptedLoad : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        stories_ = stories;
    }
    void init() { test::failOnQmlWarnings(); }
    void cleanupTestCase() { app_.stop(); }

    void crashedLoadIsNotRepeatedAtStart() {
        start();
        app::ChatController& chat = app_.app().chat();
        const qint64 variant = chat.variantId();
        QVERIFY(variant > 0);
        QTRY_COMPARE_WITH_TIMEOUT(engine().residentVariantId(), variant, 30'000);
        QVERIFY(!marker().interrupted());
        QCOMPARE(app_.app().startupNotice().text(), QString());

        // What a crash during this load would leave: seen from the engine
        // thread as the load begins.
        std::mutex seenMutex;
        std::optional<app::LoadMarker::Interrupted> seen;
        connect(
            &engine(), &app::EngineHost::loadBeginning, this,
            [&](const app::EngineTarget&) {
                const auto onDisk = marker().interrupted();
                std::lock_guard lock(seenMutex);
                seen = onDisk;
            },
            Qt::DirectConnection);
        engine().unload();
        QTRY_COMPARE(engine().residentVariantId(), qint64(0));
        QVERIFY(chat.send("Once upon a time"));
        QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), 60'000);
        {
            std::lock_guard lock(seenMutex);
            QVERIFY(seen.has_value());
            QCOMPARE(seen->variantId, variant);
            QCOMPARE(seen->filePath, chat.targetFor(variant)->filePath);
        }
        QVERIFY(!marker().interrupted());
        const app::EngineTarget target = *chat.targetFor(variant);
        app_.stop();

        // As if Nibble had crashed while loading it.
        marker().begin(target);
        start();
        QTest::qWait(1000);  // time enough for a load to begin, were one asked for
        QVERIFY(!engine().loading());
        QCOMPARE(engine().residentVariantId(), qint64(0));
        QCOMPARE(app_.app().chat().variantId(), variant);
        const QString expected = QString("Nibble did not open %1 automatically because it stopped Nibble the last "
                                         "time it was opened. Send a message to try it again, or choose another model.")
                                     .arg(target.label);
        QCOMPARE(app_.app().startupNotice().text(), expected);
        QQuickItem* banner = app_.find("startupNoticeText");
        QVERIFY(banner);
        QCOMPARE(banner->property("text").toString(), expected);
        QTest::qWait(150);  // let layouts settle before the screenshot
        app_.screenshot("interrupted-load-notice");

        // The user asks for it: it loads, and the marker is gone.
        QVERIFY(app_.app().chat().send("Once upon a time"));
        QTRY_VERIFY_WITH_TIMEOUT(!app_.app().chat().generating(), 60'000);
        QCOMPARE(engine().residentVariantId(), variant);
        QVERIFY(!marker().interrupted());
        app_.clickItem(app_.item("startupNoticeDismiss"));
        QTRY_VERIFY(!app_.item("startupNotice")->isVisible());
        app_.stop();

        start();
        QTRY_COMPARE_WITH_TIMEOUT(engine().residentVariantId(), variant, 30'000);
        QCOMPARE(app_.app().startupNotice().text(), QString());
        app_.stop();
    }

private:
    void start() {
        app_.start(stories_, test::OffscreenApp::FirstRun::SkipEightBitVariant);
        QVERIFY(app_.window());
    }
    app::EngineHost& engine() const { return app_.app().engine(); }
    app::LoadMarker marker() const { return app::LoadMarker(app_.dataPath("settings.ini")); }

    std::filesystem::path stories_;
    test::OffscreenApp app_;
};

NIBBLE_GUI_TEST_MAIN(TestInterruptedLoad)
#include "test_interrupted_load.moc"
