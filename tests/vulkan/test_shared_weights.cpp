// Two sessions of one model on one Vulkan device share a single upload of
// the weights (the compare view and the API server can hold the same model),
// keep their own KV caches, may run on two threads at once, and both give the
// CPU's logits; the upload goes with the last session.
#include "api/model_impl.h"
#include "cpu/cpu_transformer.h"
#include "test_models.h"
#include "vulkan/vulkan_transformer.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <thread>

using namespace nibble;
using namespace nibble::vulkan;

namespace {

int32_t argmax(std::span<const float> v) { return int32_t(std::max_element(v.begin(), v.end()) - v.begin()); }

// Greedy decoding from a prompt: the logits after the prompt and after each generated token.
std::vector<std::vector<float>> greedyLogits(InferenceBackend& backend, std::vector<int32_t> tokens, int steps) {
    std::vector<std::vector<float>> all;
    std::vector<float> logits;
    backend.forward(tokens, 0, false, logits);
    for (int i = 0; i < steps; ++i) {
        all.push_back(logits);
        const int32_t next = argmax(logits);
        backend.forward(std::span(&next, 1), int(tokens.size()), false, logits);
        tokens.push_back(next);
    }
    return all;
}

double maxDifference(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
    if (a.size() != b.size()) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        for (size_t j = 0; j < a[i].size(); ++j) worst = std::max(worst, double(std::abs(a[i][j] - b[i][j])));
    return worst;
}

}  // namespace

class TestSharedWeights : public QObject {
    Q_OBJECT

private slots:
    void twoSessionsShareOneUpload() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        int progressCalls = 0;
        LoadOptions options;
        options.backend = BackendKind::Vulkan;
        options.device = "llvmpipe";
        options.contextLength = 64;
        options.progress = [&](float) { return ++progressCalls > 0; };
        const ModelImpl model(path, options);

        const int beforeUpload = progressCalls;
        std::unique_ptr<InferenceBackend> first = model.createBackend();
        const int afterFirst = progressCalls;
        std::unique_ptr<InferenceBackend> second = model.createBackend();
        QVERIFY2(afterFirst > beforeUpload, "the first session's upload reported no progress");
        QCOMPARE(progressCalls, afterFirst);  // nothing uploaded for the second

        auto* a = dynamic_cast<VulkanTransformer*>(first.get());
        auto* b = dynamic_cast<VulkanTransformer*>(second.get());
        QVERIFY(a && b);
        QCOMPARE(a->deviceWeights().get(), b->deviceWeights().get());
        QCOMPARE(&a->computeContext(), &b->computeContext());

        // Different prompts, so a shared KV cache would show; two threads, so missing locks would.
        const std::vector<int32_t> promptA = {model.tokenizer->bos()};
        const std::vector<int32_t> promptB = model.tokenizer->encode("Once upon a time", true, false);
        const int steps = 12;
        std::vector<std::vector<float>> gpuA, gpuB;
        std::thread threadA([&] { gpuA = greedyLogits(*a, promptA, steps); });
        std::thread threadB([&] { gpuB = greedyLogits(*b, promptB, steps); });
        threadA.join();
        threadB.join();

        CpuTransformer cpu(model.config, model.weights, 64, model.pool);
        const double errorA = maxDifference(gpuA, greedyLogits(cpu, promptA, steps));
        const double errorB = maxDifference(gpuB, greedyLogits(cpu, promptB, steps));
        QVERIFY2(errorA < 1e-3 && errorB < 1e-3, qPrintable(QString("logits differ from the CPU's by %1 and %2").arg(errorA).arg(errorB)));
        QCOMPARE(a->computeContext().validationMessageCount(), uint64_t(0));

        const std::weak_ptr<DeviceWeights> shared = a->deviceWeights();
        first.reset();
        QVERIFY2(!shared.expired(), "the weights went with the first session while the second still runs on them");
        second.reset();
        QVERIFY2(shared.expired(), "the weights outlived their last session");

        const std::unique_ptr<InferenceBackend> third = model.createBackend();
        QVERIFY2(progressCalls > afterFirst, "a session after the last one went did not upload again");
    }
};

QTEST_GUILESS_MAIN(TestSharedWeights)
#include "test_shared_weights.moc"
