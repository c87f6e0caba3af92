// Cancelling reaches a prompt while it is processed: a forward pass stops
// between the model's layers, a session cancelled from another thread returns
// promptly, and what it leaves behind (the KV cache of the tokens it finished)
// gives exactly the answers of a fresh session.
#include "api/model_impl.h"
#include "cpu/cpu_transformer.h"
#include "engine_test_helpers.h"

#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace nibble;
using Clock = std::chrono::steady_clock;

namespace {

// About 12 tokens per sentence, each numbered so the text does not repeat.
std::string longText(int sentences) {
    static const char* const kSubjects[] = {"The miller", "A heron", "The old clockmaker", "Her neighbour", "The river"};
    static const char* const kActions[] = {"counted the sacks of grain", "waited by the cold water",
                                           "mended a brass spring", "sang about the harvest", "carried leaves south"};
    std::string text;
    for (int i = 0; i < sentences; ++i)
        text += std::string(kSubjects[i % 5]) + " " + kActions[(i / 5) % 5] + " on day " + std::to_string(i + 1) + ". ";
    return text;
}

double secondsBetween(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Calls cancel every 10 ms from its own thread, starting after a delay, until
// stopped: Session::cancel() reaches only a call already running, and the
// test cannot know exactly when the call begins.
class RepeatedCanceller {
public:
    RepeatedCanceller(std::chrono::milliseconds delay, std::function<void()> cancel)
        : thread_([this, delay, cancel = std::move(cancel)] {
              std::this_thread::sleep_for(delay);
              firstCancel_ = Clock::now();
              while (!done_.load()) {
                  cancel();
                  std::this_thread::sleep_for(std::chrono::milliseconds(10));
              }
          }) {}
    ~RepeatedCanceller() { stop(); }
    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    Clock::time_point firstCancel() const { return firstCancel_; }

private:
    std::atomic<bool> done_{false};
    Clock::time_point firstCancel_;
    std::thread thread_;
};

LoadOptions cpuOptions(uint32_t contextLength) {
    LoadOptions options;
    options.backend = BackendKind::Cpu;
    options.contextLength = contextLength;
    return options;
}

}  // namespace

class TestCancellation : public QObject {
    Q_OBJECT

private slots:
    // The deterministic core: once the cancel check says stop, no further
    // weight multiplication runs, and a retry of the cancelled chunk gives the
    // logits of a pass that was never interrupted.
    void forwardStopsBetweenLayersAndKeepsEarlierPositions() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        const ModelImpl model(path, cpuOptions(256));
        const std::vector<int32_t> tokens = model.tokenizer->encode(longText(12), true, false);
        QVERIFY(tokens.size() >= 96);
        const auto first = std::span(tokens).first(64);
        const auto second = std::span(tokens).subspan(64, 32);

        std::vector<float> expected;
        {
            const auto fresh = model.createBackend();
            std::vector<float> ignored;
            fresh->forward(first, 0, false, ignored);
            fresh->forward(second, 64, false, expected);
        }

        const auto backend = model.createBackend();
        auto* cpu = dynamic_cast<CpuTransformer*>(backend.get());
        QVERIFY(cpu);
        int multiplications = 0;
        cpu->setActivationObserver([&](const Tensor&, const float*, int) { ++multiplications; });
        std::vector<float> logits;
        backend->forward(first, 0, false, logits);
        const int perPass = multiplications;
        QVERIFY(perPass > int(model.config.nLayer));

