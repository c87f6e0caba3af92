// The CPU paths on stories260K against the golden outputs of an established
// engine (../shared/golden): the exact reference (BackendKind::Reference)
// and the fast path the app runs (BackendKind::Cpu, this processor's best
// kernels; test_fast_cpu_inference runs every kernel set), to the same
// tolerance. stories260K's weights are F32, so the fast path only orders
// its float sums differently.
#include "cpu/cpu_transformer.h"
#include "nibble/engine.h"
#include "nibble/evaluation.h"
#include "engine_test_helpers.h"

#include <QTest>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace nibble;

Q_DECLARE_METATYPE(nibble::BackendKind)

namespace {

std::vector<int32_t> readIds(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<int32_t> ids;
    for (int32_t id; in >> id;) ids.push_back(id);
    return ids;
}

struct GoldenPrompt {
    std::string prompt, expected;
};

// greedy-prompts-48.txt: "### prompt: P" then the prompt and its continuation, blank-line separated.
std::shared_ptr<Model> open(const std::filesystem::path& path, BackendKind backend) {
    LoadOptions options;
    options.backend = backend;
    return Model::open(path, options);
}

void addBackendRows() {
    QTest::addColumn<BackendKind>("backend");
    QTest::newRow("reference") << BackendKind::Reference;
    QTest::newRow("cpu") << BackendKind::Cpu;
}

std::vector<GoldenPrompt> readGoldenPrompts(const std::filesystem::path& path) {
    std::vector<GoldenPrompt> out;
    std::istringstream in(test::readTextFile(path));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("### prompt: ", 0) != 0) {
            if (!out.empty() && !(line.empty() && out.back().expected.empty())) out.back().expected += line + "\n";
            continue;
        }
        out.push_back({line.substr(12), ""});
    }
    for (auto& p : out) {
        while (!p.expected.empty() && p.expected.back() == '\n') p.expected.pop_back();
    }
    return out;
}

}  // namespace

class TestCpuInference : public QObject {
    Q_OBJECT
private slots:
    void storiesGreedyFromBosMatchesGolden() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const auto expected = readIds(test::goldenDir() / "stories260K" / "greedy-from-bos-256.ids.txt");
        QCOMPARE(expected.size(), size_t(256));
        gguf::GgufFile file(path);
        ModelConfig config = ModelConfig::fromGguf(file);
        ModelWeights weights = ModelWeights::bind(file, config);
        ThreadPool pool;
        CpuTransformer model(config, weights, 512, pool);
        std::vector<int32_t> tokens = {1};
        std::vector<float> logits;
        model.forward(tokens, 0, false, logits);
        for (size_t i = 0; i < expected.size(); ++i) {
            const int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
            QVERIFY2(next == expected[i], qPrintable(QString("token %1: got %2, golden %3").arg(i).arg(next).arg(expected[i])));
            model.forward(std::span(&next, 1), int(i + 1), false, logits);
        }
    }

    void storiesGreedyFromBosThroughTheApi_data() { addBackendRows(); }
    void storiesGreedyFromBosThroughTheApi() {
        QFETCH(BackendKind, backend);
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        auto model = open(path, backend);
        Session session(model);
        GenerationResult r = session.complete("", test::greedy(256), {});
        QCOMPARE(r.generatedTokens, 256);
        std::string golden = test::readTextFile(test::goldenDir() / "stories260K" / "greedy-from-bos-256.txt");
        if (!golden.empty() && golden.back() == '\n') golden.pop_back();  // the file's own line end
        QCOMPARE(QString::fromStdString(r.text), QString::fromStdString(golden));
    }

    void storiesGreedyPromptsMatchGolden_data() { addBackendRows(); }
    void storiesGreedyPromptsMatchGolden() {
        QFETCH(BackendKind, backend);
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        auto prompts = readGoldenPrompts(test::goldenDir() / "stories260K" / "greedy-prompts-48.txt");
        QVERIFY(prompts.size() >= 3);
        auto model = open(path, backend);
        for (const auto& p : prompts) {
            Session session(model);
            GenerationResult r = session.complete(p.prompt, test::greedy(48), {});
            QCOMPARE(r.generatedTokens, 48);
            // The golden text starts with the prompt as the tokenizer renders it (one leading space).
            QCOMPARE(QString::fromStdString(" " + p.prompt + r.text), QString::fromStdString(p.expected));
        }
    }

    void storiesPerplexityMatchesGolden_data() { addBackendRows(); }
    void storiesPerplexityMatchesGolden() {
        QFETCH(BackendKind, backend);
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        auto model = open(path, backend);
        Session session(model);
        PerplexityResult r = perplexity(session, *model, test::goldenEvalText(), 128);
        QCOMPARE(r.chunks, 5);
        QVERIFY2(std::abs(r.perplexity - 3.5129) <= 0.001, qPrintable(QString::number(r.perplexity, 'f', 5)));
        QVERIFY2(std::abs(r.perplexityError - 0.3203) <= 0.001, qPrintable(QString::number(r.perplexityError, 'f', 5)));
    }

    void cancelStopsGeneration() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        auto model = Model::open(path, {});
        Session session(model);
        int pieces = 0;
        GenerationResult r = session.complete("Once upon a time", test::greedy(200), [&](std::string_view) { return ++pieces < 5; });
        QCOMPARE(r.stopReason, StopReason::Cancelled);
        QVERIFY(r.generatedTokens <= 6);
    }

    void stopStringsEndTheReplyAndAreNotShown() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        auto model = Model::open(path, {});
        Session session(model);
        GenerateOptions o = test::greedy(48);
        o.stop = {"Lily"};
        GenerationResult r = session.complete("Once upon a time", o, {});
        QCOMPARE(r.stopReason, StopReason::StopString);
        QCOMPARE(QString::fromStdString(r.text), QString(", there was a little girl named "));
    }

    void seededSamplingIsReproducible() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        auto model = Model::open(path, {});
        GenerateOptions o;
        o.maxTokens = 40;
        o.sampling.temperature = 1.0f;
        o.sampling.seed = 1234;
        Session a(model), b(model);
        const std::string first = a.complete("Once upon a time", o, {}).text;
        QCOMPARE(b.complete("Once upon a time", o, {}).text, first);
        o.sampling.seed = 99;
        Session c(model);
        QVERIFY(c.complete("Once upon a time", o, {}).text != first);
    }
};

QTEST_GUILESS_MAIN(TestCpuInference)
#include "test_cpu_inference.moc"
