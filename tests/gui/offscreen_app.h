#pragma once
// The real app in an offscreen window, as every GUI test drives it: a fresh
// data folder, the given model as the bundled one, short reproducible replies
// on the CPU, and the ways a test reaches into the window (items by
// objectName, clicks, typing, screenshots into <build>/screenshots).
#include "shell/app_settings.h"
#include "shell/data_folder.h"
#include "shell/nibble_app.h"

#include <QDir>
#include <QGuiApplication>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <memory>

namespace nibble::test {

// Every item below root in the visual tree (a view's delegates are not its
// QObject children).
inline QList<QQuickItem*> visualDescendants(QQuickItem* root) {
    QList<QQuickItem*> found;
    for (QQuickItem* child : root->childItems()) {
        found.append(child);
        found.append(visualDescendants(child));
    }
    return found;
}

// A QML warning is a broken binding or a missing property: a bug on screen.
// Call from each test's init().
inline void failOnQmlWarnings() { QTest::failOnWarning(QRegularExpression("qrc:/qt/qml/Nibble/")); }

class OffscreenApp {
public:
    // The first run asks whether to download the bundled model's 8-bit
    // original or make an 8-bit copy: MakeEightBitVariant clicks "Make an
    // 8-bit copy" as a person would, Skip answers it before the start (which
    // leaves the CPU to the test), Ask leaves the question to the test (on
    // screen, unless a previous start in the same folder answered it).
    enum class FirstRun { MakeEightBitVariant, SkipEightBitVariant, Ask };

    // Starts the app; check window() afterwards (QVERIFY cannot return a value).
    // device is the compute device setting ("auto" lets the app look for a GPU).
    void start(const std::filesystem::path& bundledModel, FirstRun firstRun = FirstRun::MakeEightBitVariant,
               const QString& device = QStringLiteral("cpu")) {
        QVERIFY(dataDir_.isValid());
        qputenv("NIBBLE_DEFAULT_MODEL", QByteArray::fromStdString(bundledModel.string()));
        if (firstRun == FirstRun::SkipEightBitVariant) {
            const app::DataFolder folder(dataDir_.path());
            app::AppSettings(folder.settingsFile(), folder.root()).setFirstRunEightBitAnswered();
        }
        app_ = std::make_unique<app::NibbleApp>(app::DataFolder(dataDir_.path()));
        app_->settings().setDevice(device);
        app_->settings().setMaxTokens(24);
        app_->settings().setTemperature(0);
        app_->settings().setSeed(42);
        app_->settings().setTheme("light");
        QVERIFY(app_->show());
        window_ = app_->window();
        window_->resize(1200, 780);
        QVERIFY(QTest::qWaitForWindowExposed(window_));
        // The pages are built after the window's first frame.
        QTRY_VERIFY_WITH_TIMEOUT(window_->property("contentReady").toBool(), 30'000);
        if (firstRun == FirstRun::MakeEightBitVariant) {
            QQuickItem* makeCopy = nullptr;
            QTRY_VERIFY((makeCopy = find("firstRunMakeCopy")));
            clickItem(makeCopy);
        }
    }

    void stop() {
        app_.reset();
        window_ = nullptr;
        qunsetenv("NIBBLE_DEFAULT_MODEL");
    }

    app::NibbleApp& app() const { return *app_; }
    QQuickWindow* window() const { return window_; }
    QString dataPath(const QString& name) const { return dataDir_.filePath(name); }

    // The item named objectName anywhere in the window's QObject tree.
    QQuickItem* item(const char* objectName) const { return window_->findChild<QQuickItem*>(objectName); }

    // The visible item named objectName below root (the whole window when
    // null), popups and view delegates included.
    QQuickItem* find(const QString& objectName, QQuickItem* root = nullptr) const {
        for (QQuickItem* candidate : visualDescendants(root ? root : window_->contentItem()))
            if (candidate->objectName() == objectName && candidate->isVisible()) return candidate;
        return nullptr;
    }

    QPoint centerOf(QQuickItem* target) const {
        return target->mapToScene(QPointF(target->width() / 2, target->height() / 2)).toPoint();
    }

    void clickItem(QQuickItem* target) {
        QVERIFY(target);
        QVERIFY2(target->isVisible() && target->isEnabled(), qPrintable(target->objectName()));
        QTest::mouseClick(window_, Qt::LeftButton, {}, centerOf(target));
    }

    // Key by key into whatever has focus (QTest::keyClicks only knows widgets).
    void typeKeys(const QString& text) {
        for (const QChar c : text) QTest::keyClick(window_, c.toLatin1());
    }

    void screenshot(const QString& name) {
        QDir().mkpath(NIBBLE_SCREENSHOT_DIR);
        const QImage image = window_->grabWindow();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(QStringLiteral(NIBBLE_SCREENSHOT_DIR "/%1.png").arg(name)));
    }

private:
    QTemporaryDir dataDir_;
    std::unique_ptr<app::NibbleApp> app_;
    QQuickWindow* window_ = nullptr;
};

}  // namespace nibble::test

// main() for a GUI test class: the offscreen platform has no OpenGL, so Qt
// Quick renders in software there.
#define NIBBLE_GUI_TEST_MAIN(TestClass)                                                              \
    int main(int argc, char** argv) {                                                                \
        if (qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND")) qputenv("QT_QUICK_BACKEND", "software"); \
        QGuiApplication app(argc, argv);                                                             \
        TestClass test;                                                                              \
        return QTest::qExec(&test, argc, argv);                                                      \
    }
