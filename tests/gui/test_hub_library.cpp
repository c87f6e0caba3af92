// Finding and downloading a model from Hugging Face in the real app window,
// against a local stand-in for the Hub (tests/app/hub_stand_in.h): search,
// the repository's files, Download, the check against the Hub's sha256, the
// files in the library, and the precision dropdown with a real 4-bit/8-bit
// pair beside an 8-bit variant Nibble made from the 4-bit file, which says
// so; a model split into parts says which part it is fetching. Screenshots
// land in <build>/screenshots.
#include "../app/hub_stand_in.h"
#include "chat/chat_controller.h"
#include "downloads/download_manager.h"
#include "downloads/hub_client.h"
#include "library/variant_builder.h"
#include "library/variant_list_model.h"
#include "offscreen_app.h"
#include "split_model_writer.h"
#include "shell/app_settings.h"
#include "storage/variant_store.h"
#include "test_models.h"

#include <nibble/quantize.h>

#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <QTemporaryDir>

using namespace nibble;
using test::HubStandIn;

namespace {

constexpr int kTimeoutMs = 120'000;
const QString kRepo = QStringLiteral("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF");
const QString kGatedRepo = QStringLiteral("google/gemma-3-270m-GGUF");
const QString kFourBit = QStringLiteral("SmolLM2-135M-Instruct.Q4_1.gguf");
// Named as bartowski names files, so Nibble's own 8-bit variant
// ("SmolLM2-135M-Instruct.Q8_0.gguf") does not take its place.
const QString kEightBit = QStringLiteral("SmolLM2-135M-Instruct-Q8_0.gguf");

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

}  // namespace

class TestHubLibrary : public QObject {
    Q_OBJECT

    test::OffscreenApp gui_;
    std::unique_ptr<HubStandIn> hub_;
    HubStandIn::File fourBit_;
    HubStandIn::File eightBit_;
    HubStandIn::File gated_;
    QTemporaryDir work_;

    QQuickItem* find(const QString& name) const { return gui_.find(name); }
    // Scrolls the library so that item shows, then clicks it.
    void click(const QString& name) {
        QQuickItem* target = nullptr;
        QTRY_VERIFY2_WITH_TIMEOUT((target = find(name)), qPrintable(name), kTimeoutMs);
        reveal(target);
        gui_.clickItem(target);
    }
    // Scrolls the nearest list or page that holds target until it shows.
    void reveal(QQuickItem* target) {
        QQuickItem* view = target->parentItem();
        while (view && !view->inherits("QQuickFlickable")) view = view->parentItem();
        QVERIFY(view);
        const QPointF inView = target->mapToItem(view, QPointF(0, 0));
        if (inView.y() < 0 || inView.y() + target->height() > view->height()) {
            const qreal y = view->property("contentY").toReal() + inView.y() - 120;
            view->setProperty("contentY", std::max<qreal>(0, y));
            QTest::qWait(100);
        }
    }
    qint64 variantNamed(const QString& fileName) const {
        auto& variants = gui_.app().variants();
        for (int row = 0; row < variants.rowCount(); ++row) {
            const auto variant = variants.variant(variants.variantIdAt(row));
            if (variant && QFileInfo(variant->filePath).fileName() == fileName) return variant->id;
        }
        return 0;
    }

private slots:
    void initTestCase() {
        NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        QVERIFY(work_.isValid());
        const QString smolPath = QString::fromStdString(smol.string());
        // The 8-bit file is made outside the app, as a Hub repository's
        // publisher makes theirs: by the engine's quantizer, from the same
        // weights. The only copy of SmolLM2 here is the 4-bit file, so this
        // 8-bit file holds what the 4-bit one does: it stands in for a real
        // 8-bit original, which cannot be downloaded on this machine.
        const QString eightBitPath = work_.filePath(kEightBit);
        QuantizeOptions options;
        options.recipe = "Q8_0";
        quantizeModel(smol, eightBitPath.toStdString(), options);

        hub_ = std::make_unique<HubStandIn>();
        QVERIFY(hub_->listen());
        fourBit_ = HubStandIn::servedFile(kFourBit, readAll(smolPath));
        eightBit_ = HubStandIn::servedFile(kEightBit, readAll(eightBitPath));
        QVERIFY(fourBit_.cdn && eightBit_.cdn);
        hub_->addRepo({kRepo, 90000, 150, "2024-11-01T10:00:00.000Z", "apache-2.0", {"conversational"}, false,
                       134515008, "llama", {fourBit_, eightBit_}, {}});

        // A gated repository, for the access token; without Gemma here it is left out.
        if (const auto gemma = test::findModel(QString::fromLatin1(test::kGemma3))) {
            gated_ = HubStandIn::servedFile(QString::fromLatin1(test::kGemma3),
                                            readAll(QString::fromStdString(gemma->string())));
            hub_->addRepo({kGatedRepo, 50000, 400, "2025-08-14T10:00:00.000Z", "gemma", {}, true, 268098176,
                           "gemma3", {gated_}, {}});
        }

        qputenv("NIBBLE_HUB_URL", hub_->baseUrl().toString().toUtf8());
        gui_.start(stories, test::OffscreenApp::FirstRun::SkipEightBitVariant);
        QVERIFY(gui_.window());
    }

