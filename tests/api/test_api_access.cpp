// Who may use the API server (api_access.h) and how strictly request bodies
// are read (openai_protocol.h), without a model or a socket.
#include "api_server/api_access.h"
#include "api_server/openai_protocol.h"

#include <QSet>
#include <QTest>

using namespace nibble::app;

class TestApiAccess : public QObject {
    Q_OBJECT

private slots:
    void hostMustBeThisComputerOnOurPort_data();
    void hostMustBeThisComputerOnOurPort();
    void originsFromLoopbackOrAllowedOnly();
    void originsAreNormalized();
    void bearerKeyWithAnyCaseScheme();
    void jsonContentTypeWithParameters();
    void keysAreLongRandomAndPrefixed();
    void wrongJsonTypesNameTheField_data();
    void wrongJsonTypesNameTheField();
    void wellTypedRequestIsRead();
};

void TestApiAccess::hostMustBeThisComputerOnOurPort_data() {
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("127.0.0.1") << QByteArray("127.0.0.1:8181") << true;
    QTest::newRow("localhost") << QByteArray("localhost:8181") << true;
    QTest::newRow("LOCALHOST") << QByteArray("LOCALHOST:8181") << true;
    QTest::newRow("127.3.2.1") << QByteArray("127.3.2.1:8181") << true;
    QTest::newRow("[::1]") << QByteArray("[::1]:8181") << true;
    QTest::newRow("rebinding name") << QByteArray("evil.example:8181") << false;
    QTest::newRow("localhost suffix") << QByteArray("localhost.evil.example:8181") << false;
    QTest::newRow("other port") << QByteArray("127.0.0.1:8182") << false;
    QTest::newRow("no port") << QByteArray("127.0.0.1") << false;
    QTest::newRow("empty port") << QByteArray("localhost:") << false;
    QTest::newRow("LAN address") << QByteArray("192.168.1.5:8181") << false;
    QTest::newRow("unbracketed IPv6") << QByteArray("::1:8181") << false;
    QTest::newRow("bracket junk") << QByteArray("[::1]x:8181") << false;
    QTest::newRow("missing") << QByteArray() << false;
}

void TestApiAccess::hostMustBeThisComputerOnOurPort() {
    QFETCH(QByteArray, host);
    QFETCH(bool, accepted);
    QCOMPARE(isLoopbackHost(host, 8181), accepted);
}

void TestApiAccess::originsFromLoopbackOrAllowedOnly() {
    const QStringList allowed{"https://tool.example"};
    QVERIFY(isAllowedOrigin({}, 8181, {}));
    QVERIFY(isAllowedOrigin("http://127.0.0.1:8181", 8181, {}));
    QVERIFY(isAllowedOrigin("http://localhost:8181", 8181, {}));
    QVERIFY(isAllowedOrigin("http://[::1]:8181", 8181, {}));
    QVERIFY(!isAllowedOrigin("http://localhost:3000", 8181, {}));  // another local web app
    QVERIFY(!isAllowedOrigin("https://evil.example", 8181, allowed));
    QVERIFY(!isAllowedOrigin("null", 8181, allowed));
    QVERIFY(isAllowedOrigin("https://tool.example", 8181, allowed));
    QVERIFY(isAllowedOrigin("HTTPS://Tool.Example:443", 8181, allowed));
    QVERIFY(!isAllowedOrigin("http://tool.example", 8181, allowed));
    QVERIFY(!isAllowedOrigin("https://tool.example:8443", 8181, allowed));
}

void TestApiAccess::originsAreNormalized() {
    QCOMPARE(normalizedOrigin(" https://Tool.Example/ "), "https://tool.example");
    QCOMPARE(normalizedOrigin("http://localhost:3000"), "http://localhost:3000");
    QCOMPARE(normalizedOrigin("http://example.com:80"), "http://example.com");
    QCOMPARE(normalizedOrigin("http://[::1]:3000"), "http://[::1]:3000");
    QCOMPARE(normalizedOrigin("example.com"), QString());
    QCOMPARE(normalizedOrigin("ftp://example.com"), QString());
    QCOMPARE(normalizedOrigin("https://example.com/app"), QString());
    QCOMPARE(normalizedOrigin("https://user@example.com"), QString());
    QCOMPARE(normalizedOrigin("null"), QString());
}

void TestApiAccess::bearerKeyWithAnyCaseScheme() {
    const QString key = "nb-abc";
    QVERIFY(carriesBearerKey("Bearer nb-abc", key));
    QVERIFY(carriesBearerKey("bearer nb-abc", key));
    QVERIFY(carriesBearerKey("BEARER   nb-abc ", key));
    QVERIFY(!carriesBearerKey("Bearer nb-abd", key));
    QVERIFY(!carriesBearerKey("Bearer nb-ab", key));
    QVERIFY(!carriesBearerKey("Basic nb-abc", key));
    QVERIFY(!carriesBearerKey("nb-abc", key));
    QVERIFY(!carriesBearerKey({}, key));
    QVERIFY(!carriesBearerKey("Bearer ", QString()));
}

