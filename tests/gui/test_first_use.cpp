// The app as a new user meets it, in the real window offscreen with the real
// models: the model picker shows the model that answers after the list moves
// (an import, the first run's 8-bit variant); Compare starts from two
// different precisions, samples each model as chat does (the API too) and
// says what its figures measured; a dropdown's highlighted item can be read
// in both themes (the contrast is measured on the rendered pixels); nothing
// stale stays on screen (a deleted variant's "Made …", another chat's context
// count, a stopped reply's lost figures), and the app reopens on the last
// conversation. Screenshots land in <build>/screenshots.
#include "api_server/api_server.h"
#include "chat/chat_controller.h"
#include "quality/compare_controller.h"
#include "chat/message_list_model.h"
#include "library/model_library.h"
#include "offscreen_app.h"
#include "quality/quality_evaluator.h"
#include "storage/message_store.h"
#include "storage/variant_store.h"
#include "test_models.h"
#include "library/variant_builder.h"
#include "library/variant_defaults.h"
#include "library/variant_list_model.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>

#include <algorithm>
#include <cmath>

using namespace nibble;
using test::visualDescendants;

namespace {

// Making a variant or a short reply of a 135M model on a shared 2-core
// machine: seconds to tens of seconds, much more under sanitizers.
constexpr int kWorkTimeoutMs = 240'000;
constexpr const char* kPrompt = "Why is the sky blue?";

// WCAG 2 relative luminance and contrast ratio.
double luminance(QRgb pixel) {
    const auto channel = [](int value) {
        const double c = value / 255.0;
        return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(qRed(pixel)) + 0.7152 * channel(qGreen(pixel)) + 0.0722 * channel(qBlue(pixel));
}

double contrast(QRgb a, QRgb b) {
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// The contrast of the text drawn in area: its background is the colour most
// of its pixels have, its text the pixel that stands out most from it (the
// core of a glyph, where anti-aliasing has not blended it with the background).
double textContrast(const QImage& image, const QRect& area) {
    QHash<QRgb, int> counts;
    const QRect inside = area.intersected(image.rect());
    for (int y = inside.top(); y <= inside.bottom(); ++y)
        for (int x = inside.left(); x <= inside.right(); ++x) ++counts[image.pixel(x, y) | 0xff000000u];
    if (counts.isEmpty()) return 0;
    const QRgb background = std::max_element(counts.cbegin(), counts.cend()).key();
    double best = 1;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        if (it.value() >= 3) best = std::max(best, contrast(it.key(), background));  // a few pixels, not one stray
    return best;
}

}  // namespace

class TestFirstUse : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void compareStartsWithMostDifferentPrecisions();
    void compareFiguresSayWhatTheyMeasured();
    void pickerFollowsResidentModelAfterImport();
    void compareAndApiSampleLikeChat();
    void dropdownHighlightReadable_data();
    void dropdownHighlightReadable();
    void noTextClippedOnMainPages_data();
    void noTextClippedOnMainPages();
    void settingsControlsShareOneColumn();
    void stoppedReplyKeepsItsFigures();
    void contextCountFollowsConversation();
    void switchingPrecisionSaysItRereads();
    void madeMessageGoesWithItsVariant();
    void reopensOnLastConversation();

private:
    QQuickItem* find(const QString& objectName) const { return gui_.find(objectName); }
    void showPage(const char* navButton);
    QString shownText(const char* comboName) const;
    QString chatReply(const QString& prompt);
    QString apiReply(const QString& prompt);

    test::OffscreenApp gui_;
    app::NibbleApp* app_ = nullptr;
    QQuickWindow* window_ = nullptr;
    std::filesystem::path gemma_;
    qint64 bundledId_ = 0;
    qint64 eightBitId_ = 0;
};

void TestFirstUse::initTestCase() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    NIBBLE_REQUIRE_MODEL(gemma, test::kGemma3);
    gemma_ = gemma;
    gui_.start(smol);
    QVERIFY(gui_.window());
    app_ = &gui_.app();
    window_ = gui_.window();
    bundledId_ = app_->variants().variantIdAt(0);
    QTRY_VERIFY_WITH_TIMEOUT(!app_->builder().running(), kWorkTimeoutMs);
    QCOMPARE(app_->variants().rowCount(), 2);
    for (const storage::Variant& v : storage::VariantStore(app_->database()).forModel(
             app_->variants().variant(bundledId_)->modelId))
        if (v.precision == "Q8_0") eightBitId_ = v.id;
    QVERIFY(eightBitId_);
}