    void init() { test::failOnQmlWarnings(); }

    void cleanupTestCase() {
        gui_.stop();
        qunsetenv("NIBBLE_HUB_URL");
    }

    // stories260K, the bundled model here, is a base model: the chat says so in one line.
    void baseModelHintOnChatPage() {
        gui_.clickItem(gui_.item("navChat"));
        QCOMPARE(gui_.app().variants().kindOf(gui_.app().chat().variantId()), QStringLiteral("base"));
        QQuickItem* hint = nullptr;
        QTRY_VERIFY((hint = find("baseModelHint")));
        QVERIFY(hint->property("text").toString().startsWith("This is a base model"));
        gui_.screenshot("chat-base-model-hint");
    }

    void searchListDownloadAndChoosePrecision() {
        gui_.clickItem(gui_.item("navModels"));
        QQuickItem* field = nullptr;
        QTRY_VERIFY((field = find("hubSearchField")));
        reveal(field);
        gui_.clickItem(field);
        gui_.typeKeys(QStringLiteral("SmolLM2"));
        click("hubSearchButton");
        const QString result = "hubResult_" + kRepo;
        QTRY_VERIFY_WITH_TIMEOUT(find(result), kTimeoutMs);
        QVERIFY(hub_->requests().last().path.contains("search=SmolLM2"));
        reveal(find(result));
        gui_.screenshot("hub-search");

        click("hubFilesButton");
        QTRY_VERIFY_WITH_TIMEOUT(find("hubFile_" + kEightBit), kTimeoutMs);
        reveal(find("hubFile_" + kEightBit));
        gui_.screenshot("hub-files");
        // The same list in the dark theme, where the quantization chips and
        // the gated and base-model marks must stay readable.
        gui_.app().settings().setTheme(QStringLiteral("dark"));
        QTest::qWait(150);
        gui_.screenshot("hub-files-dark");
        gui_.app().settings().setTheme(QStringLiteral("light"));

        // Both files, one after the other, through the app's own Download buttons.
        for (const QString& fileName : {kFourBit, kEightBit}) {
            QQuickItem* row = find("hubFile_" + fileName);
            QVERIFY(row);
            QQuickItem* button = gui_.find(QStringLiteral("hubDownloadButton"), row);
            QVERIFY(button);
            reveal(button);
            gui_.clickItem(button);
            QTRY_VERIFY_WITH_TIMEOUT(variantNamed(fileName) != 0, kTimeoutMs);
        }
        // Checked against what the Hub publishes, and recorded with it.
        const storage::VariantStore store(gui_.app().database());
        QCOMPARE(store.get(variantNamed(kFourBit)).sha256, fourBit_.sha256);
        QCOMPARE(store.get(variantNamed(kEightBit)).sha256, eightBit_.sha256);
        QCOMPARE(store.get(variantNamed(kFourBit)).modelId, store.get(variantNamed(kEightBit)).modelId);
        QTRY_VERIFY(find("hubFile_" + kEightBit));
        reveal(find("hubFile_" + kEightBit));
        gui_.screenshot("hub-downloaded");

        // Nibble's own 8-bit variant, made from the 4-bit file.
        app::VariantBuilder& builder = gui_.app().builder();
        QVERIFY(builder.create(variantNamed(kFourBit), QStringLiteral("Q8_0")));
        QTRY_VERIFY_WITH_TIMEOUT(variantNamed(QStringLiteral("SmolLM2-135M-Instruct.Q8_0.gguf")) != 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!builder.running(), kTimeoutMs);

        app::VariantListModel& variants = gui_.app().variants();
        const QString real8 = variants.labelOf(variantNamed(kEightBit));
        const QString made8 = variants.labelOf(variantNamed(QStringLiteral("SmolLM2-135M-Instruct.Q8_0.gguf")));
        QCOMPARE(variants.labelOf(variantNamed(kFourBit)), QStringLiteral("SmolLM2 135M Instruct - 4-bit (Q4_1)"));
        QCOMPARE(real8, QStringLiteral("SmolLM2 135M Instruct - 8-bit (Q8_0)"));
        QCOMPARE(made8, QStringLiteral("SmolLM2 135M Instruct - 8-bit made from the 4-bit file (Q8_0, cannot be better)"));

        QQuickItem* picker = gui_.item("variantPicker");
        QVERIFY(picker);
        QCOMPARE(picker->property("count").toInt(), 4);
        gui_.clickItem(picker);
        QTRY_VERIFY(picker->property("popup").value<QObject*>()->property("opened").toBool());
        QTest::qWait(300);
        // Under each name, its size and whether its quality was measured.
        auto* entries = picker->property("popup").value<QObject*>()->property("contentItem").value<QQuickItem*>();
        QVERIFY(entries);
        QStringList details;
        for (QQuickItem* item : test::visualDescendants(entries))
            if (item->objectName() == QLatin1String("variantDetail")) details << item->property("text").toString();
        QCOMPARE(details.size(), 4);
        QVERIFY2(details.contains(app::fileSizeText(fourBit_.size) +
                                  " · quality not measured yet"),
                 qPrintable(details.join(" | ")));
        gui_.screenshot("hub-precision-dropdown");
        QTest::keyClick(gui_.window(), Qt::Key_Escape);
        QTRY_VERIFY(!picker->property("popup").value<QObject*>()->property("opened").toBool());
        gui_.app().settings().setTheme(QStringLiteral("dark"));
        gui_.clickItem(picker);
        QTRY_VERIFY(picker->property("popup").value<QObject*>()->property("opened").toBool());
        QTest::qWait(300);
        gui_.screenshot("hub-precision-dropdown-dark");
        QTest::keyClick(gui_.window(), Qt::Key_Escape);
        gui_.app().settings().setTheme(QStringLiteral("light"));
    }

