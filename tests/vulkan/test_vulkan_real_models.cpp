// The real chat models on the Vulkan backend (lavapipe here) against the exact
// CPU reference (BackendKind::Reference), through the public API, at a length the short checks of
// test_vulkan_forward cannot afford: 64 greedy tokens must be the reference's, and
// teacher-forced over prompt and reply, the top token must agree at >= 99.5%
// of positions with a mean KL divergence below 1e-4. Slow: lavapipe decodes
// SmolLM2 at 0.4-0.75 s and Gemma 3 at 0.8-1.5 s per token on two cores, so
// the whole test takes 3 to 7 minutes.
#include "nibble/engine.h"
#include "logit_comparison.h"
#include "test_models.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <vector>

using namespace nibble;
using nibble::test::klDivergence;

namespace {

constexpr int kGreedyTokens = 64;
constexpr const char* kPrompt = "Once upon a time, in a small village by the sea, there lived";

std::shared_ptr<Model> open(const std::filesystem::path& path, BackendKind backend) {
    LoadOptions options;
    options.backend = backend;
    if (backend == BackendKind::Vulkan) options.device = "llvmpipe";
    options.contextLength = 256;
    return Model::open(path, options);
}

GenerationResult greedy(const std::shared_ptr<Model>& model) {
    Session session(model);
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = kGreedyTokens;
    options.stop = {};
    return session.complete(kPrompt, options, {});
}

size_t argmax(std::span<const float> v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); }

}  // namespace

class TestVulkanRealModels : public QObject {
    Q_OBJECT

    void compareWithCpu(const char* fileName) {
        NIBBLE_REQUIRE_MODEL(path, fileName);
        const std::shared_ptr<Model> cpu = open(path, BackendKind::Reference);
        const std::shared_ptr<Model> gpu = open(path, BackendKind::Vulkan);
        QVERIFY2(gpu->backendDescription().find("llvmpipe") != std::string::npos, gpu->backendDescription().c_str());

        const GenerationResult expected = greedy(cpu);
        const GenerationResult actual = greedy(gpu);
        QVERIFY2(expected.generatedTokens > 0, "the CPU reference generated nothing");
        QCOMPARE(actual.text, expected.text);
        QCOMPARE(actual.generatedTokens, expected.generatedTokens);
        qInfo("%s: %d greedy tokens alike; Vulkan %.2f tokens/s, CPU %.2f", fileName, actual.generatedTokens,
              actual.tokensPerSecond(), expected.tokensPerSecond());

        const std::vector<int32_t> tokens = cpu->tokenize(std::string(kPrompt) + expected.text, true);
        const std::vector<float> reference = Session(cpu).evaluate(tokens);
        const std::vector<float> candidate = Session(gpu).evaluate(tokens);
        QCOMPARE(candidate.size(), reference.size());
        const size_t vocab = reference.size() / tokens.size();
        size_t sameTop = 0;
        double kl = 0;
        for (size_t i = 0; i < tokens.size(); ++i) {
            const std::span<const float> c(&reference[i * vocab], vocab), g(&candidate[i * vocab], vocab);
            sameTop += argmax(c) == argmax(g);
            kl += klDivergence(c, g);
        }
        kl /= double(tokens.size());
        qInfo("%s: same top token at %zu of %zu positions, mean KL divergence %.3g", fileName, sameTop, tokens.size(), kl);
        QVERIFY2(double(sameTop) >= std::ceil(0.995 * double(tokens.size())),
                 qPrintable(QString("same top token at %1 of %2 positions").arg(sameTop).arg(tokens.size())));
        QVERIFY2(kl < 1e-4, qPrintable(QString("mean KL divergence %1").arg(kl)));
    }

private slots:
    void smolLm2MatchesCpu() { compareWithCpu(test::kSmolLM2); }
    void gemma3MatchesCpu() { compareWithCpu(test::kGemma3); }
};

QTEST_GUILESS_MAIN(TestVulkanRealModels)
#include "test_vulkan_real_models.moc"