void TestApiAccess::jsonContentTypeWithParameters() {
    QVERIFY(isJsonContentType("application/json"));
    QVERIFY(isJsonContentType("application/json; charset=utf-8"));
    QVERIFY(isJsonContentType("Application/JSON;charset=UTF-8"));
    QVERIFY(!isJsonContentType("text/plain"));
    QVERIFY(!isJsonContentType("text/plain; application/json"));
    QVERIFY(!isJsonContentType("application/x-www-form-urlencoded"));
    QVERIFY(!isJsonContentType("multipart/form-data; boundary=x"));
    QVERIFY(!isJsonContentType({}));
}

void TestApiAccess::keysAreLongRandomAndPrefixed() {
    QSet<QString> keys;
    for (int i = 0; i < 100; ++i) {
        const QString key = newApiKey();
        QVERIFY(key.startsWith("nb-"));
        // 32 bytes in base64url without padding.
        QCOMPARE(key.size(), 3 + 43);
        const QByteArray decoded = QByteArray::fromBase64(key.mid(3).toLatin1(), QByteArray::Base64UrlEncoding |
                                                                                   QByteArray::AbortOnBase64DecodingErrors);
        QCOMPARE(decoded.size(), 32);
        keys.insert(key);
    }
    QCOMPARE(keys.size(), 100);
}

void TestApiAccess::wrongJsonTypesNameTheField_data() {
    QTest::addColumn<int>("route");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("param");
    const int chat = int(ApiRoute::ChatCompletions);
    const int completions = int(ApiRoute::Completions);
    const QByteArray messages = R"("messages": [{"role": "user", "content": "Hi"}])";
    const auto chatWith = [&](const char* field) { return "{" + messages + ", " + field + "}"; };
    QTest::newRow("n fractional") << chat << chatWith(R"("n": 2.5)") << "n";
    QTest::newRow("n two") << chat << chatWith(R"("n": 2)") << "n";
    QTest::newRow("n string") << chat << chatWith(R"("n": "1")") << "n";
    QTest::newRow("stream string") << chat << chatWith(R"("stream": "yes")") << "stream";
    QTest::newRow("stream number") << chat << chatWith(R"("stream": 1)") << "stream";
    QTest::newRow("max_tokens fractional") << chat << chatWith(R"("max_tokens": 1.5)") << "max_tokens";
    QTest::newRow("max_tokens string") << chat << chatWith(R"("max_tokens": "4")") << "max_tokens";
    QTest::newRow("max_tokens zero") << chat << chatWith(R"("max_tokens": 0)") << "max_tokens";
    QTest::newRow("max_completion_tokens fractional")
        << chat << chatWith(R"("max_completion_tokens": 2.5)") << "max_completion_tokens";
    QTest::newRow("seed fractional") << chat << chatWith(R"("seed": 1.5)") << "seed";
    QTest::newRow("temperature string") << chat << chatWith(R"("temperature": "hot")") << "temperature";
    QTest::newRow("top_p bool") << chat << chatWith(R"("top_p": true)") << "top_p";
    QTest::newRow("model number") << chat << chatWith(R"("model": 5)") << "model";
    QTest::newRow("stop number") << chat << chatWith(R"("stop": 5)") << "stop";
    QTest::newRow("message not object") << chat << QByteArray(R"({"messages": [1]})") << "messages[0]";
    QTest::newRow("content number") << chat << QByteArray(R"({"messages": [{"role": "user", "content": 5}]})")
                                    << "messages[0].content";
    QTest::newRow("role number") << chat << QByteArray(R"({"messages": [{"role": 1, "content": "Hi"}]})")
                                 << "messages[0].role";
    QTest::newRow("empty prompt") << completions << QByteArray(R"({"prompt": ""})") << "prompt";
    QTest::newRow("prompt number") << completions << QByteArray(R"({"prompt": 5})") << "prompt";
}

void TestApiAccess::wrongJsonTypesNameTheField() {
    QFETCH(int, route);
    QFETCH(QByteArray, body);
    QFETCH(QString, param);
    const auto parsed = parseCompletionRequest(ApiRoute(route), body);
    const auto* error = std::get_if<ApiError>(&parsed);
    QVERIFY2(error, "accepted");
    QCOMPARE(error->status, 400);
    QCOMPARE(error->param, param);
    // The field's name (without the list index) is in the message a person reads.
    QVERIFY2(error->message.contains(param.section('[', 0, 0)), qPrintable(error->message));
}

void TestApiAccess::wellTypedRequestIsRead() {
    const auto parsed = parseCompletionRequest(
        ApiRoute::ChatCompletions,
        R"({"messages": [{"role": "user", "content": "Hi"}], "n": 1, "stream": true, "max_tokens": 4.0,
            "seed": 7, "temperature": 0.5, "stop": ["x"], "model": null})");
    const auto* request = std::get_if<CompletionRequest>(&parsed);
    QVERIFY(request);
    QVERIFY(request->stream);
    QCOMPARE(request->prompt.maxTokens, 4);
    QCOMPARE(request->seed, quint64(7));
    QCOMPARE(request->temperature, 0.5);
    QCOMPARE(request->stop.size(), size_t(1));
}

QTEST_GUILESS_MAIN(TestApiAccess)
#include "test_api_access.moc"