    // A gated model: refused in words without a token; with the token typed
    // into Settings, downloaded.
    void gatedModelWithTheTokenFromSettings() {
        if (!gated_.cdn) QSKIP("gemma-3-270m-q4_k_m.gguf is not here");
        gui_.clickItem(gui_.item("navModels"));
        QQuickItem* field = nullptr;
        QTRY_VERIFY((field = find("hubSearchField")));
        reveal(field);
        field->setProperty("text", QStringLiteral("gemma"));
        click("hubSearchButton");
        const QString result = "hubResult_" + kGatedRepo;
        QTRY_VERIFY_WITH_TIMEOUT(find(result), kTimeoutMs);
        QQuickItem* show = gui_.find(QStringLiteral("hubFilesButton"), find(result));
        QVERIFY(show);
        reveal(show);
        gui_.clickItem(show);
        QTRY_VERIFY_WITH_TIMEOUT(find("hubFile_" + gated_.path), kTimeoutMs);
        click("hubDownloadButton");
        QQuickItem* message = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((message = find("hubFileMessage")) &&
                                     message->property("text").toString() == app::HubClient::gatedMessage(),
                                 kTimeoutMs);
        reveal(message);
        gui_.screenshot("hub-gated-without-token");

        gui_.clickItem(gui_.item("navSettings"));
        QQuickItem* token = nullptr;
        QTRY_VERIFY((token = find("hubToken")));
        reveal(token);
        gui_.clickItem(token);
        gui_.typeKeys(QString::fromLatin1(HubStandIn::kGoodToken));
        QTest::keyClick(gui_.window(), Qt::Key_Return);
        QCOMPARE(gui_.app().settings().hubToken(), QString::fromLatin1(HubStandIn::kGoodToken));
        QCOMPARE(gui_.app().downloads().hub().accessToken(), QString::fromLatin1(HubStandIn::kGoodToken));
        gui_.screenshot("settings-hub-token");

        gui_.clickItem(gui_.item("navModels"));
        QTRY_VERIFY(find("hubFile_" + gated_.path));
        click("hubDownloadButton");
        QTRY_VERIFY_WITH_TIMEOUT(variantNamed(gated_.path) != 0, kTimeoutMs);
        QCOMPARE(storage::VariantStore(gui_.app().database()).get(variantNamed(gated_.path)).sha256, gated_.sha256);
        QCOMPARE(hub_->requests().last().authorization, QByteArray("Bearer ") + HubStandIn::kGoodToken);
        // The CDN host the Hub sends the download to never sees the token.
        for (const QByteArray& sent : gated_.cdn->authorizationHeaders()) QVERIFY(sent.isEmpty());
    }

