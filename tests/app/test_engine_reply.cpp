// An EngineReply reports its own request and nothing else, and a cancel
// ends it cleanly: its pieces stop, it finishes once, as Cancelled, nothing
// follows, and the engine goes on to the next request as if nothing had
// happened. Real SmolLM2 on the CPU, through the app's own EngineHost.
#include "engine_bridge/engine_host.h"
#include "engine_bridge/engine_reply.h"
#include "test_models.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace nibble;

namespace {

// Loading and a short reply on a busy 2-core machine take seconds.
constexpr int kReplyTimeoutMs = 120'000;
// How soon a cancelled request must free the engine; its reply would take far longer.
constexpr int kFreedWithinMs = 5'000;
// Room for a count that goes on for a minute or more.
constexpr int kContextLength = 2048;

// A completion that counts on with no end in sight: it stops only when cancelled.
app::PromptInput endlessCount() { return {{}, std::string("1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"), std::nullopt}; }

GenerateOptions greedy(int maxTokens) {
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = maxTokens;
    return options;
}

// Everything one reply emits, in order.
class ReplyLog : public QObject {
public:
    explicit ReplyLog(app::EngineReply& reply) {
        connect(&reply, &app::EngineReply::started, this, [this] { events << "started"; });
        connect(&reply, &app::EngineReply::promptProgress, this, [this] { events << "promptProgress"; });
        connect(&reply, &app::EngineReply::piece, this, [this] {
            events << "piece";
            ++pieces;
        });
        connect(&reply, &app::EngineReply::finished, this, [this](const app::GenerationStats& s) {
            events << "finished";
            stats = s;
        });
        connect(&reply, &app::EngineReply::failed, this, [this] { events << "failed"; });
        connect(&reply, &app::EngineReply::rejected, this, [this] { events << "rejected"; });
    }

    bool ended() const {
        return events.contains("finished") || events.contains("failed") || events.contains("rejected");
    }

    QStringList events;
    int pieces = 0;
    app::GenerationStats stats;
};

}  // namespace

class TestEngineReply : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cancelMidStreamStopsThePiecesAndEndsOnce();
    void cancelWhileQueuedEndsAtOnceWithoutRunning();
    void deletingAReplyCancelsItsRequest();

private:
    // Runs a short chat reply to its end and checks it went as any reply should.
    void expectNormalReply();

    std::unique_ptr<app::EngineHost> engine_;
    app::EngineTarget target_;
};

void TestEngineReply::initTestCase() {
    NIBBLE_REQUIRE_MODEL(model, test::kSmolLM2);
    target_.variantId = 1;
    target_.filePath = QString::fromStdString(model.string());
    target_.label = "SmolLM2";
    target_.backend = BackendKind::Cpu;
    target_.contextLength = kContextLength;
    engine_ = std::make_unique<app::EngineHost>();
    // Loads the model, so that later requests go straight to their prompts.
    expectNormalReply();
}

void TestEngineReply::init() { QTRY_VERIFY_WITH_TIMEOUT(!engine_->busy(), kReplyTimeoutMs); }

void TestEngineReply::expectNormalReply() {
    const auto reply = engine_->generate(target_, {{"user", "Tell me a joke."}}, greedy(4));
    const ReplyLog log(*reply);
    QTRY_VERIFY_WITH_TIMEOUT(log.ended(), kReplyTimeoutMs);
    QVERIFY(reply->isFinished());
    QCOMPARE(log.events.first(), "started");
    QCOMPARE(log.events.count("finished"), 1);
    QCOMPARE(log.events.last(), "finished");
    QCOMPARE(log.stats.stopReason, StopReason::MaxTokens);
    QCOMPARE(log.stats.generatedTokens, 4);
    QVERIFY(log.pieces > 0);
}

void TestEngineReply::cancelMidStreamStopsThePiecesAndEndsOnce() {
    const auto reply = engine_->generateExact(target_, endlessCount(), greedy(kContextLength));
    QVERIFY(!reply->isFinished());
    const ReplyLog log(*reply);
    int piecesAtCancel = -1;
    // Cancelled between two pieces, as the user's Stop is.
    connect(reply.get(), &app::EngineReply::piece, &log, [&] {
        if (log.pieces != 3) return;
        QVERIFY(!reply->isFinished());
        piecesAtCancel = log.pieces;
        reply->cancel();
    });
    QTRY_VERIFY_WITH_TIMEOUT(log.ended(), kReplyTimeoutMs);
    QCOMPARE(piecesAtCancel, 3);
    QVERIFY(reply->isFinished());
    QCOMPARE(log.events.first(), "started");
    QCOMPARE(log.events.count("finished"), 1);
    QCOMPARE(log.events.last(), "finished");
    QCOMPARE(log.stats.stopReason, StopReason::Cancelled);
    // Only what the engine had sent before the cancel reached it came after it.
    QVERIFY2(log.pieces < 20, qPrintable(QString("%1 pieces came after the cancel").arg(log.pieces - piecesAtCancel)));
    QVERIFY(log.stats.generatedTokens < 20);
    QVERIFY(!engine_->busy());

    // A second cancel of an ended reply changes nothing, and the next request runs as usual.
    reply->cancel();
    const QStringList ended = log.events;
    expectNormalReply();
    QCOMPARE(log.events, ended);
}

void TestEngineReply::cancelWhileQueuedEndsAtOnceWithoutRunning() {
    const auto running = engine_->generateExact(target_, endlessCount(), greedy(kContextLength));
    QSignalSpy runningPieces(running.get(), &app::EngineReply::piece);
    QTRY_VERIFY_WITH_TIMEOUT(!runningPieces.isEmpty(), kReplyTimeoutMs);

    const auto queued = engine_->generate(target_, {{"user", "Tell me a joke."}}, greedy(4));
    const ReplyLog log(*queued);
    queued->cancel();
    QTRY_VERIFY_WITH_TIMEOUT(log.ended(), kFreedWithinMs);
    QCOMPARE(log.events, QStringList({"finished"}));
    QCOMPARE(log.stats.stopReason, StopReason::Cancelled);
    QCOMPARE(log.stats.contextUsed, -1);  // it never ran
    // The request ahead of it was not touched.
    QVERIFY(!running->isFinished());
    const int piecesBefore = int(runningPieces.size());
    QTRY_VERIFY_WITH_TIMEOUT(runningPieces.size() > piecesBefore, kReplyTimeoutMs);

    QSignalSpy runningFinished(running.get(), &app::EngineReply::finished);
    running->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(runningFinished.size(), 1, kFreedWithinMs);
    QCOMPARE(log.events, QStringList({"finished"}));
}

void TestEngineReply::deletingAReplyCancelsItsRequest() {
    auto reply = engine_->generateExact(target_, endlessCount(), greedy(kContextLength));
    QSignalSpy pieces(reply.get(), &app::EngineReply::piece);
    QTRY_VERIFY_WITH_TIMEOUT(!pieces.isEmpty(), kReplyTimeoutMs);
    reply.reset();
    QTRY_VERIFY_WITH_TIMEOUT(!engine_->busy(), kFreedWithinMs);
    expectNormalReply();
}

QTEST_GUILESS_MAIN(TestEngineReply)
#include "test_engine_reply.moc"
