// The context a load uses fits the memory at hand: a context too large for
// it shrinks (with a warning saying why), a model that cannot fit at all is
// refused, and a long context costs memory only as the conversation fills it.
#include "api/context_choice.h"
#include "api/model_access.h"
#include "cpu/cpu_transformer.h"
#include "nibble/engine.h"
#include "nibble/memory_bandwidth.h"
#include "test_models.h"
#include "tiny_model.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <stdexcept>
#include <unistd.h>

using namespace nibble;

namespace {

// Plays a machine with `bytes` of free memory while it lives.
class AvailableMemory {
public:
    explicit AvailableMemory(uint64_t bytes) { qputenv("NIBBLE_TEST_AVAILABLE_MEMORY", QByteArray::number(qulonglong(bytes))); }
    ~AvailableMemory() { qunsetenv("NIBBLE_TEST_AVAILABLE_MEMORY"); }
    AvailableMemory(const AvailableMemory&) = delete;
    AvailableMemory& operator=(const AvailableMemory&) = delete;
};

// What the load counts for the tiny model with a context of n tokens.
uint64_t tinyModelBytes(const std::filesystem::path& path, uint32_t n) {
    LoadOptions o;
    o.backend = BackendKind::Cpu;
    o.contextLength = 16;
    auto model = Model::open(path, o);
    return model->info().weightBytes + CpuTransformer::sessionBytes(modelImpl(*model).config, int(n));
}

// Resident memory of this process, from /proc/self/statm.
std::optional<uint64_t> residentBytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return std::nullopt;
    return resident * uint64_t(sysconf(_SC_PAGESIZE));
}

constexpr uint64_t kMiB = 1 << 20;

}  // namespace

class TestModelMemory : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::filesystem::path tiny_;