void TestFirstUse::init() { test::failOnQmlWarnings(); }

void TestFirstUse::cleanupTestCase() { gui_.stop(); }

void TestFirstUse::showPage(const char* navButton) {
    QQuickItem* button = nullptr;
    QTRY_VERIFY((button = find(navButton)));
    gui_.clickItem(button);
    QTest::qWait(150);  // let layouts settle before a screenshot
}

QString TestFirstUse::shownText(const char* comboName) const {
    QQuickItem* combo = find(comboName);
    return combo ? combo->property("displayText").toString() : QString();
}

void TestFirstUse::compareStartsWithMostDifferentPrecisions() {
    // The comparison page exists from the start, before the first run's
    // 8-bit variant; it must not stay at the 4-bit against itself.
    showPage("navCompare");
    const app::CompareController& compare = app_->compare();
    QCOMPARE(compare.variantA(), eightBitId_);
    QCOMPARE(compare.variantB(), bundledId_);
    QCOMPARE(shownText("compareVariantA"), app_->variants().labelOf(eightBitId_));
    QCOMPARE(shownText("compareVariantB"), app_->variants().labelOf(bundledId_));
    gui_.screenshot("first-use-compare-defaults");
}

void TestFirstUse::compareFiguresSayWhatTheyMeasured() {
    app::AppSettings& settings = app_->settings();
    settings.setSeed(0);  // a fresh seed, shown as a whole number
    app::CompareController& compare = app_->compare();
    app::QualityEvaluator& evaluator = app_->evaluator();
    QQuickItem* prompt = find("comparePrompt");
    QVERIFY(prompt);
    gui_.clickItem(prompt);
    QTRY_VERIFY(prompt->hasActiveFocus());
    gui_.typeKeys(kPrompt);
    gui_.clickItem(find("compareRunButton"));
    QVERIFY(compare.running());
    QVERIFY(compare.seed() > 0);
    QVERIFY(compare.seed() <= 2147483647u);
    QTRY_VERIFY_WITH_TIMEOUT(!compare.running(), kWorkTimeoutMs);
    QVERIFY(evaluator.running());
    // Moving from the start, while the models load (the engine reports from
    // loading on: test_quantize_model).
    QTRY_VERIFY(find("evaluationProgress"));
    QVERIFY(find("evaluationProgress")->property("indeterminate").toBool() || evaluator.progress() > 0);
    QTRY_VERIFY_WITH_TIMEOUT(!evaluator.running(), kWorkTimeoutMs);
    QVERIFY2(evaluator.message().isEmpty(), qPrintable(evaluator.message()));

    // Scored on A's reply as shown: its tokens (give or take re-tokenizing the text).
    const QVariantMap result = evaluator.result();
    const int shownTokens = compare.resultA()["tokens"].toInt();
    QVERIFY2(std::abs(result["scoredTokens"].toInt() - shownTokens) <= 2,
             qPrintable(QStringLiteral("scored %1 tokens, A's reply has %2").arg(result["scoredTokens"].toInt()).arg(shownTokens)));
    QVERIFY2(result["dataset"].toString().contains("A's reply above"), qPrintable(result["dataset"].toString()));
    // One speed per model: the one measured writing its reply.
    QCOMPARE(result["referenceTokensPerSecond"].toDouble(), compare.resultA()["tokensPerSecond"].toDouble());
    QCOMPARE(result["tokensPerSecond"].toDouble(), compare.resultB()["tokensPerSecond"].toDouble());
    QVERIFY(!result["speedNote"].toString().isEmpty());
    QTRY_VERIFY(find("speedHeading"));
    QCOMPARE(find("speedHeading")->property("tip").toString(), result["speedNote"].toString());
    // 24 tokens at most: too few for an error bar.
    QVERIFY(result["scoredTokens"].toInt() < app::kMinTokensForError);
    QVERIFY(!result.contains("sameTopError"));
    QVERIFY(!result.contains("kldMeanError"));
    QVERIFY(find("sameTopFigure"));
    QVERIFY2(!find("sameTopFigure")->property("text").toString().contains(QStringLiteral("±")),
             qPrintable(find("sameTopFigure")->property("text").toString()));
    gui_.screenshot("first-use-compare-figures");
    settings.setSeed(42);
}

