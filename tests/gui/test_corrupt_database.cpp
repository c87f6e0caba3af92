// A damaged chat history at start: the real launcher, offscreen. The startup
// window says what is wrong and offers "Move it aside and start fresh";
// pressing it keeps the damaged file, byte for byte, at the path the main
// window then shows, and the app comes up with a new, working database.
// Screenshots: <build>/screenshots/corrupt-database-*.png.
#include "shell/app_launcher.h"
#include "shell/app_settings.h"
#include "chat/chat_controller.h"
#include "shell/data_folder.h"
#include "shell/nibble_app.h"
#include "offscreen_app.h"
#include "shell/startup_notice.h"
#include "storage/model_store.h"
#include "test_models.h"

#include <QFile>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTemporaryDir>

using namespace nibble;

namespace {

// Not SQLite's header, so SQLite reports the file as not a database.
QByteArray damagedDatabase() {
    QByteArray bytes;
    while (bytes.size() < 16384) bytes += "This is not a chat history any more. ";
    return bytes;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QQuickItem* visibleItem(QQuickWindow* window, const QString& objectName) {
    for (QQuickItem* item : test::visualDescendants(window->contentItem()))
        if (item->objectName() == objectName && item->isVisible()) return item;
    return nullptr;
}

void saveScreenshot(QQuickWindow* window, const QString& name) {
    QDir().mkpath(NIBBLE_SCREENSHOT_DIR);
    const QImage image = window->grabWindow();
    QVERIFY(!image.isNull());
    QVERIFY(image.save(QStringLiteral(NIBBLE_SCREENSHOT_DIR "/%1.png").arg(name)));
}

}  // namespace

class TestCorruptDatabase : public QObject {
    Q_OBJECT

private slots:
    void init() { test::failOnQmlWarnings(); }

    void movingItAsideStartsFreshAndKeepsTheOldFile() {
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        qputenv("NIBBLE_DEFAULT_MODEL", QByteArray::fromStdString(stories.string()));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const app::DataFolder folder(dir.path());
        {
            app::AppSettings settings(folder.settingsFile(), folder.root());
            settings.setFirstRunEightBitAnswered();
            settings.setDevice("cpu");
            settings.setTheme("light");
        }
        const QByteArray damaged = damagedDatabase();
        {
            QFile file(folder.databasePath());
            QVERIFY(file.open(QIODevice::WriteOnly));
            QCOMPARE(file.write(damaged), damaged.size());
        }

        app::AppLauncher launcher(folder);
        QVERIFY(launcher.launch());
        QVERIFY(!launcher.app());
        QQuickWindow* errorWindow = launcher.errorWindow();
        QVERIFY(errorWindow);
        QVERIFY(QTest::qWaitForWindowExposed(errorWindow));
        QQuickItem* message = visibleItem(errorWindow, "startupErrorMessage");
        QVERIFY(message);
        const QString text = message->property("text").toString();
        QVERIFY2(text.contains(QDir::toNativeSeparators(folder.databasePath())), qPrintable(text));
        QVERIFY2(text.contains("damaged"), qPrintable(text));
        QVERIFY(visibleItem(errorWindow, "quitButton"));
        QQuickItem* startFresh = visibleItem(errorWindow, "startFreshButton");
        QVERIFY(startFresh);
        QCOMPARE(startFresh->property("text").toString(), QString("Move it aside and start fresh"));
        saveScreenshot(errorWindow, "corrupt-database-startup");

        QTest::mouseClick(errorWindow, Qt::LeftButton, {},
                          startFresh->mapToScene(QPointF(startFresh->width() / 2, startFresh->height() / 2)).toPoint());
        QTRY_VERIFY_WITH_TIMEOUT(launcher.app(), 10'000);
        QTRY_VERIFY(!launcher.errorWindow());

        // The old file, untouched, where the notice says it is.
        const QString movedTo = launcher.movedTo();
        QVERIFY2(movedTo.startsWith(folder.databasePath() + ".corrupt-"), qPrintable(movedTo));
        QCOMPARE(readAll(movedTo), damaged);
        app::NibbleApp& app = *launcher.app();
        QVERIFY(app.startupNotice().text().contains(QDir::toNativeSeparators(movedTo)));

        // A fresh database, with the bundled model registered in it.
        QVERIFY(readAll(folder.databasePath()) != damaged);
        QCOMPARE(storage::ModelStore(app.database()).list().size(), qsizetype(1));
        QVERIFY(app.chat().variantId() > 0);

        QQuickWindow* window = app.window();
        window->resize(1200, 780);
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QTRY_VERIFY_WITH_TIMEOUT(window->property("contentReady").toBool(), 30'000);
        QQuickItem* banner = visibleItem(window, "startupNoticeText");
        QVERIFY(banner);
        QVERIFY(banner->property("text").toString().contains(QDir::toNativeSeparators(movedTo)));
        saveScreenshot(window, "corrupt-database-fresh-start");
        qunsetenv("NIBBLE_DEFAULT_MODEL");
    }
};

NIBBLE_GUI_TEST_MAIN(TestCorruptDatabase)
#include "test_corrupt_database.moc"