        multiplications = 0;
        int polls = 0, atStop = -1;
        constexpr int kStopAtPoll = 5;
        backend->setCancelCheck([&] {
            if (++polls < kStopAtPoll) return false;
            atStop = multiplications;
            return true;
        });
        try {
            backend->forward(second, 64, false, logits);
            QFAIL("the forward pass ran to the end although it was cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        QCOMPARE(polls, kStopAtPoll);
        QCOMPARE(multiplications, atStop);  // nothing ran after the check said stop
        QVERIFY2(atStop < perPass / 4, qPrintable(QString("%1 of %2 multiplications ran").arg(atStop).arg(perPass)));

        backend->setCancelCheck({});
        backend->forward(second, 64, false, logits);
        QCOMPARE(logits, expected);
    }

    // Another thread cancels a ~2,300-token prompt a few chunks in: the call
    // returns Cancelled within a second or two, having kept only whole
    // chunks, and the next call answers exactly as a fresh session does.
    void sessionCancelledDuringLongPromptThenAnswersLikeAFreshOne() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        const auto model = Model::open(path, cpuOptions(4096));
        const std::string prompt = longText(170);
        const size_t promptTokens = model->tokenize(prompt, true).size();
        QVERIFY2(promptTokens > 1800, qPrintable(QString::number(promptTokens)));

        // Cancelled after about three chunks' time, so some chunks are kept and one is
        // interrupted. On a busy machine the chunks may run slower than the warm-up
        // measured and none is done yet: then the same again with twice the delay.
        const GenerationResult warmUp = Session(model).complete(longText(5), test::greedy(1), {});
        const auto chunkTime = std::chrono::duration<double>(warmUp.promptSeconds * 64 / warmUp.promptTokens);
        auto delay = std::chrono::milliseconds(100) + std::chrono::duration_cast<std::chrono::milliseconds>(3 * chunkTime);

        std::unique_ptr<Session> session;
        int kept = 0;
        for (int attempt = 0; attempt < 4 && kept < 64; ++attempt, delay *= 2) {
            session = std::make_unique<Session>(model);
            RepeatedCanceller canceller(delay, [&] { session->cancel(); });
            const GenerationResult cancelled = session->complete(prompt, test::greedy(8), {});
            const auto returned = Clock::now();
            canceller.stop();

            QCOMPARE(cancelled.stopReason, StopReason::Cancelled);
            QCOMPARE(cancelled.generatedTokens, 0);
            const double latency = secondsBetween(canceller.firstCancel(), returned);
            QVERIFY2(latency < 2.0, qPrintable(QString("returned %1 s after the cancel").arg(latency)));
            kept = session->contextUsed();
            QVERIFY2(size_t(kept) < promptTokens, "the whole prompt ran despite the cancel");
            QCOMPARE(kept % 64, 0);
        }
        QVERIFY2(kept >= 64, qPrintable(QString("no chunk was done %1 ms in").arg(delay.count() / 2)));

        // A prompt that shares the start of the long one and runs past what the
        // cancel kept, through the positions of the chunk it interrupted: the
        // session reuses the kept prefix and must answer as a fresh one does.
        int sentences = 4;
        while (model->tokenize(longText(sentences), true).size() < size_t(kept) + 80) sentences += 4;
        const std::string question = longText(sentences) + "On the next day, the miller";
        Session fresh(model);
        const GenerationResult expected = fresh.complete(question, test::greedy(12), {});
        const GenerationResult reply = session->complete(question, test::greedy(12), {});
        QCOMPARE(reply.stopReason, expected.stopReason);
        QCOMPARE(reply.text, expected.text);
        QCOMPARE(reply.generatedTokens, 12);
        QVERIFY2(reply.evaluatedPromptTokens < reply.promptTokens, "the kept prefix was not reused");
    }

    // A call's own flag (GenerateOptions::cancel) cannot miss: set before the
    // call, nothing runs; set from another thread, the prompt stops.
    void callFlagStopsBeforeAndDuringThePrompt() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        const auto model = Model::open(path, cpuOptions(4096));
        const std::string prompt = longText(170);
        Session session(model);

        GenerateOptions options = test::greedy(8);
        auto flag = std::make_shared<std::atomic<bool>>(true);
        options.cancel = flag;
        const GenerationResult before = session.complete(prompt, options, {});
        QCOMPARE(before.stopReason, StopReason::Cancelled);
        QCOMPARE(session.contextUsed(), 0);

        flag->store(false);
        Clock::time_point cancelledAt;
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            cancelledAt = Clock::now();
            flag->store(true);
        });
        const GenerationResult during = session.complete(prompt, options, {});
        const auto returned = Clock::now();
        canceller.join();
        QCOMPARE(during.stopReason, StopReason::Cancelled);
        const double latency = secondsBetween(cancelledAt, returned);
        QVERIFY2(latency < 2.0, qPrintable(QString("returned %1 s after the cancel").arg(latency)));
        QVERIFY(size_t(session.contextUsed()) < model->tokenize(prompt, true).size());

        // The flag belongs to that call: the next one, without it, runs.
        const GenerationResult next = session.complete("Once upon a time", test::greedy(4), {});
        QCOMPARE(next.stopReason, StopReason::MaxTokens);
    }
};

QTEST_GUILESS_MAIN(TestCancellation)
#include "test_cancellation.moc"