private slots:
    void initTestCase() {
        qunsetenv("NIBBLE_TEST_AVAILABLE_MEMORY");
        tiny_ = dir_.path().toStdString() + "/tiny.gguf";
        test::TinyModel{}.write(tiny_);
    }

    void choiceKeepsWhatFits() {
        const auto bytes = [](uint32_t n) { return uint64_t(1000) + n; };
        const MemoryBudget plenty{1 << 20, "1 MiB are free", "buy more"};
        QCOMPARE(chooseContext(3000, 8192, bytes, plenty).length, 3000u);
        QCOMPARE(chooseContext(3000, 8192, bytes, plenty).warning, std::string());
        QCOMPARE(chooseContext(0, 8192, bytes, plenty).length, kDefaultContext);
        QCOMPARE(chooseContext(0, 1024, bytes, plenty).length, 1024u);
        QCOMPARE(chooseContext(100000, 8192, bytes, plenty).length, 8192u);  // never past the trained length
        QCOMPARE(chooseContext(100000, 8192, bytes, std::nullopt).length, 8192u);
    }

    void choiceShrinksToAPowerOfTwoThatFits() {
        const auto bytes = [](uint32_t n) { return uint64_t(1000) + uint64_t(n) * 10; };
        const MemoryBudget budget{1000 + 5000 * 10, "50 KB are free", "buy more"};
        const ContextChoice asked = chooseContext(8000, 8192, bytes, budget);
        QCOMPARE(asked.length, 4096u);
        QCOMPARE(asked.warning, std::string("a context of 8000 tokens needs 79.1 KiB; 50 KB are free: using 4096 tokens"));
        const ContextChoice byDefault = chooseContext(0, 32768, bytes, MemoryBudget{1000 + 3000 * 10, "", ""});
        QCOMPARE(byDefault.length, 2048u);
        QVERIFY2(byDefault.warning.starts_with("the default context of 4096 tokens needs"), byDefault.warning.c_str());
        QCOMPARE(chooseContext(0, 32768, bytes, MemoryBudget{1000 + 300 * 10, "", ""}).length, kMinimumContext);
        // A context asked for below the minimum is kept when it fits.
        QCOMPARE(chooseContext(100, 8192, bytes, MemoryBudget{1000 + 100 * 10, "", ""}).length, 100u);
    }

    void choiceFailsWhenNotEvenTheMinimumFits() {
        const auto bytes = [](uint32_t n) { return uint64_t(1000) + uint64_t(n) * 10; };
        try {
            chooseContext(8000, 8192, bytes, MemoryBudget{1000 + 255 * 10, "3.5 KB are free", "close other programs"});
            QFAIL("a context was chosen");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::OutOfMemory);
            QCOMPARE(std::string(e.what()), std::string("this model needs 3.5 KiB even with a context of 256 tokens, "
                                                         "but 3.5 KB are free; close other programs"));
        }
    }

    void loadUsesTheContextThatFits() {
        const uint64_t budget = tinyModelBytes(tiny_, 600);
        const AvailableMemory available(budget);
        LoadOptions o;
        o.backend = BackendKind::Cpu;
        o.contextLength = 2048;
        auto model = Model::open(tiny_, o);
        QCOMPARE(model->info().contextLength, 512u);
        const std::string& warning = model->info().contextWarning;
        QVERIFY2(warning.starts_with("a context of 2048 tokens needs "), warning.c_str());
        QVERIFY2(warning.ends_with(" are free: using 512 tokens"), warning.c_str());
        Session session(model);
        QCOMPARE(session.contextLength(), 512);

        o.contextLength = 0;  // the default (the trained 2048) is capped the same way
        auto byDefault = Model::open(tiny_, o);
        QCOMPARE(byDefault->info().contextLength, 512u);
        QVERIFY2(byDefault->info().contextWarning.starts_with("the default context of 2048 tokens"),
                 byDefault->info().contextWarning.c_str());
    }

    void loadFailsWhenNothingFits() {
        const AvailableMemory available(tinyModelBytes(tiny_, 255) - 1);
        LoadOptions o;
        o.backend = BackendKind::Cpu;
        try {
            Model::open(tiny_, o);
            QFAIL("the model loaded");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::OutOfMemory);
            QVERIFY2(std::string(e.what()).find("even with a context of 256 tokens") != std::string::npos, e.what());
        }
    }

    void hugeContextIsNotCommittedUpFront() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        if (!residentBytes()) QSKIP("no /proc/self/statm here");
        LoadOptions o;
        o.backend = BackendKind::Cpu;
        o.contextLength = 100000;
        auto model = Model::open(path, o);  // reads every weight page: measured before the session
        const int context = int(model->info().contextLength);
        QCOMPARE(context, int(model->info().trainedContextLength));  // 8192: this machine holds it
        const uint64_t cacheBytes = CpuTransformer::sessionBytes(modelImpl(*model).config, context);
        QVERIFY(cacheBytes > 300 * kMiB);

        const uint64_t before = *residentBytes();
        Session session(model);
        GenerateOptions g;
        g.sampling = SamplingParams::greedy();
        g.maxTokens = 4;
        session.complete("Once upon a time", g, {});
        QCOMPARE(session.contextLength(), context);
        const uint64_t after = *residentBytes();
        const uint64_t growth = after > before ? after - before : 0;
        qInfo("a %.0f MiB cache: resident memory grew by %.1f MiB", double(cacheBytes) / kMiB, double(growth) / kMiB);
        QVERIFY2(growth < cacheBytes / 10, qPrintable(QString("grew by %1 MiB").arg(growth / kMiB)));
    }

    // What the app's speed estimates divide by: a plausible rate for any
    // computer (above 100 MB/s, below 10 TB/s), from one thread or several,
    // and a clear refusal of nothing to read.
    void memoryReadBandwidthIsMeasured() {
        for (unsigned threads : {1u, 2u}) {
            const double rate = measureMemoryReadBandwidth(size_t(64) << 20, threads, 2);
            QVERIFY2(rate > 1e8 && rate < 1e13, qPrintable(QString::number(rate)));
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measureMemoryReadBandwidth(0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measureMemoryReadBandwidth(size_t(1) << 20, 1, 0));
    }
};

QTEST_GUILESS_MAIN(TestModelMemory)
#include "test_model_memory.moc"
