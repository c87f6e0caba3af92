// A cancel reaches the Vulkan backend between the submissions of a prompt
// batch (kLayersPerSubmit layers each), and a retry of the interrupted batch
// gives the logits of a pass that was never interrupted.
#include "api/model_impl.h"
#include "test_models.h"
#include "vulkan/vulkan_transformer.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace nibble;
using namespace nibble::vulkan;

class TestVulkanCancellation : public QObject {
    Q_OBJECT

private slots:
    void promptBatchStopsBetweenSubmissions() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        LoadOptions options;
        options.backend = BackendKind::Vulkan;
        options.device = "llvmpipe";
        options.contextLength = 128;
        const ModelImpl model(path, options);
        QVERIFY2(model.config.nLayer > 2 * VulkanTransformer::kLayersPerSubmit, "the model has too few layers to split");
        std::vector<int32_t> tokens;
        for (int i = 0; i < 80; ++i) tokens.push_back(int32_t(1000 + 37 * i));
        const auto first = std::span(tokens).first(64);
        const auto second = std::span(tokens).subspan(64);

        std::vector<float> expected, logits;
        {
            const auto fresh = model.createBackend();
            fresh->forward(first, 0, false, logits);
            fresh->forward(second, 64, false, expected);
        }

        const auto backend = model.createBackend();
        QVERIFY(dynamic_cast<VulkanTransformer*>(backend.get()));
        backend->forward(first, 0, false, logits);
        int polls = 0;
        backend->setCancelCheck([&] { return ++polls >= 2; });
        try {
            backend->forward(second, 64, false, logits);
            QFAIL("the batch ran to the end although it was cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        QCOMPARE(polls, 2);  // stopped before the second submission, not at the batch's end

        backend->setCancelCheck({});
        backend->forward(second, 64, false, logits);
        QCOMPARE(logits.size(), expected.size());
        double worst = 0;
        for (size_t i = 0; i < logits.size(); ++i) worst = std::max(worst, double(std::abs(logits[i] - expected[i])));
        QVERIFY2(worst < 1e-4, qPrintable(QString("logits differ by up to %1").arg(worst)));
    }
};

QTEST_GUILESS_MAIN(TestVulkanCancellation)
#include "test_vulkan_cancellation.moc"