void TestFirstUse::pickerFollowsResidentModelAfterImport() {
    app::ChatController& chat = app_->chat();
    QCOMPARE(chat.variantId(), bundledId_);
    QCOMPARE(shownText("variantPicker"), app_->variants().labelOf(bundledId_));
    // "gemma" sorts before "SmolLM2": every SmolLM2 row moves down.
    const qint64 gemmaId = app_->library().importFile(QUrl::fromLocalFile(QString::fromStdString(gemma_.string())));
    QVERIFY2(gemmaId, qPrintable(app_->library().message()));
    QCOMPARE(app_->variants().indexOf(gemmaId), 0);
    QCOMPARE(chat.variantId(), bundledId_);
    QTRY_COMPARE(shownText("variantPicker"), app_->variants().labelOf(bundledId_));
    QCOMPARE(find("variantPicker")->property("currentIndex").toInt(), app_->variants().indexOf(bundledId_));
    // Compare's dropdowns too.
    QTRY_COMPARE(shownText("compareVariantA"), app_->variants().labelOf(app_->compare().variantA()));
    QCOMPARE(shownText("compareVariantB"), app_->variants().labelOf(app_->compare().variantB()));

    // Picking from the moved list picks what the row shows.
    QVERIFY(QMetaObject::invokeMethod(find("variantPicker"), "activated", Q_ARG(int, 0)));
    QCOMPARE(chat.variantId(), gemmaId);
    QTRY_COMPARE(shownText("variantPicker"), app_->variants().labelOf(gemmaId));
    // A pick from elsewhere (the library's "Use") shows in the picker.
    chat.setVariantId(bundledId_);
    QTRY_COMPARE(shownText("variantPicker"), app_->variants().labelOf(bundledId_));
    gui_.screenshot("first-use-picker-after-import");
}

QString TestFirstUse::chatReply(const QString& prompt) {
    app::ChatController& chat = app_->chat();
    chat.newConversation();
    if (!chat.send(prompt)) return QStringLiteral("<not sent>");
    if (!QTest::qWaitFor([&] { return !chat.generating(); }, kWorkTimeoutMs)) return QStringLiteral("<no reply in time>");
    return chat.messageList().contentAt(chat.messageList().rowCount() - 1);
}

QString TestFirstUse::apiReply(const QString& prompt) {
    QNetworkAccessManager network;
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(app_->api().port())));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    if (const QString key = app_->settings().apiKey(); !key.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + key.toUtf8());
    // No temperature or top_p: the model's defaults decide, as in chat.
    const QJsonObject body{{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", prompt}}}},
                           {"seed", 42},
                           {"max_tokens", 24}};
    QNetworkReply* reply = network.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(kWorkTimeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished()) loop.exec();
    const QByteArray received = reply->readAll();
    reply->deleteLater();
    const QJsonObject answer = QJsonDocument::fromJson(received).object();
    if (!answer.contains("choices")) return QStringLiteral("<no reply: %1>").arg(QString::fromUtf8(received));
    return answer["choices"].toArray().at(0).toObject()["message"].toObject()["content"].toString();
}

