// Drives the API server with real HTTP clients (QNetworkAccessManager, curl
// and raw sockets writing exact bytes) and the real SmolLM2 model: replies,
// streams, hang-ups, many clients at once, requests it must refuse (web
// pages, missing keys, malformed HTTP and JSON), and what it saves.
#include "api_test_app.h"
#include "engine_watch.h"
#include "test_models.h"

#include "storage/conversation_store.h"
#include "storage/database.h"
#include "storage/message_store.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

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

// About 10 tokens per sentence, numbered so the text does not repeat.
QString numberedText(int sentences, const QString& topic) {
    QString text;
    for (int i = 1; i <= sentences; ++i) text += QString("The %1 was seen on day %2. ").arg(topic).arg(i);
    return text;
}

// Three turns filling half the 512-token context or more: a long reply to
// them is exactly what once made the engine drop the first two unasked.
QJsonArray longConversation() {
    return {QJsonObject{{"role", "user"}, {"content", numberedText(14, "heron")}},
            QJsonObject{{"role", "assistant"}, {"content", numberedText(12, "miller")}},
            QJsonObject{{"role", "user"}, {"content", "Who was seen first?"}}};
}

// The counts an OpenAI context_length_exceeded message states.
struct ContextCounts {
    int context = -1;
    int requested = -1;
    int prompt = -1;
    QString promptPart;  // "messages" or "prompt"
    int completion = -1;
};

ContextCounts contextCounts(const QString& message) {
    static const QRegularExpression pattern(
        R"(^This model's maximum context length is (\d+) tokens\. However, you requested (\d+) tokens \((\d+) in )"
        R"(the (messages|prompt), (\d+) in the completion\)\. Please reduce the length of the \4 or completion\.$)");
    const QRegularExpressionMatch match = pattern.match(message);
    if (!match.hasMatch()) return {};
    return {match.captured(1).toInt(), match.captured(2).toInt(), match.captured(3).toInt(), match.captured(4),
            match.captured(5).toInt()};
}

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

// An answer read off a raw socket, up to the server's close.
struct RawResponse {
    QByteArray bytes;

    // The final answer, after any interim 1xx ones.
    QByteArray final() const {
        QByteArray rest = bytes;
        while (rest.startsWith("HTTP/1.1 1") && rest.contains("\r\n\r\n")) rest = rest.mid(rest.indexOf("\r\n\r\n") + 4);
        return rest;
    }
    int status() const {
        const QByteArray answer = final();
        if (!answer.startsWith("HTTP/1.1 ")) return 0;
        return answer.mid(9, 3).toInt();
    }
    QByteArray head() const { return final().left(final().indexOf("\r\n\r\n")); }
    QByteArray body() const { return final().mid(final().indexOf("\r\n\r\n") + 4); }
    QByteArray header(const QByteArray& name) const {
        for (const QByteArray& line : head().split('\n'))
            if (line.toLower().startsWith(name.toLower() + ':')) return line.mid(name.size() + 1).trimmed();
        return {};
    }
    QJsonObject error() const { return QJsonDocument::fromJson(body()).object().value("error").toObject(); }
    QString errorCode() const { return error().value("code").toString(); }
    QString describe() const { return QString::fromUtf8(bytes.left(600)); }
};

// The data of a chunked body, its framing taken off.
QByteArray dechunk(const QByteArray& body) {
    QByteArray data;
    qsizetype at = 0;
    while (at < body.size()) {
        const qsizetype lineEnd = body.indexOf("\r\n", at);
        bool ok = false;
        const qsizetype size = lineEnd < 0 ? 0 : body.mid(at, lineEnd - at).toLongLong(&ok, 16);
        if (!ok || size == 0) break;
        data += body.mid(lineEnd + 2, size);
        at = lineEnd + 2 + size + 2;
    }
    return data;
}

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

QByteArray httpRequest(const QByteArray& method, const QByteArray& path, const HeaderList& headers,
                       const QByteArray& body = {}) {
    QByteArray request = method + ' ' + path + " HTTP/1.1\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    return request + "\r\n" + body;
}

HeaderList withHeader(HeaderList headers, const QByteArray& name, const QByteArray& value) {
    headers.removeIf([&](const auto& header) { return header.first.toLower() == name.toLower(); });
    if (!value.isNull()) headers.append({name, value});
    return headers;
}

