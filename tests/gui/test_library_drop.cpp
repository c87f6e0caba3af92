// Dragging models onto the real app window, offscreen: real QDragEnterEvent,
// QDragMoveEvent and QDropEvent with file URLs sent to the QQuickWindow. A
// dragged file shows the drop overlay; dropping .gguf files or a folder adds
// them to the library and shows the library page; a dropped .txt adds nothing
// and says why.
#include "library/model_library.h"
#include "offscreen_app.h"
#include "test_models.h"
#include "library/variant_list_model.h"

#include <QFile>
#include <QMimeData>

using namespace nibble;

class TestLibraryDrop : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void dragShowsOverlayAndLeaveHidesIt();
    void droppedFileIsAddedAndLibraryShown();
    void droppedFolderAddsEveryGgufInside();
    void droppedTextFileAddsNothing();

private:
    // Drags urls in at the window's centre, moves a little, then drops or
    // leaves; with a name, takes a screenshot while the overlay shows.
    void drag(const QList<QUrl>& urls, bool drop, const QString& screenshot = {});
    // Copies the small test model to path (creating its folders).
    QString copyModelTo(const QString& relativePath);
    bool libraryHas(const QString& path) const;
    int page() const;

    std::filesystem::path stories_;
    QTemporaryDir files_;
    test::OffscreenApp app_;
};

int TestLibraryDrop::page() const { return app_.window()->property("page").toInt(); }

void TestLibraryDrop::drag(const QList<QUrl>& urls, bool drop, const QString& screenshot) {
    QQuickWindow* window = app_.window();
    QMimeData mime;
    mime.setUrls(urls);
    const QPoint centre(window->width() / 2, window->height() / 2);
    QDragEnterEvent enter(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window, &enter);
    QVERIFY(enter.isAccepted());
    QDragMoveEvent move(centre + QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window, &move);
    QVERIFY(move.isAccepted());
    QQuickItem* overlay = app_.item("dropOverlay");
    QVERIFY(overlay);
    QVERIFY(overlay->isVisible());
    if (!screenshot.isEmpty()) app_.screenshot(screenshot);
    if (drop) {
        QDropEvent dropEvent(QPointF(centre + QPoint(10, 10)), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &dropEvent);
        QVERIFY(dropEvent.isAccepted());
    } else {
        QDragLeaveEvent leave;
        QCoreApplication::sendEvent(window, &leave);
    }
    QTRY_VERIFY(!overlay->isVisible());
}

QString TestLibraryDrop::copyModelTo(const QString& relativePath) {
    const QString path = files_.filePath(relativePath);
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (!QFile::copy(QString::fromStdString(stories_.string()), path)) return {};
    return QFileInfo(path).canonicalFilePath();
}

bool TestLibraryDrop::libraryHas(const QString& path) const {
    const app::VariantListModel& variants = app_.app().variants();
    for (int row = 0; row < variants.rowCount(); ++row) {
        const auto variant = variants.variant(variants.variantIdAt(row));
        if (variant && variant->filePath == path) return true;
    }
    return false;
}

void TestLibraryDrop::initTestCase() {
    NIBBLE_REQUIRE_MODEL(stories, test::kStories);
    stories_ = stories;
    QVERIFY(files_.isValid());
    // The library starts with the small model, and nothing runs in the background.
    app_.start(stories, test::OffscreenApp::FirstRun::SkipEightBitVariant);
    QVERIFY(app_.window());
}

void TestLibraryDrop::cleanupTestCase() { app_.stop(); }

void TestLibraryDrop::init() {
    test::failOnQmlWarnings();
    app_.window()->setProperty("page", 0);
    QTRY_VERIFY(!app_.app().library().importing());
}

void TestLibraryDrop::dragShowsOverlayAndLeaveHidesIt() {
    const QString file = copyModelTo("hover/never-dropped.gguf");
    QVERIFY(!file.isEmpty());
    drag({QUrl::fromLocalFile(file)}, false, "library-drop-overlay");
    QCOMPARE(page(), 0);
    QVERIFY(!libraryHas(file));
}

void TestLibraryDrop::droppedFileIsAddedAndLibraryShown() {
    const QString file = copyModelTo("single/stories-copy.gguf");
    QVERIFY(!file.isEmpty());
    drag({QUrl::fromLocalFile(file)}, true);
    QCOMPARE(page(), 1);
    QTRY_VERIFY(libraryHas(file));
    QTRY_VERIFY(!app_.app().library().importing());
    QVERIFY2(app_.app().library().message().startsWith("Added "), qPrintable(app_.app().library().message()));
    QQuickItem* message = app_.item("libraryMessage");
    QVERIFY(message && message->isVisible());
    QCOMPARE(message->property("text").toString(), app_.app().library().message());
}

void TestLibraryDrop::droppedFolderAddsEveryGgufInside() {
    const QStringList models = {copyModelTo("folder/a.gguf"), copyModelTo("folder/deeper/b.GGUF"),
                                copyModelTo("folder/deeper/still/c.gguf")};
    QVERIFY(!models.contains(QString()));
    QFile notes(files_.filePath("folder/notes.txt"));
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("not a model");
    notes.close();
    const int before = app_.app().variants().rowCount();

    QStringList messages;
    const auto collect = connect(&app_.app().library(), &app::ModelLibrary::messageChanged, this,
                                 [&] { messages.append(app_.app().library().message()); });
    drag({QUrl::fromLocalFile(files_.filePath("folder"))}, true);
    QCOMPARE(page(), 1);
    QTRY_VERIFY(!app_.app().library().importing());
    disconnect(collect);
    for (const QString& model : models) QVERIFY2(libraryHas(model), qPrintable(model));
    QCOMPARE(app_.app().variants().rowCount(), before + 3);
    // One progress line per file, then one summary; the .txt beside them is not mentioned.
    QCOMPARE(messages, QStringList({"Adding models: 1 of 3 (a.gguf)…", "Adding models: 2 of 3 (b.GGUF)…",
                                    "Adding models: 3 of 3 (c.gguf)…", "Added 3 model files."}));
}

void TestLibraryDrop::droppedTextFileAddsNothing() {
    const QString path = files_.filePath("readme.txt");
    QFile text(path);
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write("hello");
    text.close();
    const int before = app_.app().variants().rowCount();

    drag({QUrl::fromLocalFile(path)}, true);
    QCOMPARE(page(), 1);
    QVERIFY(!app_.app().library().importing());
    QCOMPARE(app_.app().variants().rowCount(), before);
    QCOMPARE(app_.app().library().message(),
             QString("Nothing was added (readme.txt is not a .gguf model file). Nibble reads models in GGUF files: "
                     "drop .gguf files, or a folder that holds them."));
    QVERIFY(app_.item("libraryMessage")->isVisible());
}

NIBBLE_GUI_TEST_MAIN(TestLibraryDrop)
#include "test_library_drop.moc"
