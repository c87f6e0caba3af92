// First run without a GPU: the real app, offscreen, with the Vulkan loader
// pointed at a driver manifest that does not exist and the device setting left
// at "auto". The window says once, in plain words, that Nibble runs on the CPU;
// a second start with the same data folder does not say it again; the chat
// still answers, on the CPU, and the status bar says why it is the CPU. Then
// the loader sees lavapipe again: a new situation, so the notice comes back,
// naming the software driver. Screenshot: <build>/screenshots/no-gpu-notice.png.
// First of all, on a data folder of its own: the Vulkan loader itself is
// missing (NIBBLE_VULKAN_LOADER names a file that does not exist, before this
// process opens the real loader); the notice says that is the reason, and the
// chat answers on the CPU. Screenshot: no-vulkan-loader-notice.png.
#include "chat/chat_controller.h"
#include "engine_bridge/engine_host.h"
#include "shell/gpu_notice.h"
#include "chat/message_list_model.h"
#include "offscreen_app.h"
#include "test_models.h"

#include <QScopeGuard>

using namespace nibble;

namespace {

const QString kNoGpuNotice = "No GPU with Vulkan was found, so Nibble runs on the CPU. Replies will be slower.";
const QString kNoLoaderNotice =
    "The Vulkan loader (libvulkan.so.1) is not installed, so Nibble runs on the CPU. Replies will be slower.";

// The loader's variables for "use exactly these driver manifests": VK_DRIVER_FILES
// from loader 1.3.207 on, VK_ICD_FILENAMES before (and still honoured).
const char* const kDriverVariables[] = {"VK_DRIVER_FILES", "VK_ICD_FILENAMES"};

// The banner shows `text`, the status bar names `reason`, and a message sent
// in the chat gets a reply from the CPU backend.
void expectNoticeAndCpuReply(test::OffscreenApp& app, const QString& text, const QString& reason) {
    QCOMPARE(app.app().gpuNotice().text(), text);
    QCOMPARE(app.app().gpuNotice().cpuReason(), reason);
    QQuickItem* banner = app.item("gpuNotice");
    QVERIFY(banner);
    QTRY_VERIFY(banner->isVisible());
    QCOMPARE(app.item("gpuNoticeText")->property("text").toString(), text);

    app::ChatController& chat = app.app().chat();
    QVERIFY(chat.variantId() > 0);
    QVERIFY(chat.send("Once upon a time"));
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), 60'000);
    const app::MessageListModel& messages = chat.messageList();
    QCOMPARE(messages.rowCount(), 2);
    QVERIFY2(!messages.contentAt(1).trimmed().isEmpty(), "no reply arrived");
    QVERIFY2(app.app().engine().backend().startsWith("CPU"), qPrintable(app.app().engine().backend()));
    const QString status = app.item("backendStatus")->property("text").toString();
    QVERIFY2(status.startsWith("CPU") && status.endsWith("(" + reason + ")"), qPrintable(status));
    QTest::qWait(150);  // let layouts settle before the caller's screenshot
}

}  // namespace

class TestNoGpuNotice : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void missingLoaderIsNamedAndChatsOnTheCpu();
    void firstStartSaysSoAndChatsOnTheCpu();
    void secondStartSaysNothing();
    void softwareDriverAppearingIsNamed();

private:
    // Starts the app on the test's data folder (the same every time) and
    // waits for its device survey.
    void start();
    app::GpuNotice& notice() const { return app_.app().gpuNotice(); }

    std::filesystem::path stories_;
    test::OffscreenApp app_;
};

void TestNoGpuNotice::missingLoaderIsNamedAndChatsOnTheCpu() {
    qputenv("NIBBLE_VULKAN_LOADER", "/nonexistent/libvulkan.so.1");
    const auto loaderBack = qScopeGuard([] { qunsetenv("NIBBLE_VULKAN_LOADER"); });
    test::OffscreenApp noLoader;
    noLoader.start(stories_, test::OffscreenApp::FirstRun::SkipEightBitVariant, "auto");
    QVERIFY(noLoader.window());
    QTRY_VERIFY_WITH_TIMEOUT(noLoader.app().gpuNotice().surveyed(), 30'000);
    expectNoticeAndCpuReply(noLoader, kNoLoaderNotice, "Vulkan loader not installed");
    if (QTest::currentTestFailed()) return;
    noLoader.screenshot("no-vulkan-loader-notice");
    noLoader.stop();
}

void TestNoGpuNotice::start() {
    app_.start(stories_, test::OffscreenApp::FirstRun::SkipEightBitVariant, "auto");
    QVERIFY(app_.window());
    // The survey runs off the UI thread.
    QTRY_VERIFY_WITH_TIMEOUT(notice().surveyed(), 30'000);
}

void TestNoGpuNotice::initTestCase() {
    NIBBLE_REQUIRE_MODEL(stories, test::kStories);
    stories_ = stories;
    const QByteArray missing = app_.dataPath("no-such-driver.json").toUtf8();
    for (const char* variable : kDriverVariables) qputenv(variable, missing);
}

void TestNoGpuNotice::cleanupTestCase() {
    app_.stop();
    for (const char* variable : kDriverVariables) qunsetenv(variable);
}

void TestNoGpuNotice::init() { test::failOnQmlWarnings(); }

void TestNoGpuNotice::firstStartSaysSoAndChatsOnTheCpu() {
    start();
    expectNoticeAndCpuReply(app_, kNoGpuNotice, "no Vulkan GPU found");
    if (QTest::currentTestFailed()) return;
    app_.screenshot("no-gpu-notice");
    QQuickItem* banner = app_.item("gpuNotice");
    app_.clickItem(app_.item("gpuNoticeDismiss"));
    QTRY_VERIFY(!banner->isVisible());
    app_.stop();
}

void TestNoGpuNotice::secondStartSaysNothing() {
    start();
    QCOMPARE(notice().text(), QString());
    QCOMPARE(notice().cpuReason(), QString("no Vulkan GPU found"));
    QVERIFY(!app_.item("gpuNotice")->isVisible());
    app_.stop();
}

void TestNoGpuNotice::softwareDriverAppearingIsNamed() {
    for (const char* variable : kDriverVariables) qunsetenv(variable);
    start();
    if (notice().cpuReason() == "no Vulkan GPU found") QSKIP("this machine has no Vulkan driver at all");
    if (notice().cpuReason().isEmpty()) {
        // A real GPU: nothing to say.
        QCOMPARE(notice().text(), QString());
    } else {
        // Here: lavapipe, a software driver, named in the notice.
        QVERIFY2(notice().text().contains("software driver that runs on the processor"), qPrintable(notice().text()));
        QVERIFY(app_.item("gpuNotice")->isVisible());
    }
    app_.stop();
}

NIBBLE_GUI_TEST_MAIN(TestNoGpuNotice)
#include "test_no_gpu_notice.moc"