// Sends bytes on a fresh connection and reads until the server closes it;
// shutDownSending closes our side once the request is out (a half-close).
RawResponse exchange(quint16 port, const QByteArray& bytes, bool shutDownSending = false) {
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000)) return {};
    socket.write(bytes);
    while (socket.bytesToWrite() > 0 && socket.waitForBytesWritten(5000)) {
    }
    if (shutDownSending) ::shutdown(int(socket.socketDescriptor()), SHUT_WR);
    RawResponse response;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < kReplyTimeoutMs) {
        QTest::qWait(5);
        response.bytes += socket.readAll();
    }
    response.bytes += socket.readAll();
    return response;
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
    void keyIsMadeOnFirstEnable();
    void refusesRequestsForOtherHosts();
    void refusesForeignOrigins();
    void allowedOriginGetsCors();
    void postMustSayJson();
    void keyIsRequired();
    void duplicateContentLengthIsRefused();
    void wrongJsonTypesAreRefused();
    void emptyPromptIsRefused();
    void chatTemplateFailureIsReported();
    void oversizedChatIsRefusedWithItsCounts();
    void replyWithoutMaxTokensFillsTheRoomLeft();
    void oversizedCompletionIsRefusedWithItsCounts();
    void fullQueueAnswerIsReadable();
    void tooManyConnectionsAnswerIsReadable();
    void halfClosedRequestIsAnswered();
    void closingBeforeTheAnswerStopsTheGeneration();
    void failedSaveLeavesNoConversation();
    void replyIsSavedBeforeTheStreamEnds();
    void replyIsSavedBeforeTheResponse();

private:
    QNetworkReply* post(const QString& path, const QByteArray& body);
    QNetworkRequest request(const QString& path) const;
    QByteArray key() const { return app_->settings.apiKey().toUtf8(); }
    // What a well-behaved client sends: Host, key and, for a body, its type and length.
    HeaderList headers(const QByteArray& body = {}) const;
    RawResponse exchange(const QByteArray& bytes, bool shutDownSending = false) const {
        return ::exchange(server().port(), bytes, shutDownSending);
    }
    // Runs a chat request from another thread with its own database
    // connection, which looks for the saved reply the moment it has read the
    // whole answer; returns the messages it found.
    void savedWhenAnswered(const QString& prompt, bool stream, QString* reply, QList<storage::Message>* saved);
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

QNetworkRequest TestApiServer::request(const QString& path) const {
    QNetworkRequest request(QUrl(url(path)));
    request.setRawHeader("Authorization", "Bearer " + key());
    request.setTransferTimeout(kReplyTimeoutMs);
    return request;
}

QNetworkReply* TestApiServer::post(const QString& path, const QByteArray& body) {
    QNetworkRequest request = this->request(path);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    return network_.post(request, body);
}

HeaderList TestApiServer::headers(const QByteArray& body) const {
    HeaderList list{{"Host", "127.0.0.1:" + QByteArray::number(server().port())}, {"Authorization", "Bearer " + key()}};
    if (!body.isEmpty()) {
        list.append(HeaderList::value_type{"Content-Type", "application/json"});
        list.append(HeaderList::value_type{"Content-Length", QByteArray::number(body.size())});
    }
    return list;
}

QJsonObject TestApiServer::greedyReply() {
    if (greedy_.isEmpty()) {
        const HttpResult result = waitFor(post("/chat/completions", compact(chatBody("Name three colours.", 24))));
        if (result.status == 200) greedy_ = result.json();
    }
    return greedy_;
}

void TestApiServer::listsEveryVariant() {
    const HttpResult result = waitFor(network_.get(request("/models")));
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
    const CurlResult streamed = curl({"-N", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer " + key(),
                                      "--data-binary",
                                      QString::fromUtf8(compact(chatBody("Name three colours.", 24, true))),
                                      url("/chat/completions")});
    QVERIFY2(streamed.finished, "curl hung after the stream");
    QVERIFY2(streamed.exitCode == 0, streamed.err.constData());
    const ParsedStream parsed = parseStream(streamed.out);
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
    QCOMPARE(parsed.content, content);

    const CurlResult whole = curl({"-w", "\n%{http_code}", "-H", "Content-Type: application/json", "-H",
                                   "Authorization: Bearer " + key(), "--data-binary",
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
    const test::EngineWatch engine(app_->engine);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server().port());
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray body = compact(chatBody("Write a long story about a dragon.", 400, true));
    socket.write(httpRequest("POST", "/v1/chat/completions", headers(body), body));
    QByteArray received;
    // The role chunk and at least one piece of content, then hang up.
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll()).count("data: ") >= 3, kReplyTimeoutMs);
    QVERIFY(received.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(received.contains("Transfer-Encoding: chunked\r\n"));
    socket.abort();

    QTRY_VERIFY_WITH_TIMEOUT(!engine.finished().isEmpty(), 30'000);
    const app::GenerationStats stats = engine.finished().last();
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
        QNetworkRequest request = this->request("/chat/completions");
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
    const auto gui = app_->engine.generate(target, {{"user", "Tell me a joke."}}, options);
    connect(gui.get(), &app::EngineReply::finished, &watcher, [&] { order << "gui"; });
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
                                     "-H", "Authorization: Bearer " + key(), "--data-binary", "not json",
                                     url("/chat/completions")});
    QCOMPARE(badJson.out, QByteArray("400"));

    const HttpResult healthy = waitFor(post("/chat/completions", compact(chatBody("Hi", 4))));
    QCOMPARE(healthy.status, 200);
}

