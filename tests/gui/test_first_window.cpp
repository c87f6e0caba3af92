// The first window a person sees: its frame and a placeholder from the first
// frame on, the pages built afterwards, never a black window while they load.
#include "shell/app_settings.h"
#include "shell/data_folder.h"
#include "shell/nibble_app.h"
#include "offscreen_app.h"
#include "test_models.h"

#include <QElapsedTimer>
#include <QImage>
#include <QSet>

using namespace nibble;

class TestFirstWindow : public QObject {
    Q_OBJECT

private slots:
    void init() { test::failOnQmlWarnings(); }
    void firstFrameShowsPlaceholderThenPages();
};

namespace {

// How many different colours the image holds: a black or blank window has one.
int colourCount(const QImage& image) {
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
    return int(colours.size());
}

}  // namespace

void TestFirstWindow::firstFrameShowsPlaceholderThenPages() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    qputenv("NIBBLE_DEFAULT_MODEL", QByteArray::fromStdString(smol.string()));
    const app::DataFolder folder(dataDir.path());
    app::AppSettings(folder.settingsFile(), folder.root()).setFirstRunEightBitAnswered();

    QElapsedTimer sinceStart;
    sinceStart.start();
    app::NibbleApp app(folder);
    QVERIFY(app.show());
    QQuickWindow* window = app.window();
    QVERIFY(window);

    // What the first frame held, recorded as it is swapped.
    qint64 firstFrameMs = -1;
    bool pagesInFirstFrame = true;
    bool placeholderInFirstFrame = false;
    connect(window, &QQuickWindow::frameSwapped, this, [&] {
        if (firstFrameMs >= 0) return;
        firstFrameMs = sinceStart.elapsed();
        pagesInFirstFrame = window->findChild<QQuickItem*>("pages") != nullptr;
        auto* placeholder = window->findChild<QQuickItem*>("startupPlaceholder");
        placeholderInFirstFrame = placeholder && placeholder->isVisible();
    });
    QVERIFY(QTest::qWaitForWindowExposed(window));
    QTRY_VERIFY(firstFrameMs >= 0);
    QVERIFY2(!pagesInFirstFrame, "the first frame waited for every page to be built");
    QVERIFY(placeholderInFirstFrame);

    // The placeholder is drawn, not a blank or black window.
    if (!window->property("contentReady").toBool()) {
        const QImage placeholder = window->grabWindow();
        QDir().mkpath(NIBBLE_SCREENSHOT_DIR);
        QVERIFY(placeholder.save(NIBBLE_SCREENSHOT_DIR "/first-window-placeholder.png"));
        QVERIFY2(colourCount(placeholder) > 8, qPrintable(QString::number(colourCount(placeholder))));
    }

    QTRY_VERIFY_WITH_TIMEOUT(window->property("contentReady").toBool(), 30'000);
    const qint64 readyMs = sinceStart.elapsed();
    qInfo("first frame %lld ms after the app was created, pages ready after %lld ms", firstFrameMs, readyMs);
    auto* placeholder = window->findChild<QQuickItem*>("startupPlaceholder");
    QVERIFY(placeholder && !placeholder->isVisible());
    QTRY_VERIFY(window->findChild<QQuickItem*>("pages"));
    QTRY_VERIFY(window->findChild<QQuickItem*>("navChat"));
    qunsetenv("NIBBLE_DEFAULT_MODEL");
}

NIBBLE_GUI_TEST_MAIN(TestFirstWindow)

#include "test_first_window.moc"
