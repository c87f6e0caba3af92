// Drives the API server with real HTTP clients (QNetworkAccessManager, curl
// and a raw socket) and the real SmolLM2 model: replies, streams, hang-ups,
// many clients at once, and requests it must refuse.
#include "api_test_app.h"
#include "test_models.h"

#include "storage/conversation_store.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace nibble;

namespace {

// A 135M model on a shared 2-core machine: seconds per short reply, much more under sanitizers.
constexpr int kReplyTimeoutMs = 120'000;

struct HttpResult {
    int status = 0;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    bool finished = false;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString errorCode() const { return json().value("error").toObject().value("code").toString(); }
};

HttpResult waitFor(QNetworkReply* reply) {
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(kReplyTimeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished()) loop.exec();
    HttpResult result;
    result.finished = reply->isFinished();
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.error = reply->error();
    reply->deleteLater();
    return result;
}

QJsonObject chatBody(const QString& text, int maxTokens, bool stream = false) {
    return {{"model", "SmolLM2-135M-Instruct/Q4_1"},
            {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", text}}}},
            {"temperature", 0},
            {"seed", 7},
            {"max_tokens", maxTokens},
            {"stream", stream}};
}

QByteArray compact(const QJsonObject& object) { return QJsonDocument(object).toJson(QJsonDocument::Compact); }

// What a server-sent-event stream said, with everything a client relies on checked.
struct ParsedStream {
    QString content;
    QString finishReason;
    QString error;  // empty when the stream is well formed
};

ParsedStream parseStream(const QByteArray& body) {
    ParsedStream parsed;
    const QList<QByteArray> events = body.split('\n');
    QString id;
    bool done = false, sawRole = false;
    for (const QByteArray& line : events) {
        if (line.isEmpty()) continue;
        if (done) return {{}, {}, "data after [DONE]: " + QString::fromUtf8(line)};
        if (!line.startsWith("data: ")) return {{}, {}, "a line that is not an event: " + QString::fromUtf8(line)};
        const QByteArray data = line.mid(6);
        if (data == "[DONE]") {
            done = true;
            continue;
        }
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(data, &error);
        if (error.error != QJsonParseError::NoError || !document.isObject())
            return {{}, {}, "an event that is not JSON: " + QString::fromUtf8(data)};
        const QJsonObject chunk = document.object();
        if (chunk.value("object") != "chat.completion.chunk") return {{}, {}, "wrong object: " + QString::fromUtf8(data)};
        if (id.isEmpty()) id = chunk.value("id").toString();
        if (id.isEmpty() || chunk.value("id") != id) return {{}, {}, "the chunks' ids differ"};
        if (!chunk.value("created").isDouble() || chunk.value("model").toString().isEmpty())
            return {{}, {}, "a chunk without created or model"};
        const QJsonArray choices = chunk.value("choices").toArray();
        if (choices.size() != 1) return {{}, {}, "a chunk without exactly one choice"};
        const QJsonObject choice = choices.first().toObject();
        if (choice.value("index").toInt(-1) != 0) return {{}, {}, "a choice without index 0"};
        const QJsonObject delta = choice.value("delta").toObject();
        if (delta.contains("role")) sawRole = delta.value("role") == "assistant";
        parsed.content += delta.value("content").toString();
        if (!choice.value("finish_reason").isNull()) {
            if (!parsed.finishReason.isEmpty()) return {{}, {}, "two finish reasons"};
            parsed.finishReason = choice.value("finish_reason").toString();
        }
    }
    if (!done) return {{}, {}, "no [DONE]"};
    if (!sawRole) return {{}, {}, "no assistant role delta"};
    if (parsed.finishReason.isEmpty()) return {{}, {}, "no finish reason"};
    return parsed;
}

struct CurlResult {
    int exitCode = -1;
    bool finished = false;
    QByteArray out;
    QByteArray err;
};

// Runs curl while this thread's event loop keeps serving it (the server lives here too).
CurlResult curl(const QStringList& arguments) {
    QProcess process;
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&process, &QProcess::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(kReplyTimeoutMs + 10'000, &loop, &QEventLoop::quit);
    process.start("curl", QStringList{"-sS", "--max-time", "120"} + arguments);
    loop.exec();
    CurlResult result;
    result.finished = process.state() == QProcess::NotRunning && process.exitStatus() == QProcess::NormalExit;
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

}  // namespace

class TestApiServer : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void listsEveryVariant();
    void streamMatchesNonStreamingReply();
    void curlStreamsAndExits();
    void completionsContinueRawText();
    void hangingUpStopsTheGeneration();
    void twentyConcurrentClientsServedInTurn();
    void queuesBehindTheChatWindowsReply();
    void malformedRequestsGetClearErrors();
    void wrongKeyIsUnauthorized();
    void storesConversationsOnlyWhenAsked();
    void timedOutRequestIsAnswered();

private:
    QNetworkReply* post(const QString& path, const QByteArray& body, const QByteArray& key = {});
    QString url(const QString& path) const { return server().url() + path; }
    app::ApiServer& server() const { return app_->server; }
    // The greedy reply both streaming clients must reproduce.
    QJsonObject greedyReply();

    QTemporaryDir dataDir_;
    std::unique_ptr<test::ApiTestApp> app_;
    QNetworkAccessManager network_;
    QJsonObject greedy_;
};

void TestApiServer::initTestCase() {
    NIBBLE_REQUIRE_MODEL(model, test::kSmolLM2);
    QVERIFY(dataDir_.isValid());
    app_ = std::make_unique<test::ApiTestApp>(dataDir_.path(), QString::fromStdString(model.string()));
    QVERIFY2(server().listen(0), qPrintable(server().error()));
    QVERIFY(server().port() > 0);
    QVERIFY(server().url().startsWith("http://127.0.0.1:"));
}

void TestApiServer::cleanupTestCase() {
    if (!app_) return;
    server().stop();
    QVERIFY(!server().running());
}

QNetworkReply* TestApiServer::post(const QString& path, const QByteArray& body, const QByteArray& key) {
    QNetworkRequest request(QUrl(url(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    if (!key.isEmpty()) request.setRawHeader("Authorization", "Bearer " + key);
    request.setTransferTimeout(kReplyTimeoutMs);
    return network_.post(request, body);
}

QJsonObject TestApiServer::greedyReply() {
    if (greedy_.isEmpty()) {
        const HttpResult result = waitFor(post("/chat/completions", compact(chatBody("Name three colours.", 24))));
        if (result.status == 200) greedy_ = result.json();
    }
    return greedy_;
}

void TestApiServer::listsEveryVariant() {
    const HttpResult result = waitFor(network_.get(QNetworkRequest(QUrl(url("/models")))));
    QCOMPARE(result.status, 200);
    const QJsonObject list = result.json();
    QCOMPARE(list.value("object").toString(), "list");
    const QJsonArray data = list.value("data").toArray();
    QCOMPARE(data.size(), app_->variants.rowCount());
    QCOMPARE(data.first().toObject().value("id").toString(), "SmolLM2-135M-Instruct/Q4_1");
    QCOMPARE(data.first().toObject().value("object").toString(), "model");
}

void TestApiServer::streamMatchesNonStreamingReply() {
    const QJsonObject reply = greedyReply();
    QCOMPARE(reply.value("object").toString(), "chat.completion");
    QVERIFY(reply.value("id").toString().startsWith("chatcmpl-"));
    QCOMPARE(reply.value("model").toString(), "SmolLM2-135M-Instruct/Q4_1");
    const QJsonObject choice = reply.value("choices").toArray().first().toObject();
    const QString content = choice.value("message").toObject().value("content").toString();
    QVERIFY(!content.trimmed().isEmpty());
    QCOMPARE(choice.value("message").toObject().value("role").toString(), "assistant");
    const QJsonObject usage = reply.value("usage").toObject();
    QVERIFY(usage.value("prompt_tokens").toInt() > 5);
    QVERIFY(usage.value("completion_tokens").toInt() > 0);
    QVERIFY(usage.value("completion_tokens").toInt() <= 24);
    QCOMPARE(usage.value("total_tokens").toInt(),
             usage.value("prompt_tokens").toInt() + usage.value("completion_tokens").toInt());
    const QString finish = choice.value("finish_reason").toString();
    QCOMPARE(finish, usage.value("completion_tokens").toInt() == 24 ? "length" : "stop");

    const HttpResult streamed = waitFor(post("/chat/completions", compact(chatBody("Name three colours.", 24, true))));
    QVERIFY(streamed.finished);
    QCOMPARE(streamed.error, QNetworkReply::NoError);
    QCOMPARE(streamed.status, 200);
    const ParsedStream parsed = parseStream(streamed.body);
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
    QCOMPARE(parsed.content, content);
    QCOMPARE(parsed.finishReason, finish);
}

void TestApiServer::curlStreamsAndExits() {
    const QString content =
        greedyReply().value("choices").toArray().first().toObject().value("message").toObject().value("content").toString();
    QVERIFY(!content.isEmpty());
    const CurlResult streamed = curl({"-N", "-H", "Content-Type: application/json", "--data-binary",
                                      QString::fromUtf8(compact(chatBody("Name three colours.", 24, true))),
                                      url("/chat/completions")});
    QVERIFY2(streamed.finished, "curl hung after the stream");
    QVERIFY2(streamed.exitCode == 0, streamed.err.constData());
    const ParsedStream parsed = parseStream(streamed.out);
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
    QCOMPARE(parsed.content, content);

    const CurlResult whole = curl({"-w", "\n%{http_code}", "-H", "Content-Type: application/json", "--data-binary",
                                   QString::fromUtf8(compact(chatBody("Name three colours.", 24))),
                                   url("/chat/completions")});
    QVERIFY(whole.finished);
    QCOMPARE(whole.exitCode, 0);
    const qsizetype split = whole.out.lastIndexOf('\n');
    QCOMPARE(whole.out.mid(split + 1), QByteArray("200"));
    const QJsonObject reply = QJsonDocument::fromJson(whole.out.left(split)).object();
    QCOMPARE(reply.value("choices").toArray().first().toObject().value("message").toObject().value("content").toString(),
             content);
}

void TestApiServer::completionsContinueRawText() {
    const QJsonObject body{{"model", "SmolLM2-135M-Instruct"}, {"prompt", "Once upon a time"}, {"max_tokens", 4},
                           {"temperature", 0}};
    const HttpResult result = waitFor(post("/completions", compact(body)));
    QCOMPARE(result.status, 200);
    const QJsonObject reply = result.json();
    QCOMPARE(reply.value("object").toString(), "text_completion");
    QCOMPARE(reply.value("model").toString(), "SmolLM2-135M-Instruct/Q4_1");
    const QJsonObject choice = reply.value("choices").toArray().first().toObject();
    QVERIFY(!choice.value("text").toString().isEmpty());
    QCOMPARE(choice.value("finish_reason").toString(), "length");
    QCOMPARE(reply.value("usage").toObject().value("completion_tokens").toInt(), 4);
}

void TestApiServer::hangingUpStopsTheGeneration() {
    QSignalSpy finished(&app_->engine, &app::EngineHost::generationFinished);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server().port());
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray body = compact(chatBody("Write a long story about a dragon.", 400, true));
    socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray received;
    // The role chunk and at least one piece of content, then hang up.
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).count("data: ") >= 3, kReplyTimeoutMs);
    QVERIFY(received.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(received.contains("Transfer-Encoding: chunked\r\n"));
    socket.abort();

    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 30'000);
    const auto stats = finished.takeLast().at(1).value<app::GenerationStats>();
    QCOMPARE(stats.stopReason, StopReason::Cancelled);
    QVERIFY(stats.generatedTokens < 400);
    QTRY_VERIFY(!server().busy());

    const HttpResult next = waitFor(post("/chat/completions", compact(chatBody("Hi", 4))));
    QCOMPARE(next.status, 200);
}

void TestApiServer::twentyConcurrentClientsServedInTurn() {
    constexpr int kClients = 20;
    int mostWaiting = 0;
    QObject watcher;
    connect(&server(), &app::ApiServer::activityChanged, &watcher,
            [&] { mostWaiting = std::max(mostWaiting, server().waiting()); });
    // One manager per client, so every client has its own connection open at once.
    std::vector<std::unique_ptr<QNetworkAccessManager>> clients;
    std::vector<QNetworkReply*> replies;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<QNetworkAccessManager>());
        QNetworkRequest request(QUrl(url("/chat/completions")));
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        request.setTransferTimeout(kReplyTimeoutMs * 2);
        replies.push_back(clients.back()->post(request, compact(chatBody(QString("Count to %1.").arg(i), 4, i % 2))));
    }
    for (int i = 0; i < kClients; ++i) {
        const HttpResult result = waitFor(replies[i]);
        QVERIFY2(result.finished, qPrintable(QString("client %1 got no answer").arg(i)));
        QCOMPARE(result.status, 200);
        const QString text =
            i % 2 ? parseStream(result.body).content
                  : result.json().value("choices").toArray().first().toObject().value("message").toObject().value("content").toString();
        QVERIFY2(!text.isEmpty(), qPrintable(QString("client %1: %2").arg(i).arg(QString::fromUtf8(result.body))));
    }
    QVERIFY2(mostWaiting >= 5, "the requests were not queued at once");
    QVERIFY(!server().busy());
    QCOMPARE(server().waiting(), 0);
}

void TestApiServer::queuesBehindTheChatWindowsReply() {
    const auto variant = app_->variants.variant(app_->variants.variantIdAt(0));
    QVERIFY(variant);
    app::EngineTarget target;
    target.variantId = variant->id;
    target.filePath = variant->filePath;
    target.backend = BackendKind::Cpu;
    target.contextLength = test::ApiTestApp::kContextLength;
    GenerateOptions options;
    options.maxTokens = 16;
    options.sampling = SamplingParams::greedy();
    QStringList order;
    QObject watcher;
    const quint64 guiId = app_->engine.generate(target, {{"user", "Tell me a joke."}}, options);
    connect(&app_->engine, &app::EngineHost::generationFinished, &watcher, [&](quint64 id) {
        if (id == guiId) order << "gui";
    });
    QVERIFY(app_->engine.busy());
    QNetworkReply* reply = post("/chat/completions", compact(chatBody("Hi", 4)));
    connect(reply, &QNetworkReply::finished, &watcher, [&] { order << "api"; });
    const HttpResult result = waitFor(reply);
    QCOMPARE(result.status, 200);
    QCOMPARE(order, QStringList({"gui", "api"}));
}

void TestApiServer::malformedRequestsGetClearErrors() {
    struct Case {
        const char* name;
        QString path;
        QByteArray body;
        int status;
        QString code;
    };
    const QString tooLong = QString("lorem ipsum dolor sit amet ").repeated(200);
    QJsonObject unknownModel = chatBody("Hi", 4);
    unknownModel["model"] = "no-such-model";
    QJsonObject noMessages = chatBody("Hi", 4);
    noMessages.remove("messages");
    QJsonObject badTemperature = chatBody("Hi", 4);
    badTemperature["temperature"] = "hot";
    const QList<Case> cases{
        {"bad JSON", "/chat/completions", "{\"model\": ", 400, "invalid_json"},
        {"not an object", "/chat/completions", "[1, 2]", 400, "invalid_json"},
        {"missing messages", "/chat/completions", compact(noMessages), 400, "missing_messages"},
        {"bad temperature", "/chat/completions", compact(badTemperature), 400, "invalid_value"},
        {"unknown model", "/chat/completions", compact(unknownModel), 404, "model_not_found"},
        {"context overflow", "/chat/completions", compact(chatBody(tooLong, 4)), 400, "context_length_exceeded"},
        {"too large", "/chat/completions", QByteArray(2 * 1024 * 1024, 'x'), 413, "request_too_large"},
        {"unknown route", "/engines", "{}", 404, "not_found"},
    };
    for (const Case& c : cases) {
        const HttpResult result = waitFor(post(c.path, c.body));
        QVERIFY2(result.status == c.status,
                 qPrintable(QString("%1: status %2, body %3").arg(c.name).arg(result.status).arg(QString::fromUtf8(result.body))));
        QVERIFY2(result.errorCode() == c.code, qPrintable(QString("%1: %2").arg(c.name, QString::fromUtf8(result.body))));
        QVERIFY(!result.json().value("error").toObject().value("message").toString().isEmpty());
        QVERIFY(result.json().value("error").toObject().contains("type"));
    }
    const CurlResult badJson = curl({"-w", "%{http_code}", "-o", "/dev/null", "-H", "Content-Type: application/json",
                                     "--data-binary", "not json", url("/chat/completions")});
    QCOMPARE(badJson.out, QByteArray("400"));

    const HttpResult healthy = waitFor(post("/chat/completions", compact(chatBody("Hi", 4))));
    QCOMPARE(healthy.status, 200);
}

void TestApiServer::wrongKeyIsUnauthorized() {
    app_->settings.setApiKey("s3cret");
    const HttpResult none = waitFor(post("/chat/completions", compact(chatBody("Hi", 4))));
    const HttpResult wrong = waitFor(post("/chat/completions", compact(chatBody("Hi", 4)), "guess"));
    const HttpResult right = waitFor(post("/chat/completions", compact(chatBody("Hi", 4)), "s3cret"));
    app_->settings.setApiKey({});
    QCOMPARE(none.status, 401);
    QCOMPARE(none.errorCode(), "invalid_api_key");
    QCOMPARE(wrong.status, 401);
    QCOMPARE(right.status, 200);
}

void TestApiServer::storesConversationsOnlyWhenAsked() {
    storage::ConversationStore conversations(app_->db);
    const qsizetype before = conversations.list().size();
    QCOMPARE(waitFor(post("/chat/completions", compact(chatBody("Remember me?", 4)))).status, 200);
    QCOMPARE(conversations.list().size(), before);

    app_->settings.setApiStoresConversations(true);
    QCOMPARE(waitFor(post("/chat/completions", compact(chatBody("Remember me?", 4)))).status, 200);
    app_->settings.setApiStoresConversations(false);
    QCOMPARE(conversations.list().size(), before + 1);
    QCOMPARE(conversations.list().first().title, "Remember me?");
}

void TestApiServer::timedOutRequestIsAnswered() {
    app::ApiServer::Limits limits;
    limits.requestTimeoutMs = 1;
    server().setLimits(limits);
    const HttpResult result = waitFor(post("/chat/completions", compact(chatBody("Hi", 4))));
    server().setLimits({});
    QCOMPARE(result.status, 504);
    QCOMPARE(result.errorCode(), "timeout");
    QTRY_VERIFY_WITH_TIMEOUT(!server().busy(), kReplyTimeoutMs);
    QCOMPARE(waitFor(post("/chat/completions", compact(chatBody("Hi", 4)))).status, 200);
}

QTEST_MAIN(TestApiServer)
#include "test_api_server.moc"