    // A model in three parts: its row says which part is coming in.
    void splitModelRowNamesThePart() {
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        const QString repo = QStringLiteral("nibble-test/Stories-Split-GGUF");
        const QString folder = work_.filePath(QStringLiteral("split"));
        QVERIFY(QDir().mkpath(folder));
        test::writeSplit(stories, folder.toStdString(), "stories-F32", 3);
        QList<HubStandIn::File> parts;
        for (int part = 1; part <= 3; ++part) {
            const QString name = QStringLiteral("stories-F32-%1-of-00003.gguf").arg(part, 5, 10, QLatin1Char('0'));
            parts.append(HubStandIn::servedFile(name, readAll(QDir(folder).filePath(name))));
            QVERIFY(parts.last().cdn);
        }
        // Slow enough for the row to be seen during the second part.
        parts.at(1).cdn->trickle(2048, 50);
        hub_->addRepo({repo, 10, 1, "2024-01-01T00:00:00.000Z", "mit", {}, false, 260000, "llama", parts, {}});

        gui_.clickItem(gui_.item("navModels"));
        QQuickItem* field = nullptr;
        QTRY_VERIFY((field = find("hubSearchField")));
        reveal(field);
        field->setProperty("text", QStringLiteral("Stories-Split"));
        click("hubSearchButton");
        QTRY_VERIFY_WITH_TIMEOUT(find("hubResult_" + repo), kTimeoutMs);
        QQuickItem* show = gui_.find(QStringLiteral("hubFilesButton"), find("hubResult_" + repo));
        QVERIFY(show);
        reveal(show);
        gui_.clickItem(show);
        const QString row = "hubFile_" + parts.at(0).path;
        QTRY_VERIFY_WITH_TIMEOUT(find(row), kTimeoutMs);
        QQuickItem* button = gui_.find(QStringLiteral("hubDownloadButton"), find(row));
        QVERIFY(button);
        reveal(button);
        gui_.clickItem(button);
        QQuickItem* message = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((message = gui_.find(QStringLiteral("hubFileMessage"), find(row))) &&
                                     message->property("text").toString().contains("part 2 of 3"),
                                 kTimeoutMs);
        reveal(find(row));
        QTest::qWait(300);
        gui_.screenshot("hub-split-part-2-of-3");
        gui_.app().settings().setTheme(QStringLiteral("dark"));
        QTest::qWait(300);
        gui_.screenshot("hub-split-part-2-of-3-dark");
        gui_.app().settings().setTheme(QStringLiteral("light"));
        parts.at(1).cdn->trickle(0, 0);
        QTRY_VERIFY_WITH_TIMEOUT(variantNamed(parts.at(0).path) != 0, kTimeoutMs);
    }
};

NIBBLE_GUI_TEST_MAIN(TestHubLibrary)
#include "test_hub_library.moc"