void TestFirstUse::compareAndApiSampleLikeChat() {
    // No sampling chosen in Settings: SmolLM2's recommended 0.2 / top-p 0.9
    // apply, not the engine's defaults. One seed makes the three comparable.
    app::AppSettings& settings = app_->settings();
    settings.resetSampling();
    settings.setSeed(42);
    settings.setMaxTokens(24);
    settings.setSystemPrompt({});
    const app::ConversationSettings defaults = app::variantDefaults(settings, app_->variants(), bundledId_);
    QCOMPARE(defaults.temperature, 0.2);
    QCOMPARE(defaults.topP, 0.9);
    QCOMPARE(app_->chat().settingsOfConversation().temperature, 0.2);

    app_->chat().setVariantId(bundledId_);
    const QString chat = chatReply(kPrompt);
    QVERIFY2(!chat.trimmed().isEmpty(), "the model gave an empty reply");

    // Compare, both sides the same variant (no measurement afterwards).
    app::CompareController& compare = app_->compare();
    compare.setVariantA(bundledId_);
    compare.setVariantB(bundledId_);
    QVERIFY(compare.run(kPrompt));
    QCOMPARE(compare.seed(), quint64(42));
    QTRY_VERIFY_WITH_TIMEOUT(!compare.running(), kWorkTimeoutMs);
    QCOMPARE(compare.resultA()["text"].toString().trimmed(), chat.trimmed());
    QCOMPARE(compare.resultB()["text"].toString().trimmed(), chat.trimmed());

    // The API, the request without sampling values of its own.
    QVERIFY2(app_->api().listen(0), qPrintable(app_->api().error()));
    QCOMPARE(apiReply(kPrompt).trimmed(), chat.trimmed());
    app_->api().stop();
}

void TestFirstUse::dropdownHighlightReadable_data() {
    QTest::addColumn<QString>("themeName");
    QTest::addColumn<QString>("page");
    QTest::addColumn<QString>("combo");
    for (const char* themeName : {"light", "dark"}) {
        QTest::addRow("%s model picker", themeName) << themeName << "navChat" << "variantPicker";
        QTest::addRow("%s compare A", themeName) << themeName << "navCompare" << "compareVariantA";
        QTest::addRow("%s compare B", themeName) << themeName << "navCompare" << "compareVariantB";
        QTest::addRow("%s theme", themeName) << themeName << "navSettings" << "themeChoice";
        QTest::addRow("%s device", themeName) << themeName << "navSettings" << "deviceChoice";
    }
}

void TestFirstUse::dropdownHighlightReadable() {
    QFETCH(QString, themeName);
    QFETCH(QString, page);
    QFETCH(QString, combo);
    app_->settings().setTheme(themeName);
    showPage(page.toLatin1().constData());
    QQuickItem* box = nullptr;
    QTRY_VERIFY((box = find(combo)));
    gui_.clickItem(box);
    QObject* popup = box->property("popup").value<QObject*>();
    QVERIFY(popup);
    QTRY_VERIFY(popup->property("opened").toBool());
    // The current item is the highlighted one when the list opens.
    QQuickItem* highlighted = nullptr;
    QTRY_VERIFY([&] {
        for (QQuickItem* candidate : visualDescendants(window_->contentItem()))
            if (candidate->isVisible() && candidate->property("highlighted").toBool() &&
                QByteArray(candidate->metaObject()->className()).contains("ItemDelegate"))
                highlighted = candidate;
        return highlighted != nullptr;
    }());
    QTest::qWait(100);
    const QImage image = window_->grabWindow();
    const QRect area = highlighted->mapRectToScene(QRectF(0, 0, highlighted->width(), highlighted->height())).toRect();
    const double ratio = textContrast(image, area.adjusted(2, 2, -2, -2));
    gui_.screenshot(QStringLiteral("first-use-dropdown-%1-%2").arg(themeName, combo));
    QVERIFY2(ratio >= 4.5, qPrintable(QStringLiteral("%1 in the %2 theme: the highlighted item's text has contrast %3:1")
                                          .arg(combo, themeName)
                                          .arg(ratio, 0, 'f', 2)));
    QTest::keyClick(window_, Qt::Key_Escape);
    QTRY_VERIFY(!popup->property("visible").toBool());
}

void TestFirstUse::noTextClippedOnMainPages_data() {
    QTest::addColumn<QSize>("size");
    QTest::addColumn<QString>("page");
    for (const QSize size : {QSize(800, 600), QSize(1920, 1080)})
        for (const char* page : {"navChat", "navModels", "navCompare", "navSettings"})
            QTest::addRow("%dx%d %s", size.width(), size.height(), page) << size << page;
}

