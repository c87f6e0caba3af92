// The shared engine never stays stuck on work nobody waits for: an API client
// that hangs up while its long prompt is processed, or a request past its
// deadline, frees the engine within seconds, and the chat window's Stop gets
// it the engine at once, ahead of API work (nothing else preempts the API).
// Real SmolLM2 on the CPU, real HTTP.
#include "api_test_app.h"
#include "chat/chat_controller.h"
#include "chat/conversations_controller.h"
#include "engine_watch.h"
#include "library/model_registration.h"
#include "storage/conversation_store.h"
#include "test_models.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <mutex>
#include <thread>

#include <sys/socket.h>

using namespace nibble;

namespace {

// A short reply on a busy 2-core machine takes seconds; a whole long prompt takes a minute or more.
constexpr int kReplyTimeoutMs = 120'000;
// How soon the engine must be free once its work is cancelled (the prompt itself would take far longer).
constexpr int kFreedWithinMs = 5'000;
constexpr int kContextLength = 4096;

// About 2,300 tokens, numbered so the text does not repeat.
QString longText() {
    QString text;
    for (int i = 1; i <= 170; ++i)
        text += QString("The miller counted %1 sacks of grain on day %2 and wrote it down. ").arg(i * 7).arg(i);
    return text;
}

QByteArray chatBody(const QString& text, int maxTokens) {
    const QJsonObject body{{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", text}}}},
                           {"temperature", 0},
                           {"max_tokens", maxTokens}};
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

struct HttpResult {
    int status = 0;
    QByteArray body;
    qint64 elapsedMs = 0;
};

}  // namespace

class TestApiCancellation : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void hangUpDuringThePromptFreesTheEngine();
    void deadlineCancelsTheEngineWork();
    void chatStopGetsTheEngineAheadOfApiWork();
    void chatRepliesGoBeforeQueuedApiWork();
    void withdrawnChatRequestLeavesApiWorkRunning();
    void chatWindowStopsApiWorkOnlyOnStop();
    void cancelStopsTheRequestsModelLoad();
    void startLoadsOnlyTheLastConversationsModel();

private:
    app::ApiServer& server() { return app_->server; }
    HttpResult post(const QByteArray& body);
    // Sends a long request on a raw socket and returns once the engine is on its prompt.
    void startLongRequest(QTcpSocket& socket);
    app::EngineTarget target() const;

    QTemporaryDir dataDir_;
    std::unique_ptr<test::ApiTestApp> app_;
    QNetworkAccessManager network_;
};

void TestApiCancellation::initTestCase() {
    NIBBLE_REQUIRE_MODEL(model, test::kSmolLM2);
    QVERIFY(dataDir_.isValid());
    app_ = std::make_unique<test::ApiTestApp>(dataDir_.path(), QString::fromStdString(model.string()));
    app_->settings.setContextLength(kContextLength);
    QVERIFY2(server().listen(0), qPrintable(server().error()));
    // Loads the model, so that later requests go straight to their prompts.
    QCOMPARE(post(chatBody("Hello", 2)).status, 200);
}

void TestApiCancellation::init() {
    server().setLimits({});
    QTRY_VERIFY_WITH_TIMEOUT(!app_->engine.busy(), kReplyTimeoutMs);
}

HttpResult TestApiCancellation::post(const QByteArray& body) {
    QNetworkRequest request(QUrl(server().url() + "/chat/completions"));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    request.setRawHeader("Authorization", "Bearer " + app_->settings.apiKey().toUtf8());
    QElapsedTimer timer;
    timer.start();
    QNetworkReply* reply = network_.post(request, body);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(kReplyTimeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished()) loop.exec();
    HttpResult result{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll(),
                      timer.elapsed()};
    reply->deleteLater();
    return result;
}

void TestApiCancellation::startLongRequest(QTcpSocket& socket) {
    const test::EngineWatch engine(app_->engine);
    socket.connectToHost(QHostAddress::LocalHost, server().port());
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray body = chatBody(longText(), 4);
    socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(server().port()) +
                 "\r\nContent-Type: application/json\r\nAuthorization: Bearer " + app_->settings.apiKey().toUtf8() + "\r\n"
                 "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QTRY_VERIFY_WITH_TIMEOUT(engine.started() > 0, kReplyTimeoutMs);
    QVERIFY(server().busy());
}

app::EngineTarget TestApiCancellation::target() const {
    const qint64 variantId = app_->variants.variantIdAt(0);
    const auto variant = app_->variants.variant(variantId);
    return app::EngineTarget::of(variantId, variant ? variant->filePath : QString(), app_->variants.labelOf(variantId),
                                 app_->settings.loadOptions());
}

void TestApiCancellation::hangUpDuringThePromptFreesTheEngine() {
    QTcpSocket client;
    startLongRequest(client);
    QVERIFY(!QTest::currentTestFailed());
    QVERIFY2(app_->engine.busy(), "the long prompt finished before the client hung up");
    // Closes with a reset, as a client killed outright does, so the server
    // learns of it at once, without its probe of a half-closed socket.
    const linger reset{1, 0};
    QCOMPARE(::setsockopt(int(client.socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    client.abort();
    QElapsedTimer sinceHangUp;
    sinceHangUp.start();
    QTRY_VERIFY_WITH_TIMEOUT(!app_->engine.busy(), kFreedWithinMs);
    QVERIFY(!server().busy());

    const HttpResult next = post(chatBody("Say hi.", 4));
    QCOMPARE(next.status, 200);
    QVERIFY2(sinceHangUp.elapsed() < 30'000,
             qPrintable(QString("the next request was answered %1 ms after the hang-up").arg(sinceHangUp.elapsed())));
}

void TestApiCancellation::deadlineCancelsTheEngineWork() {
    app::ApiServer::Limits limits;
    limits.requestTimeoutMs = 1500;
    server().setLimits(limits);
    const HttpResult late = post(chatBody(longText(), 4));
    server().setLimits({});
    QCOMPARE(late.status, 504);
    QVERIFY2(late.elapsedMs < 10'000, qPrintable(QString("the 504 came after %1 ms").arg(late.elapsedMs)));
    // Not only the client was told: the engine stopped working on it.
    QTRY_VERIFY_WITH_TIMEOUT(!app_->engine.busy(), kFreedWithinMs);
    QCOMPARE(post(chatBody("Say hi.", 4)).status, 200);
}

void TestApiCancellation::chatStopGetsTheEngineAheadOfApiWork() {
    QTcpSocket client;
    startLongRequest(client);
    QVERIFY(!QTest::currentTestFailed());
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = 4;
    const auto waiting = app_->engine.generate(target(), {{"user", "Tell me a joke."}}, options);
    QSignalSpy waitingStarted(waiting.get(), &app::EngineReply::started);
    QSignalSpy finished(waiting.get(), &app::EngineReply::finished);
    QTest::qWait(200);
    QCOMPARE(finished.count(), 0);  // it waits behind the API's prompt

    QElapsedTimer sinceStop;
    sinceStop.start();
    waiting->cancelPreemptingApi();
    // The user sends again at once: that reply gets the engine, not the API's prompt.
    const auto next = app_->engine.generate(target(), {{"user", "Tell me a joke."}}, options);
    qint64 startedAfterMs = -1;
    QObject watcher;
    connect(next.get(), &app::EngineReply::started, &watcher, [&] { startedAfterMs = sinceStop.elapsed(); });
    QSignalSpy nextFinished(next.get(), &app::EngineReply::finished);
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 1000);
    QCOMPARE(finished.first().at(0).value<app::GenerationStats>().stopReason, StopReason::Cancelled);
    // It never ran: the context in use is the API request's, not the chat's.
    QCOMPARE(finished.first().at(0).value<app::GenerationStats>().contextUsed, -1);

    // The API request ahead of it was stopped too, with an error its client can read.
    QByteArray received;
    QTRY_VERIFY_WITH_TIMEOUT((received += client.readAll()).contains("\r\n\r\n"), kFreedWithinMs);
    QVERIFY2(received.startsWith("HTTP/1.1 500"), received.constData());
    QVERIFY2(received.contains("chat window"), received.constData());

    // The chat's next reply had the engine within a layer of the model, not
    // after the API's prompt (a minute); the bound allows a busy machine.
    QTRY_VERIFY_WITH_TIMEOUT(startedAfterMs >= 0, kFreedWithinMs);
    QVERIFY(waitingStarted.isEmpty());
    QVERIFY2(startedAfterMs < kFreedWithinMs,
             qPrintable(QString("the chat had the engine %1 ms after Stop").arg(startedAfterMs)));
    QTRY_VERIFY_WITH_TIMEOUT(!nextFinished.isEmpty(), kReplyTimeoutMs);
    QCOMPARE(nextFinished.first().at(0).value<app::GenerationStats>().generatedTokens, 4);
    QCOMPARE(finished.count(), 1);
}

void TestApiCancellation::chatRepliesGoBeforeQueuedApiWork() {
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = 2;
    QStringList order;
    QList<StopReason> reasons;
    QObject watcher;
    const auto record = [&](const app::EngineReply& reply, const QString& name) {
        connect(&reply, &app::EngineReply::finished, &watcher, [&order, &reasons, name](const app::GenerationStats& stats) {
            order << name;
            reasons << stats.stopReason;
        });
    };
    // The first is held on its reply (a count with no end in sight) while the
    // others arrive, and cancelled once they wait.
    GenerateOptions endless = options;
    endless.maxTokens = 2000;
    const auto firstApi =
        app_->engine.generateExact(target(), {{}, std::string("1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"), endless.maxTokens},
                                   endless);
    record(*firstApi, "first API");
    QSignalSpy pieces(firstApi.get(), &app::EngineReply::piece);
    QTRY_VERIFY_WITH_TIMEOUT(!pieces.isEmpty(), kReplyTimeoutMs);
    const auto secondApi =
        app_->engine.generateExact(target(), {{{"user", "Two"}}, std::nullopt, options.maxTokens}, options);
    record(*secondApi, "second API");
    const auto chat = app_->engine.generate(target(), {{"user", "Three"}}, options);
    record(*chat, "chat");
    firstApi->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(order.size(), 3, kReplyTimeoutMs);
    QCOMPARE(order, QStringList({"first API", "chat", "second API"}));
    QVERIFY2(reasons.first() == StopReason::Cancelled, "the first request ended before the others were queued");
}

void TestApiCancellation::withdrawnChatRequestLeavesApiWorkRunning() {
    // As when the user opens another conversation while a reply waits, or
    // stops Compare: only the user's Stop on that reply may stop API work.
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = 64;  // still on its reply when the chat request comes and goes
    const test::EngineWatch engine(app_->engine);
    const auto api = app_->engine.generateExact(
        target(), {{{"user", "Count from one to one hundred."}}, std::nullopt, options.maxTokens}, options);
    QSignalSpy pieces(api.get(), &app::EngineReply::piece);
    QTRY_VERIFY_WITH_TIMEOUT(!pieces.isEmpty(), kReplyTimeoutMs);
    const auto chat = app_->engine.generate(target(), {{"user", "Tell me a joke."}}, options);
    QSignalSpy chatStarted(chat.get(), &app::EngineReply::started);
    chat->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(engine.finished().size() + engine.failed().size(), 2, kReplyTimeoutMs);
    QVERIFY2(engine.failed().isEmpty(), qPrintable(engine.failed().value(0)));
    // The chat's request ended first, at once, having never run.
    QVERIFY(chat->isFinished());
    QVERIFY(chatStarted.isEmpty());
    QCOMPARE(engine.finished().at(0).contextUsed, -1);
    QVERIFY(api->isFinished());
    QVERIFY(engine.finished().at(1).stopReason != StopReason::Cancelled);
}

void TestApiCancellation::chatWindowStopsApiWorkOnlyOnStop() {
    const int maxTokens = app_->settings.maxTokens();
    app_->settings.setMaxTokens(4);
    app::ConversationsController conversations(app_->db);
    app::ChatController chat(app_->db, app_->engine, app_->settings, app_->variants, conversations, 0);
    QVERIFY(chat.send("Hi"));
    QTRY_VERIFY_WITH_TIMEOUT(!chat.generating(), kReplyTimeoutMs);
    const qint64 answered = chat.conversationId();
    const int used = chat.contextUsed();
    QVERIFY(used > 0);

    GenerateOptions counting;
    counting.sampling = SamplingParams::greedy();
    counting.maxTokens = 200;  // still on its reply while the chat's waits
    const app::PromptInput count{{}, std::string("1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"), counting.maxTokens};
    const test::EngineWatch engine(app_->engine);
    const auto api = app_->engine.generateExact(target(), count, counting);
    QSignalSpy pieces(api.get(), &app::EngineReply::piece);
    QSignalSpy finished(api.get(), &app::EngineReply::finished);
    QTRY_VERIFY_WITH_TIMEOUT(!pieces.isEmpty(), kReplyTimeoutMs);
    // Opening another conversation withdraws the waiting reply, and only it.
    QVERIFY(chat.send("And then?"));
    chat.newConversation();
    QTRY_VERIFY_WITH_TIMEOUT(!app_->engine.busy(), kReplyTimeoutMs);
    QVERIFY2(engine.failed().isEmpty(), qPrintable(engine.failed().value(0)));
    QCOMPARE(finished.size(), 1);
    QVERIFY(finished.first().at(0).value<app::GenerationStats>().stopReason != StopReason::Cancelled);

    // The user's Stop on a reply waiting behind API work stops that work; the
    // stopped reply never ran, so the conversation's context count stays.
    chat.openConversation(answered);
    QCOMPARE(chat.contextUsed(), used);
    const auto preempted = app_->engine.generateExact(target(), count, counting);
    QSignalSpy preemptedPieces(preempted.get(), &app::EngineReply::piece);
    QSignalSpy preemptedFailed(preempted.get(), &app::EngineReply::failed);
    QTRY_VERIFY_WITH_TIMEOUT(!preemptedPieces.isEmpty(), kReplyTimeoutMs);
    QVERIFY(chat.send("And then?"));
    chat.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!app_->engine.busy(), kReplyTimeoutMs);
    QCOMPARE(preemptedFailed.size(), 1);
    QCOMPARE(engine.failed().size(), 1);  // the chat's reply itself ended, stopped, not failed
    QCOMPARE(chat.contextUsed(), used);
    app_->settings.setMaxTokens(maxTokens);
}

void TestApiCancellation::cancelStopsTheRequestsModelLoad() {
    app_->engine.unload();
    QTRY_COMPARE(app_->engine.residentVariantId(), 0);
    // Cancelled as its load begins (as a client hanging up then would be): the
    // load is abandoned rather than finished for nobody.
    std::atomic<app::EngineReply*> request{nullptr};
    QObject watcher;
    connect(
        &app_->engine, &app::EngineHost::loadBeginning, &watcher,
        [&](const app::EngineTarget&) {
            while (!request.load()) std::this_thread::yield();  // generateExact has yet to return
            request.load()->cancel();
        },
        Qt::DirectConnection);
    GenerateOptions options;
    options.maxTokens = 2;
    const auto reply =
        app_->engine.generateExact(target(), {{{"user", "Hello"}}, std::nullopt, options.maxTokens}, options);
    QSignalSpy finished(reply.get(), &app::EngineReply::finished);
    request = reply.get();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), kReplyTimeoutMs);
    QCOMPARE(finished.first().at(0).value<app::GenerationStats>().stopReason, StopReason::Cancelled);
    QVERIFY(!app_->engine.loading());
    QCOMPARE(app_->engine.residentVariantId(), 0);
}

void TestApiCancellation::startLoadsOnlyTheLastConversationsModel() {
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    NIBBLE_REQUIRE_MODEL(stories, test::kStories);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    test::ApiTestApp fresh(dir.path(), QString::fromStdString(smol.string()));
    const qint64 conversationVariant = fresh.variants.variantIdAt(0);
    const qint64 lastUsed =
        app::registerModelFile(fresh.db, QString::fromStdString(stories.string()), storage::VariantOrigin::Imported).id;
    fresh.variants.reload();
    QVERIFY(conversationVariant && lastUsed && conversationVariant != lastUsed);
    fresh.settings.setLastVariantId(lastUsed);
    storage::ConversationStore(fresh.db).create(conversationVariant);

    std::mutex loadsMutex;
    QList<qint64> loads;
    QObject watcher;
    connect(
        &fresh.engine, &app::EngineHost::loadBeginning, &watcher,
        [&](const app::EngineTarget& target) {
            const std::lock_guard lock(loadsMutex);
            loads << target.variantId;
        },
        Qt::DirectConnection);
    app::ConversationsController conversations(fresh.db);
    app::ChatController chat(fresh.db, fresh.engine, fresh.settings, fresh.variants, conversations, 0);
    QCOMPARE(chat.variantId(), conversationVariant);
    QTRY_COMPARE_WITH_TIMEOUT(fresh.engine.residentVariantId(), conversationVariant, kReplyTimeoutMs);
    const std::lock_guard lock(loadsMutex);
    QCOMPARE(loads, QList<qint64>({conversationVariant}));
}

QTEST_MAIN(TestApiCancellation)
#include "test_api_cancellation.moc"