void TestApiServer::wrongKeyIsUnauthorized() {
    QNetworkRequest none(QUrl(url("/chat/completions")));
    none.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkRequest wrong = none;
    wrong.setRawHeader("Authorization", "Bearer guess");
    const HttpResult withoutKey = waitFor(network_.post(none, compact(chatBody("Hi", 4))));
    const HttpResult withWrongKey = waitFor(network_.post(wrong, compact(chatBody("Hi", 4))));
    const HttpResult withKey = waitFor(post("/chat/completions", compact(chatBody("Hi", 4))));
    QCOMPARE(withoutKey.status, 401);
    QCOMPARE(withoutKey.errorCode(), "invalid_api_key");
    QCOMPARE(withWrongKey.status, 401);
    QCOMPARE(withKey.status, 200);
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

void TestApiServer::keyIsMadeOnFirstEnable() {
    // listen() in initTestCase made one, as turning the server on does.
    QVERIFY(key().startsWith("nb-"));
    QVERIFY(key().size() >= 3 + 43);
    QTemporaryDir folder;
    app::AppSettings fresh(folder.path() + "/settings.ini", folder.path());
    QVERIFY(fresh.apiKey().isEmpty());
    fresh.setApiEnabled(true);
    const QString made = fresh.apiKey();
    QVERIFY(made.startsWith("nb-"));
    fresh.setApiEnabled(false);
    fresh.setApiEnabled(true);
    QCOMPARE(fresh.apiKey(), made);
    fresh.regenerateApiKey();
    QVERIFY(fresh.apiKey() != made);
    QVERIFY(fresh.apiKey() != key());
}

void TestApiServer::refusesRequestsForOtherHosts() {
    const QByteArray port = QByteArray::number(server().port());
    const QList<QPair<QByteArray, int>> cases{
        {"evil.example:" + port, 403},  // DNS rebinding: the page's name, our address
        {"localhost.evil.example:" + port, 403},
        {"127.0.0.1", 403},  // no port: 80
        {"127.0.0.1:" + QByteArray::number(server().port() + 1), 403},
        {"localhost:" + port, 200},
        {"127.0.0.1:" + port, 200},
        {"[::1]:" + port, 200},
    };
    for (const auto& [host, status] : cases) {
        const RawResponse response = exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Host", host)));
        QVERIFY2(response.status() == status, qPrintable(host + " -> " + response.describe()));
        if (status == 403) {
            QCOMPARE(response.errorCode(), "invalid_host");
            QVERIFY(!response.body().contains("SmolLM2"));
        }
    }
    const RawResponse noHost = exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Host", {})));
    QCOMPARE(noHost.status(), 403);
    HeaderList twoHosts = headers();
    twoHosts.append(HeaderList::value_type{"Host", "evil.example:" + port});
    QCOMPARE(exchange(httpRequest("GET", "/v1/models", twoHosts)).status(), 400);
    // A rebound page's POST is refused before anything runs.
    const QByteArray body = compact(chatBody("Hi", 4));
    const RawResponse post = exchange(
        httpRequest("POST", "/v1/chat/completions", withHeader(headers(body), "Host", "evil.example:" + port), body));
    QCOMPARE(post.status(), 403);
    QCOMPARE(post.errorCode(), "invalid_host");
}

void TestApiServer::refusesForeignOrigins() {
    const QByteArray body = compact(chatBody("Hi", 4));
    storage::ConversationStore conversations(app_->db);
    const qsizetype before = conversations.list().size();
    app_->settings.setApiStoresConversations(true);
    // What a page's fetch() sends, key and all (a page could have guessed or stolen it).
    const RawResponse post = exchange(httpRequest(
        "POST", "/v1/chat/completions", withHeader(headers(body), "Origin", "https://evil.example"), body));
    const RawResponse models =
        exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Origin", "https://evil.example")));
    const RawResponse localPage = exchange(httpRequest(
        "GET", "/v1/models", withHeader(headers(), "Origin", "http://localhost:" + QByteArray::number(server().port()))));
    const RawResponse otherLocalPort =
        exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Origin", "http://localhost:3000")));
    const RawResponse sandboxed = exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Origin", "null")));
    app_->settings.setApiStoresConversations(false);
    QVERIFY2(post.status() == 403, qPrintable(post.describe()));
    QCOMPARE(post.errorCode(), "forbidden_origin");
    QVERIFY(post.error().value("message").toString().contains("https://evil.example"));
    QCOMPARE(conversations.list().size(), before);
    QCOMPARE(models.status(), 403);
    QVERIFY(models.header("Access-Control-Allow-Origin").isEmpty());
    QCOMPARE(localPage.status(), 200);
    QCOMPARE(otherLocalPort.status(), 403);
    QCOMPARE(sandboxed.status(), 403);
}

void TestApiServer::allowedOriginGetsCors() {
    app_->settings.setApiAllowedOrigins({"https://Tool.Example/", "not an origin"});
    QCOMPARE(app_->settings.apiAllowedOrigins(), QStringList{"https://tool.example"});
    const RawResponse models =
        exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Origin", "https://tool.example")));
    HeaderList preflight{{"Host", "127.0.0.1:" + QByteArray::number(server().port())},
                         {"Origin", "https://tool.example"},
                         {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "authorization, content-type"}};
    const RawResponse allowedPreflight = exchange(httpRequest("OPTIONS", "/v1/chat/completions", preflight));
    const RawResponse foreignPreflight = exchange(
        httpRequest("OPTIONS", "/v1/chat/completions", withHeader(preflight, "Origin", "https://evil.example")));
    const RawResponse stillForeign =
        exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Origin", "https://evil.example")));
    const RawResponse noKey = exchange(httpRequest(
        "GET", "/v1/models", withHeader(withHeader(headers(), "Origin", "https://tool.example"), "Authorization", {})));
    app_->settings.setApiAllowedOrigins({});
    const RawResponse afterRemoval =
        exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Origin", "https://tool.example")));

    QVERIFY2(models.status() == 200, qPrintable(models.describe()));
    QCOMPARE(models.header("Access-Control-Allow-Origin"), QByteArray("https://tool.example"));
    QCOMPARE(allowedPreflight.status(), 204);
    QCOMPARE(allowedPreflight.header("Access-Control-Allow-Origin"), QByteArray("https://tool.example"));
    QVERIFY(allowedPreflight.header("Access-Control-Allow-Headers").contains("Authorization"));
    QCOMPARE(foreignPreflight.status(), 403);
    QCOMPARE(stillForeign.status(), 403);
    QCOMPARE(noKey.status(), 401);  // an allowed page still needs the key
    QCOMPARE(afterRemoval.status(), 403);
}

void TestApiServer::postMustSayJson() {
    const QByteArray body = compact(chatBody("Hi", 1));
    const auto postAs = [&](const QByteArray& contentType) {
        return exchange(httpRequest("POST", "/v1/chat/completions",
                                    withHeader(headers(body), "Content-Type", contentType), body));
    };
    // A page's "simple" cross-site POST, which skips the browser's preflight.
    const RawResponse plain = postAs("text/plain");
    QVERIFY2(plain.status() == 415, qPrintable(plain.describe()));
    QCOMPARE(plain.errorCode(), "unsupported_media_type");
    QCOMPARE(postAs("application/x-www-form-urlencoded").status(), 415);
    QCOMPARE(postAs("multipart/form-data; boundary=x").status(), 415);
    QCOMPARE(postAs({}).status(), 415);
    QCOMPARE(postAs("application/json; charset=utf-8").status(), 200);
    QCOMPARE(postAs("Application/JSON").status(), 200);
}

void TestApiServer::keyIsRequired() {
    const auto modelsWith = [&](const QByteArray& authorization) {
        return exchange(httpRequest("GET", "/v1/models", withHeader(headers(), "Authorization", authorization)));
    };
    const RawResponse none = modelsWith({});
    QCOMPARE(none.status(), 401);
    QCOMPARE(none.errorCode(), "invalid_api_key");
    QVERIFY(!none.body().contains("SmolLM2"));
    QCOMPARE(modelsWith("Bearer wrong").status(), 401);
    QCOMPARE(modelsWith("Bearer " + key().chopped(1)).status(), 401);
    QCOMPARE(modelsWith("Basic " + key()).status(), 401);
    QCOMPARE(modelsWith(key()).status(), 401);
    QCOMPARE(modelsWith("bearer " + key()).status(), 200);
    QCOMPARE(modelsWith("BEARER " + key()).status(), 200);

    const QByteArray old = key();
    app_->settings.regenerateApiKey();
    QCOMPARE(modelsWith("Bearer " + old).status(), 401);
    QCOMPARE(modelsWith("Bearer " + key()).status(), 200);
}

void TestApiServer::duplicateContentLengthIsRefused() {
    const QByteArray body = compact(chatBody("Hi", 4));
    HeaderList twice = headers(body);
    twice.append(HeaderList::value_type{"Content-Length", "2"});
    const RawResponse response = exchange(httpRequest("POST", "/v1/chat/completions", twice, body));
    QVERIFY2(response.status() == 400, qPrintable(response.describe()));
    QVERIFY(response.error().value("message").toString().contains("Content-Length"));
    HeaderList same = headers(body);
    same.append(HeaderList::value_type{"Content-Length", QByteArray::number(body.size())});
    QCOMPARE(exchange(httpRequest("POST", "/v1/chat/completions", same, body)).status(), 400);
    const RawResponse signedLength = exchange(httpRequest(
        "POST", "/v1/chat/completions", withHeader(headers(body), "Content-Length", "+" + QByteArray::number(body.size())),
        body));
    QCOMPARE(signedLength.status(), 400);
}

void TestApiServer::wrongJsonTypesAreRefused() {
    const QList<QPair<QJsonObject, QString>> cases{
        {{{"n", 2.5}}, "n"},
        {{{"n", 2}}, "n"},
        {{{"stream", "yes"}}, "stream"},
        {{{"stream", 1}}, "stream"},
        {{{"max_tokens", 1.5}}, "max_tokens"},
        {{{"max_tokens", "4"}}, "max_tokens"},
        {{{"seed", 1.5}}, "seed"},
        {{{"temperature", "hot"}}, "temperature"},
        {{{"top_p", true}}, "top_p"},
        {{{"model", 5}}, "model"},
        {{{"stop", 5}}, "stop"},
        {{{"messages", QJsonArray{1}}}, "messages[0]"},
        {{{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", 5}}}}}, "messages[0].content"},
    };
    for (const auto& [fields, param] : cases) {
        QJsonObject body = chatBody("Hi", 4);
        for (auto it = fields.begin(); it != fields.end(); ++it) body[it.key()] = it.value();
        const QByteArray bytes = compact(body);
        const RawResponse response = exchange(httpRequest("POST", "/v1/chat/completions", headers(bytes), bytes));
        QVERIFY2(response.status() == 400, qPrintable(param + ": " + response.describe()));
        QCOMPARE(response.error().value("param").toString(), param);
        QVERIFY2(response.error().value("message").toString().contains(param.section('[', 0, 0)),
                 qPrintable(response.describe()));
    }
}

void TestApiServer::emptyPromptIsRefused() {
    const QByteArray body = compact({{"model", "SmolLM2-135M-Instruct"}, {"prompt", ""}, {"max_tokens", 4}});
    const RawResponse response = exchange(httpRequest("POST", "/v1/completions", headers(body), body));
    QVERIFY2(response.status() == 400, qPrintable(response.describe()));
    QCOMPARE(response.error().value("param").toString(), "prompt");
}

void TestApiServer::chatTemplateFailureIsReported() {
    // Gemma 3's template raises an error unless user and assistant turns alternate.
    NIBBLE_REQUIRE_MODEL(gemma, test::kGemma3);
    QTemporaryDir folder;
    test::ApiTestApp gemmaApp(folder.path(), QString::fromStdString(gemma.string()));
    QVERIFY(gemmaApp.server.listen(0));
    const QJsonObject body{{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Hi"}},
                                                   QJsonObject{{"role", "user"}, {"content", "Hi again"}}}},
                           {"max_tokens", 4}};
    const QByteArray bytes = compact(body);
    const QByteArray key = gemmaApp.settings.apiKey().toUtf8();
    const HeaderList gemmaHeaders{{"Host", "127.0.0.1:" + QByteArray::number(gemmaApp.server.port())},
                                  {"Authorization", "Bearer " + key},
                                  {"Content-Type", "application/json"},
                                  {"Content-Length", QByteArray::number(bytes.size())}};
    const RawResponse response =
        ::exchange(gemmaApp.server.port(), httpRequest("POST", "/v1/chat/completions", gemmaHeaders, bytes));
    QVERIFY2(response.status() == 400 || response.status() == 500, qPrintable(response.describe()));
    QVERIFY(response.errorCode() != "context_length_exceeded");
    QVERIFY2(response.error().value("message").toString().contains("chat template"), qPrintable(response.describe()));
    QTRY_VERIFY_WITH_TIMEOUT(!gemmaApp.server.busy(), kReplyTimeoutMs);
}

void TestApiServer::oversizedChatIsRefusedWithItsCounts() {
    constexpr int kContext = test::ApiTestApp::kContextLength;
    QJsonObject body = chatBody({}, 4);
    body["messages"] = longConversation();
    const HttpResult small = waitFor(post("/chat/completions", compact(body)));
    QCOMPARE(small.status, 200);
    // What the engine evaluated for a reply that surely fits: every message.
    const int prompt = small.json().value("usage").toObject().value("prompt_tokens").toInt();
    QVERIFY2(prompt > kContext / 2 && prompt < kContext - 8, qPrintable(QString::number(prompt)));

    // One token more than the room left, streamed or not: a 400 before any
    // event, where the engine once dropped the two oldest turns to make room.
    for (const bool stream : {false, true}) {
        body["max_tokens"] = kContext - prompt + 1;
        body["stream"] = stream;
        const HttpResult over = waitFor(post("/chat/completions", compact(body)));
        QVERIFY2(over.status == 400, qPrintable(QString::fromUtf8(over.body)));
        const QJsonObject error = over.json().value("error").toObject();
        QCOMPARE(error.value("code").toString(), "context_length_exceeded");
        QCOMPARE(error.value("type").toString(), "invalid_request_error");
        QCOMPARE(error.value("param").toString(), "messages");
        const ContextCounts counts = contextCounts(error.value("message").toString());
        QVERIFY2(counts.context >= 0, qPrintable(error.value("message").toString()));
        QCOMPARE(counts.context, kContext);
        QCOMPARE(counts.prompt, prompt);
        QCOMPARE(counts.promptPart, "messages");
        QCOMPARE(counts.completion, kContext - prompt + 1);
        QCOMPARE(counts.requested, kContext + 1);
    }

    // Exactly the room left fits, and the reply comes to the whole conversation.
    body["max_tokens"] = kContext - prompt;
    body["stream"] = false;
    const HttpResult exact = waitFor(post("/chat/completions", compact(body)));
    QVERIFY2(exact.status == 200, qPrintable(QString::fromUtf8(exact.body)));
    QCOMPARE(exact.json().value("usage").toObject().value("prompt_tokens").toInt(), prompt);
}

void TestApiServer::replyWithoutMaxTokensFillsTheRoomLeft() {
    constexpr int kContext = test::ApiTestApp::kContextLength;
    // Fits with a short reply, but not with the app's default reply length,
    // for which the engine would once have refused or dropped turns.
    QJsonObject body = chatBody({}, 4);
    body["messages"] = longConversation();
    body.remove("max_tokens");
    const HttpResult fits = waitFor(post("/chat/completions", compact(body)));
    QVERIFY2(fits.status == 200, qPrintable(QString::fromUtf8(fits.body)));
    const QJsonObject usage = fits.json().value("usage").toObject();
    QVERIFY(usage.value("prompt_tokens").toInt() + app_->settings.maxTokens() > kContext);
    QVERIFY(usage.value("prompt_tokens").toInt() + usage.value("completion_tokens").toInt() <= kContext);

    // A message the context cannot hold at all: the reply's one token is what is counted for it.
    body["messages"] = QJsonArray{QJsonObject{{"role", "user"}, {"content", numberedText(60, "heron")}}};
    const HttpResult over = waitFor(post("/chat/completions", compact(body)));
    QVERIFY2(over.status == 400, qPrintable(QString::fromUtf8(over.body)));
    QCOMPARE(over.errorCode(), "context_length_exceeded");
    const ContextCounts counts = contextCounts(over.json().value("error").toObject().value("message").toString());
    QCOMPARE(counts.context, kContext);
    QCOMPARE(counts.completion, 1);
    QVERIFY2(counts.prompt >= kContext, qPrintable(QString::fromUtf8(over.body)));
    QCOMPARE(counts.requested, counts.prompt + 1);
}

void TestApiServer::oversizedCompletionIsRefusedWithItsCounts() {
    constexpr int kContext = test::ApiTestApp::kContextLength;
    QJsonObject body{{"model", "SmolLM2-135M-Instruct"}, {"prompt", numberedText(30, "heron")}, {"max_tokens", 2},
                     {"temperature", 0}};
    const HttpResult small = waitFor(post("/completions", compact(body)));
    QCOMPARE(small.status, 200);
    const int prompt = small.json().value("usage").toObject().value("prompt_tokens").toInt();
    QVERIFY2(prompt > kContext / 2 && prompt < kContext, qPrintable(QString::number(prompt)));

    body["max_tokens"] = kContext;
    const HttpResult over = waitFor(post("/completions", compact(body)));
    QVERIFY2(over.status == 400, qPrintable(QString::fromUtf8(over.body)));
    const QJsonObject error = over.json().value("error").toObject();
    QCOMPARE(error.value("code").toString(), "context_length_exceeded");
    QCOMPARE(error.value("param").toString(), "prompt");
    const ContextCounts counts = contextCounts(error.value("message").toString());
    QCOMPARE(counts.promptPart, "prompt");
    QCOMPARE(counts.prompt, prompt);
    QCOMPARE(counts.completion, kContext);
    QCOMPARE(counts.requested, prompt + kContext);
}

void TestApiServer::fullQueueAnswerIsReadable() {
    app::ApiServer::Limits limits;
    limits.maxQueued = 0;
    server().setLimits(limits);
    // One request generating, none may wait: the next is turned away.
    QTcpSocket running;
    running.connectToHost(QHostAddress::LocalHost, server().port());
    QVERIFY(running.waitForConnected(5000));
    const QByteArray longBody = compact(chatBody("Write a long story about a dragon.", 400, true));
    running.write(httpRequest("POST", "/v1/chat/completions", headers(longBody), longBody));
    QByteArray received;
    QTRY_VERIFY_WITH_TIMEOUT((received += running.readAll()).contains("data: "), kReplyTimeoutMs);
    QVERIFY(server().busy());

    // A body large enough to still be arriving if the server answered early.
    QJsonObject big = chatBody(QString("word ").repeated(40'000), 4);
    const QByteArray bigBody = compact(big);
    const RawResponse turnedAway = exchange(httpRequest("POST", "/v1/chat/completions", headers(bigBody), bigBody));
    running.abort();
    server().setLimits({});
    QVERIFY2(turnedAway.status() == 503, qPrintable(turnedAway.describe()));
    QCOMPARE(turnedAway.errorCode(), "server_busy");
    QCOMPARE(turnedAway.body().size(), turnedAway.header("Content-Length").toInt());
    QTRY_VERIFY_WITH_TIMEOUT(!server().busy(), kReplyTimeoutMs);
}

void TestApiServer::tooManyConnectionsAnswerIsReadable() {
    app::ApiServer::Limits limits;
    limits.maxConnections = 1;
    server().setLimits(limits);
    QTcpSocket idle;
    idle.connectToHost(QHostAddress::LocalHost, server().port());
    QVERIFY(idle.waitForConnected(5000));
    QTest::qWait(50);  // the server has accepted it
    const QByteArray body = compact(chatBody(QString("word ").repeated(40'000), 4));
    const RawResponse turnedAway = exchange(httpRequest("POST", "/v1/chat/completions", headers(body), body));
    idle.abort();
    server().setLimits({});
    QVERIFY2(turnedAway.status() == 503, qPrintable(turnedAway.describe()));
    QCOMPARE(turnedAway.errorCode(), "server_busy");
}

void TestApiServer::halfClosedRequestIsAnswered() {
    const QByteArray body = compact(chatBody("Hi", 4));
    const RawResponse whole = exchange(httpRequest("POST", "/v1/chat/completions", headers(body), body), true);
    QVERIFY2(whole.status() == 200, qPrintable(whole.describe()));
    const QJsonObject reply = QJsonDocument::fromJson(whole.body()).object();
    QVERIFY(!reply.value("choices").toArray().first().toObject().value("message").toObject().value("content").toString().isEmpty());

    const QByteArray streamBody = compact(chatBody("Hi", 4, true));
    const RawResponse streamed =
        exchange(httpRequest("POST", "/v1/chat/completions", headers(streamBody), streamBody), true);
    QVERIFY2(streamed.status() == 200, qPrintable(streamed.describe()));
    QVERIFY(streamed.body().endsWith("0\r\n\r\n"));
    const ParsedStream parsed = parseStream(dechunk(streamed.body()));
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));

    // A request cut short by the half-close is told so rather than dropped.
    const RawResponse cut = exchange(httpRequest("POST", "/v1/chat/completions", headers(body), body.left(10)), true);
    QCOMPARE(cut.status(), 400);
}

void TestApiServer::closingBeforeTheAnswerStopsTheGeneration() {
    const test::EngineWatch engine(app_->engine);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server().port());
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray body = compact(chatBody("Write a long story about a dragon.", 400));
    socket.write(httpRequest("POST", "/v1/chat/completions", headers(body), body));
    QTRY_VERIFY_WITH_TIMEOUT(server().busy(), 5000);
    // Nothing unread on our side, so this is a plain close (FIN), not a reset:
    // only the server's interim answer can show that nobody is left.
    socket.close();
    QTRY_VERIFY_WITH_TIMEOUT(!engine.finished().isEmpty(), kReplyTimeoutMs);
    const app::GenerationStats stats = engine.finished().last();
    QCOMPARE(stats.stopReason, StopReason::Cancelled);
    QVERIFY(stats.generatedTokens < 400);
    QTRY_VERIFY(!server().busy());
}

void TestApiServer::failedSaveLeavesNoConversation() {
    storage::ConversationStore conversations(app_->db);
    const qsizetype before = conversations.list().size();
    // The reply's row fails as a full disk would, after the conversation and the user's message went in.
    app_->db.exec("CREATE TEMP TRIGGER fail_reply BEFORE INSERT ON messages WHEN NEW.role = 'assistant' "
                  "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    app_->settings.setApiStoresConversations(true);
    const HttpResult failed = waitFor(post("/chat/completions", compact(chatBody("Keep this one", 4))));
    app_->db.exec("DROP TRIGGER fail_reply");
    const HttpResult saved = waitFor(post("/chat/completions", compact(chatBody("Keep this one", 4))));
    app_->settings.setApiStoresConversations(false);
    QCOMPARE(failed.status, 200);  // the client still gets its reply
    QCOMPARE(saved.status, 200);
    const QList<storage::Conversation> after = conversations.list();
    QCOMPARE(after.size(), before + 1);
    const QList<storage::Message> messages = storage::MessageStore(app_->db).all(after.first().id);
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages[0].role, storage::MessageRole::User);
    QCOMPARE(messages[1].role, storage::MessageRole::Assistant);
    QCOMPARE(messages[1].content,
             saved.json().value("choices").toArray().first().toObject().value("message").toObject().value("content").toString());
}

void TestApiServer::savedWhenAnswered(const QString& prompt, bool stream, QString* reply,
                                      QList<storage::Message>* saved) {
    const QByteArray body = compact(chatBody(prompt, 8, stream));
    const QByteArray request = httpRequest("POST", "/v1/chat/completions", headers(body), body);
    const quint16 port = server().port();
    const QString path = app_->db.path();
    QByteArray answer;
    bool complete = false;
    std::atomic<bool> done = false;
    // A blocking client on its own thread, so that it looks at the database
    // the moment the answer is whole, while this thread's server may still
    // be on its way to saving.
    std::thread client([&] {
        const auto db = storage::Database::open(path);
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        const timeval timeout{kReplyTimeoutMs / 1000, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const auto whole = [&] {
            const qsizetype headEnd = answer.indexOf("\r\n\r\n");
            if (headEnd < 0) return false;
            if (stream) return answer.contains("data: [DONE]");
            const RawResponse response{answer};
            return answer.size() - headEnd - 4 >= response.header("Content-Length").toLongLong();
        };
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) == ssize_t(request.size())) {
            char chunk[4096];
            while (!whole()) {
                const ssize_t received = ::recv(fd, chunk, sizeof chunk, 0);
                if (received <= 0) break;
                answer.append(chunk, received);
            }
            complete = whole();
            if (complete) {
                for (const storage::Conversation& conversation : storage::ConversationStore(db).list())
                    if (conversation.title == prompt) *saved = storage::MessageStore(db).all(conversation.id);
            }
        }
        ::close(fd);
        done = true;
    });
    QElapsedTimer timer;
    timer.start();
    while (!done && timer.elapsed() < kReplyTimeoutMs + 10'000) QTest::qWait(5);
    client.join();
    QVERIFY2(complete, answer.constData());
    const RawResponse response{answer};
    QCOMPARE(response.status(), 200);
    if (stream) {
        const ParsedStream parsed = parseStream(dechunk(response.body()));
        QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
        *reply = parsed.content;
    } else {
        const QJsonObject json = QJsonDocument::fromJson(response.body()).object();
        *reply = json.value("choices").toArray().first().toObject().value("message").toObject().value("content").toString();
    }
}

void TestApiServer::replyIsSavedBeforeTheStreamEnds() {
    app_->settings.setApiStoresConversations(true);
    QString reply;
    QList<storage::Message> saved;
    savedWhenAnswered("Saved before the end?", true, &reply, &saved);
    app_->settings.setApiStoresConversations(false);
    if (QTest::currentTestFailed()) return;
    QVERIFY(!reply.isEmpty());
    QCOMPARE(saved.size(), 2);
    QCOMPARE(saved[1].role, storage::MessageRole::Assistant);
    QCOMPARE(saved[1].content, reply);
}

void TestApiServer::replyIsSavedBeforeTheResponse() {
    app_->settings.setApiStoresConversations(true);
    QString reply;
    QList<storage::Message> saved;
    savedWhenAnswered("Saved before the response?", false, &reply, &saved);
    app_->settings.setApiStoresConversations(false);
    if (QTest::currentTestFailed()) return;
    QVERIFY(!reply.isEmpty());
    QCOMPARE(saved.size(), 2);
    QCOMPARE(saved[1].content, reply);
}

QTEST_MAIN(TestApiServer)
#include "test_api_server.moc"