void TestFirstUse::noTextClippedOnMainPages() {
    QFETCH(QSize, size);
    QFETCH(QString, page);
    app_->settings().setTheme("light");
    window_->resize(size);
    showPage(page.toLatin1().constData());
    QTest::qWait(250);
    QStringList clipped;
    const QRectF windowRect(QPointF(0, 0), window_->size());
    for (QQuickItem* item : visualDescendants(window_->contentItem())) {
        // Text and Label (a QQuickLabel is a QQuickText), and the text inside buttons.
        if (!item->inherits("QQuickText")) continue;
        const QString text = item->property("text").toString();
        if (text.isEmpty() || !item->isVisible() || item->opacity() == 0) continue;
        // Only what is on screen: a page's scrolled-away part is not clipped text.
        const QRectF onScreen = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        if (!onScreen.intersects(windowRect)) continue;
        bool shown = true;
        for (QQuickItem* up = item; up && shown; up = up->parentItem()) shown = up->isVisible() && up->opacity() > 0;
        if (!shown) continue;
        const bool wraps = item->property("wrapMode").toInt() != 0;
        const bool elided = item->property("truncated").toBool();
        const bool overflows = !wraps && item->property("elide").toInt() == 0 &&
                               item->property("implicitWidth").toDouble() > item->width() + 1;
        if (elided || overflows)
            clipped.append(QStringLiteral("\"%1\" (%2, %3 of %4 px)")
                               .arg(text.left(60), item->objectName().isEmpty() ? item->metaObject()->className()
                                                                                : item->objectName())
                               .arg(item->width())
                               .arg(item->property("implicitWidth").toDouble()));
    }
    gui_.screenshot(QStringLiteral("first-use-layout-%1x%2-%3").arg(size.width()).arg(size.height()).arg(page));
    window_->resize(1200, 780);
    QVERIFY2(clipped.isEmpty(), qPrintable(clipped.join(QStringLiteral("; "))));
}

// Every Settings control sits in one column, its left and right edges
// those of the others, the API server's port and key among them.
void TestFirstUse::settingsControlsShareOneColumn() {
    showPage("navSettings");
    const QStringList names = {"themeChoice", "deviceChoice", "maxTokens", "apiPort", "apiKeyRow", "apiAllowedOrigins"};
    QMap<QString, QRectF> edges;
    for (const QString& name : names) {
        QQuickItem* item = nullptr;
        QTRY_VERIFY2((item = find(name)), qPrintable(name));
        edges[name] = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
    }
    QStringList misaligned;
    const QRectF first = edges.value(names.first());
    for (const QString& name : names) {
        const QRectF r = edges.value(name);
        if (std::abs(r.left() - first.left()) > 1 || std::abs(r.right() - first.right()) > 1)
            misaligned.append(QStringLiteral("%1 spans %2..%3").arg(name).arg(r.left()).arg(r.right()));
    }
    // Scrolled to the API server section for the screenshot.
    QQuickItem* port = find("apiPort");
    for (QQuickItem* up = port; up; up = up->parentItem())
        if (up->inherits("QQuickFlickable")) {
            up->setProperty("contentY", up->mapFromItem(port, QPointF(0, 0)).y() + up->property("contentY").toDouble() - 120);
            break;
        }
    QTest::qWait(150);
    gui_.screenshot("first-use-settings-api-server");
    QVERIFY2(misaligned.isEmpty(), qPrintable(QStringLiteral("%1 spans %2..%3; ").arg(names.first()).arg(first.left())
                                                  .arg(first.right()) + misaligned.join("; ")));
}

void TestFirstUse::stoppedReplyKeepsItsFigures() {
    app::ChatController& chat = app_->chat();
    app_->settings().setMaxTokens(400);
    chat.newConversation();
    QVERIFY(chat.send("Write a long story about a dragon."));
    QTRY_VERIFY_WITH_TIMEOUT(chat.messageList().rowCount() == 2 && chat.messageList().contentAt(1).size() > 40,
                             kWorkTimeoutMs);
    chat.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), kWorkTimeoutMs);
    app_->settings().setMaxTokens(24);
    const storage::Message stopped = storage::MessageStore(app_->database()).thread(chat.conversationId()).last();
    QCOMPARE(stopped.status, storage::MessageStatus::Interrupted);
    QVERIFY(stopped.tokenCount.value_or(0) > 0);
    QVERIFY(stopped.tokensPerSecond.value_or(0) > 0);
    const QModelIndex row = chat.messageList().index(1);
    QVERIFY(chat.messageList().data(row, app::MessageListModel::TokenCountRole).toInt() > 0);
    QVERIFY(chat.messageList().data(row, app::MessageListModel::TokensPerSecondRole).toDouble() > 0);
}

void TestFirstUse::contextCountFollowsConversation() {
    app::ChatController& chat = app_->chat();
    const qint64 answered = chat.conversationId();
    QVERIFY(answered);
    const int used = chat.contextUsed();
    QVERIFY(used > 0);
    QTRY_VERIFY(find("contextUse"));
    QTRY_VERIFY(find("contextUse")->property("text").toString().startsWith(QStringLiteral("Context %1 / ").arg(used)));
    chat.newConversation();
    QCOMPARE(chat.contextUsed(), 0);
    QTRY_VERIFY(find("contextUse")->property("text").toString().startsWith(QStringLiteral("Context 0 / ")));
    chat.openConversation(answered);
    QCOMPARE(chat.contextUsed(), used);
    QTRY_VERIFY(find("contextUse")->property("text").toString().startsWith(QStringLiteral("Context %1 / ").arg(used)));
}

void TestFirstUse::switchingPrecisionSaysItRereads() {
    app::ChatController& chat = app_->chat();
    chat.setVariantId(bundledId_);
    showPage("navChat");
    QVERIFY(!chatReply("Hello!").isEmpty());
    QCOMPARE(chat.reading(), QString());
    // Same conversation, same variant: the engine carries on from what it read.
    QVERIFY(chat.send("And how are you?"));
    QCOMPARE(chat.reading(), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), kWorkTimeoutMs);

    chat.setVariantId(eightBitId_);
    QList<QPair<int, int>> progress;
    QString shownProgress;
    const auto watch = connect(&chat, &app::ChatController::readingChanged, this, [&] {
        if (chat.readingTotal() > 0) progress.append({chat.readingDone(), chat.readingTotal()});
    });
    QVERIFY(chat.send("Tell me more."));
    QCOMPARE(chat.reading(), QString("Reading the conversation with the 8-bit model…"));
    // On screen while it lasts, with how much is read once the first batch is in.
    QTRY_VERIFY_WITH_TIMEOUT(chat.readingTotal() > 0 || chat.reading().isEmpty(), kWorkTimeoutMs);
    if (QQuickItem* label = find("readingConversationText")) {
        shownProgress = label->property("text").toString();
        gui_.screenshot("first-use-reading-conversation");
    }
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), kWorkTimeoutMs);
    disconnect(watch);
    QCOMPARE(chat.reading(), QString());
    QVERIFY(!find("readingConversation"));
    // The whole conversation was read in batches, each one further on.
    QVERIFY2(progress.size() >= 2, qPrintable(QString::number(progress.size())));
    for (qsizetype i = 1; i < progress.size(); ++i) QVERIFY(progress[i].first > progress[i - 1].first);
    QCOMPARE(progress.last().first, progress.last().second);
    if (!shownProgress.isEmpty())
        QVERIFY2(shownProgress.contains(QRegularExpression(" \\d+ of \\d+ tokens$")), qPrintable(shownProgress));
}

void TestFirstUse::madeMessageGoesWithItsVariant() {
    QVERIFY2(app_->builder().message().startsWith("Made "), qPrintable(app_->builder().message()));
    showPage("navModels");
    QTRY_VERIFY(find("builderMessage"));
    app_->library().deleteVariant(eightBitId_);
    QVERIFY(!app_->variants().variant(eightBitId_));
    QTRY_VERIFY(!find("builderMessage"));
    QCOMPARE(app_->builder().message(), QString());
}

void TestFirstUse::reopensOnLastConversation() {
    const qint64 last = app_->chat().conversationId();
    QVERIFY(last);
    const QString title = app_->chat().title();
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    gui_.stop();
    gui_.start(smol, test::OffscreenApp::FirstRun::Ask);
    QVERIFY(gui_.window());
    app_ = &gui_.app();
    window_ = gui_.window();
    // The first run's question was answered: it is not asked again.
    QVERIFY(!gui_.find("firstRunOffer"));
    QCOMPARE(app_->chat().conversationId(), last);
    QCOMPARE(app_->chat().title(), title);
    QVERIFY(app_->chat().messageList().rowCount() > 0);
}

NIBBLE_GUI_TEST_MAIN(TestFirstUse)

#include "test_first_use.moc"
