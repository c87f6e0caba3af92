// The Vulkan forward pass against the CPU reference: each kernel on awkward
// sizes, then whole models (stories260K, SmolLM2 Q4_1, Gemma 3 Q4_K_M, a
// synthetic Phi 3 with fused matrices and LongRoPE) token
// for token under greedy decoding and distribution for distribution under
// teacher forcing. Every test also checks that the validation layer reported
// nothing.
#include "gguf/gguf_reader.h"
#include "attention_reference.h"
#include "logit_comparison.h"
#include "cpu/cpu_ops.h"
#include "model/tensor_values.h"
#include "cpu/cpu_transformer.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "cpu/thread_pool.h"
#include "nibble/error.h"
#include "nibble/quantize.h"
#include "random_floats.h"
#include "../engine/tiny_phi3.h"
#include "tensor/quantize.h"
#include "test_models.h"
#include "tokenizer/tokenizer.h"
#include "vulkan/compute_context.h"
#include "vulkan/forward_kernels.h"
#include "vulkan/vulkan_transformer.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;
using nibble::test::cpuAttention;
using nibble::test::klDivergence;
using nibble::test::randomFloats;

namespace {

// Relative error, except that values below `floor` in magnitude are compared
// against the floor instead: where a sum of terms of the inputs' size cancels
// to almost nothing, float rounding of those terms is all that remains, so
// the floor is set from the inputs' scale.
double maxRelativeError(std::span<const float> actual, std::span<const double> expected, double floor = 1e-3) {
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i)
        worst = std::max(worst, std::abs(actual[i] - expected[i]) / std::max(std::abs(expected[i]), floor));
    return worst;
}

std::vector<double> toDouble(std::span<const float> v) { return {v.begin(), v.end()}; }

int32_t argmax(std::span<const float> v) { return int32_t(std::max_element(v.begin(), v.end()) - v.begin()); }

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A model file with its configuration, weights, tokenizer and CPU reference.
struct LoadedModel {
    explicit LoadedModel(const std::filesystem::path& path)
        : file(path), config(ModelConfig::fromGguf(file)), weights(ModelWeights::bind(file, config)),
          tokenizer(Tokenizer::fromGguf(file)) {}
    gguf::GgufFile file;
    ModelConfig config;
    ModelWeights weights;
    std::unique_ptr<Tokenizer> tokenizer;
};

const ContextOptions kLavapipe{.device = "llvmpipe"};

}  // namespace

class TestVulkanForward : public QObject {
    Q_OBJECT

    std::unique_ptr<ComputeContext> context;
    uint64_t messagesBefore = 0;
    ThreadPool pool{2};

    Buffer upload(std::span<const std::byte> bytes, const char* name) {
        Buffer b = context->createBuffer(std::max<size_t>((bytes.size() + 3) / 4 * 4, 4), MemoryKind::DeviceLocal, name);
        context->upload(b, bytes);
        return b;
    }
    template <typename T>
    Buffer upload(const std::vector<T>& values, const char* name) {
        return upload(std::as_bytes(std::span(values)), name);
    }
    std::vector<float> download(const Buffer& b, size_t count) {
        std::vector<float> values(count);
        context->download(b, std::as_writable_bytes(std::span(values)));
        return values;
    }

    void checkGetRows(GgmlType type, uint32_t cols) {
        const uint32_t rows = 37;
        const std::vector<float> source = randomFloats(size_t(rows) * cols, 7, -2, 2);
        const size_t rowBytes = quantizedRowBytes(type, cols);
        std::vector<uint8_t> raw(rowBytes * rows);
        for (uint32_t r = 0; r < rows; ++r) quantizeRow(type, &source[size_t(r) * cols], &raw[r * rowBytes], cols);
        Tensor tensor;
        tensor.name = "embedding";
        tensor.shape = {cols, rows};
        tensor.type = type;
        tensor.byteSize = raw.size();
        tensor.data = raw.data();

        const std::vector<int32_t> ids = {5, 0, 36, 5, 17};
        const float scale = 1.5f;
        std::vector<double> expected;
        std::vector<float> row(cols);
        for (int32_t id : ids) {
            tensorRow(tensor, uint64_t(id), row.data());
            for (float x : row) expected.push_back(double(x) * scale);
        }
        const Buffer w = upload(std::as_bytes(std::span(raw)), "w"), idBuffer = upload(ids, "ids");
        const Buffer y = context->createBuffer(expected.size() * sizeof(float), MemoryKind::DeviceLocal, "y");
        CommandRecorder rec(*context);
        recordGetRows(*context, rec, type, w, cols, idBuffer, uint32_t(ids.size()), scale, y);
        context->submit(rec.finish());
        const double error = maxRelativeError(download(y, expected.size()), expected);
        QVERIFY2(error < 1e-6, qPrintable(QString("%1: relative error %2").arg(typeName(type).data()).arg(error)));
    }

    void checkRope(bool neox, bool withFreqFactors, float attnFactor = 1.0f) {
        const uint32_t headDim = 24, heads = 3, ropeDims = 16;
        const std::vector<int32_t> positions = {0, 1, 7, 64, 131};
        std::vector<float> x = randomFloats(positions.size() * heads * headDim, 11);
        const std::vector<float> factors = randomFloats(ropeDims / 2, 3, 1.0f, 8.0f);
        const RopeParams params{headDim, heads, ropeDims, neox, 10000.0f, 0.5f, attnFactor};
        const RopePlan plan{ropeDims, neox, params.base, params.freqScale, attnFactor};

        std::vector<float> expected = x;
        for (size_t t = 0; t < positions.size(); ++t)
            for (uint32_t h = 0; h < heads; ++h)
                CpuTransformer::rotate(&expected[(t * heads + h) * headDim], plan, positions[t],
                                       withFreqFactors ? factors.data() : nullptr);

        const Buffer xBuffer = upload(x, "x"), positionBuffer = upload(positions, "positions"),
                     factorBuffer = upload(factors, "factors");
        CommandRecorder rec(*context);
        recordRope(*context, rec, xBuffer, uint32_t(positions.size()), positionBuffer,
                   withFreqFactors ? &factorBuffer : nullptr, params);
        context->submit(rec.finish());
        const double error = maxRelativeError(download(xBuffer, x.size()), toDouble(expected));
        QVERIFY2(error < 1e-4, qPrintable(QString("relative error %1").arg(error)));
    }

    void checkAttention(const AttentionParams& params, std::vector<int32_t> positions) {
        const uint32_t cacheLength = uint32_t(*std::max_element(positions.begin(), positions.end())) + 1;
        const std::vector<float> q = randomFloats(positions.size() * params.heads * params.headDimK, 21, -2, 2);
        const std::vector<float> k = randomFloats(size_t(cacheLength) * params.kvHeads * params.headDimK, 22, -2, 2);
        const std::vector<float> v = randomFloats(size_t(cacheLength) * params.kvHeads * params.headDimV, 23);
        const std::vector<double> expected = cpuAttention(q, k, v, positions, params);

        const Buffer qBuffer = upload(q, "q"), kBuffer = upload(k, "k"), vBuffer = upload(v, "v"),
                     positionBuffer = upload(positions, "positions");
        const Buffer out = context->createBuffer(expected.size() * sizeof(float), MemoryKind::DeviceLocal, "out");
        CommandRecorder rec(*context);
        recordAttention(*context, rec, qBuffer, kBuffer, vBuffer, positionBuffer, uint32_t(positions.size()), params, out);
        context->submit(rec.finish());
        // v is in [-1, 1]: outputs are weighted sums of such values.
        const double error = maxRelativeError(download(out, expected.size()), expected, 1e-2);
        QVERIFY2(error < 1e-4, qPrintable(QString("relative error %1").arg(error)));
    }

    // Greedy decoding from BOS, then teacher-forced logits over the golden
    // eval text: the Vulkan backend must pick the CPU's tokens and give the
    // same distributions.
    void compareWithCpu(const char* modelName, int greedyTokens, int forcedTokens) {
        NIBBLE_REQUIRE_MODEL(path, modelName);
        compareFileWithCpu(path, greedyTokens, forcedTokens);
    }

    void compareFileWithCpu(const std::filesystem::path& path, int greedyTokens, int forcedTokens) {
        const std::string modelName = path.filename().string();
        const LoadedModel m(path);
        const int contextLength = std::max(greedyTokens + 1, forcedTokens);
        CpuTransformer cpu(m.config, m.weights, contextLength, pool);
        VulkanTransformer gpu(m.config, m.weights, contextLength, kLavapipe);
        QVERIFY(gpu.description().find("llvmpipe") != std::string::npos);

        std::vector<float> cpuLogits, gpuLogits;
        int32_t cpuToken = m.tokenizer->bos(), gpuToken = cpuToken;
        for (int i = 0; i < greedyTokens; ++i) {
            cpu.forward(std::span(&cpuToken, 1), i, false, cpuLogits);
            gpu.forward(std::span(&gpuToken, 1), i, false, gpuLogits);
            QCOMPARE(gpuLogits.size(), size_t(m.config.nVocab));
            cpuToken = argmax(cpuLogits);
            gpuToken = argmax(gpuLogits);
            QVERIFY2(gpuToken == cpuToken, qPrintable(QString("token %1: Vulkan %2, CPU %3").arg(i).arg(gpuToken).arg(cpuToken)));
        }
        // Every token after the first replays the one-token step recorded for it.
        QCOMPARE(gpu.recordingCount(), 1);

        std::vector<int32_t> text = m.tokenizer->encode(readFile(test::goldenDir() / "stories260K" / "eval-text.txt"), true, false);
        QVERIFY(int(text.size()) >= forcedTokens);
        text.resize(size_t(forcedTokens));
        cpu.forward(text, 0, true, cpuLogits);
        gpu.forward(text, 0, true, gpuLogits);
        // Full batches of kMaxBatch tokens share one recording; a shorter last batch needs its own.
        const int batch = int(VulkanTransformer::kMaxBatch);
        QCOMPARE(gpu.recordingCount(), 1 + (forcedTokens >= batch) + (forcedTokens % batch != 0));
        QCOMPARE(gpuLogits.size(), cpuLogits.size());
        const size_t V = m.config.nVocab;
        int sameTop = 0;
        double kl = 0;
        for (int i = 0; i < forcedTokens; ++i) {
            const std::span<const float> c(&cpuLogits[i * V], V), g(&gpuLogits[i * V], V);
            sameTop += argmax(c) == argmax(g);
            kl += klDivergence(c, g);
        }
        kl /= forcedTokens;
        qInfo("%s: same top token at %d of %d positions, mean KL divergence %.3g", modelName.c_str(), sameTop, forcedTokens, kl);
        QVERIFY2(sameTop >= std::ceil(0.995 * forcedTokens), qPrintable(QString("same top token at %1 of %2").arg(sameTop).arg(forcedTokens)));
        QVERIFY2(kl < 1e-4, qPrintable(QString("mean KL divergence %1").arg(kl)));
        QCOMPARE(gpu.computeContext().validationMessageCount(), uint64_t(0));
    }

private slots:
    void initTestCase() {
        context = std::make_unique<ComputeContext>(kLavapipe);
        if (validationRequested()) QVERIFY2(context->validationEnabled(), "NIBBLE_VK_VALIDATION=1 but the layer is off");
    }
    void init() { messagesBefore = context->validationMessageCount(); }
    void cleanup() { QCOMPARE(context->validationMessageCount(), messagesBefore); }
    void cleanupTestCase() { context.reset(); }

    void getRowsDequantizesAndScalesEachFormat() {
        checkGetRows(GgmlType::F32, 70);
        checkGetRows(GgmlType::F16, 71);
        checkGetRows(GgmlType::Q8_0, 96);
    }

    void ropeNormalMatchesCpu() { checkRope(false, false); }
    void ropeNeoxMatchesCpu() { checkRope(true, false); }
    void ropeWithFrequencyFactorsMatchesCpu() { checkRope(true, true); }
    void ropeWithAttentionFactorMatchesCpu() { checkRope(true, true, 1.19f); }

    void attentionWithGroupedHeadsMatchesCpu() {
        // 3 query heads per KV head; positions across several key chunks of 64.
        checkAttention({.heads = 6, .kvHeads = 2, .headDimK = 40, .headDimV = 40, .scale = 1.0f / std::sqrt(40.0f)},
                       {0, 1, 63, 64, 65, 150});
    }
    void attentionWithSlidingWindowAndSoftcapMatchesCpu() {
        checkAttention({.heads = 4, .kvHeads = 1, .headDimK = 72, .headDimV = 36, .scale = 0.3f, .softcap = 5.0f,
                        .window = 37},
                       {3, 36, 37, 100, 129});
    }
    void attentionWithWideHeadsMatchesCpu() {
        checkAttention({.heads = 2, .kvHeads = 2, .headDimK = 256, .headDimV = 256, .scale = 1.0f / 16.0f},
                       {0, 70});
    }

    void gluMatchesCpuForBothActivations() {
        const uint32_t n = 3001;
        const std::vector<float> gate = randomFloats(n, 31, -12, 12), up = randomFloats(n, 32, -3, 3);
        for (GluActivation activation : {GluActivation::SiLU, GluActivation::GeluTanh}) {
            // In double: the CPU's float GELU loses digits in 1 + tanh for negative inputs.
            std::vector<double> expected(n);
            for (uint32_t i = 0; i < n; ++i) {
                const double g = gate[i];
                const double act = activation == GluActivation::SiLU
                                       ? g / (1 + std::exp(-g))
                                       : 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * g * (1 + 0.044715 * g * g)));
                expected[i] = act * up[i];
            }
            const Buffer gateBuffer = upload(gate, "gate"), upBuffer = upload(up, "up");
            CommandRecorder rec(*context);
            recordGlu(*context, rec, gateBuffer, upBuffer, n, activation);
            context->submit(rec.finish());
            const double error = maxRelativeError(download(gateBuffer, n), expected);
            QVERIFY2(error < 1e-4, qPrintable(QString("relative error %1").arg(error)));
        }
    }

    void addBiasAddsToEveryRow() {
        const uint32_t cols = 19, rows = 5;
        const std::vector<float> x = randomFloats(cols * rows, 41), bias = randomFloats(cols, 42);
        std::vector<double> expected(x.size());
        for (size_t i = 0; i < x.size(); ++i) expected[i] = double(x[i]) + bias[i % cols];
        const Buffer xBuffer = upload(x, "x"), biasBuffer = upload(bias, "bias");
        CommandRecorder rec(*context);
        recordAddBias(*context, rec, xBuffer, biasBuffer, cols * rows, cols);
        context->submit(rec.finish());
        QVERIFY(maxRelativeError(download(xBuffer, x.size()), expected) < 1e-6);
    }

    void storiesMatchesCpu() { compareWithCpu(test::kStories, 64, 128); }
    // Short runs: on lavapipe (2 shared cores) a token of these models takes
    // seconds, nearly all of it in the matrix-vector products.
    // Files our own quantizer writes run on Vulkan exactly as on the CPU.
    void ourQuantizedFilesMatchCpu() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        for (const char* recipe : {"Q8_0", "Q4_0", "Q4_1", "Q5_K_M", "IQ4_NL"}) {
            const std::filesystem::path out = dir.path().toStdString() + "/" + recipe + ".gguf";
            QuantizeOptions options;
            options.recipe = recipe;
            quantizeModel(source, out, options);
            compareFileWithCpu(out, 64, 128);
            if (QTest::currentTestFailed()) return;
        }
    }

    void smolLm2MatchesCpu() { compareWithCpu(test::kSmolLM2, 3, 6); }

    // Fused q/k/v and gate/up split into separately uploaded row ranges,
    // partial rotary, and LongRoPE's long factors: 40 tokens of context
    // exceed the original 32.
    void phi3MatchesCpu() {
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        const gguf::GgufFile tokenizer(stories);
        QTemporaryDir dir;
        test::TinyPhi3 phi;
        phi.ropeDims = 12;
        phi.tokenizer = &tokenizer;
        const std::filesystem::path path = dir.path().toStdString() + "/phi3.gguf";
        phi.write(path);
        compareFileWithCpu(path, 8, 40);
    }
    void gemma3MatchesCpu() { compareWithCpu(test::kGemma3, 2, 4); }

    void refusesAContextThatDoesNotFit() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const LoadedModel m(path);
        const int huge = 1 << 30;
        try {
            VulkanTransformer gpu(m.config, m.weights, huge, kLavapipe);
            QFAIL("a context of 2^30 tokens fitted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::OutOfMemory);
            QVERIFY2(QString(e.what()).contains("need"), e.what());
        }
    }

    void rejectsTokensPastTheContext() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const LoadedModel m(path);
        VulkanTransformer gpu(m.config, m.weights, 8, kLavapipe);
        std::vector<float> logits;
        const std::vector<int32_t> tokens(4, 1);
        QVERIFY_THROWS_EXCEPTION(Error, gpu.forward(tokens, 6, false, logits));
        const int32_t outside = int32_t(m.config.nVocab);
        QVERIFY_THROWS_EXCEPTION(Error, gpu.forward(std::span(&outside, 1), 0, false, logits));
        QCOMPARE(gpu.computeContext().validationMessageCount(), uint64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestVulkanForward)
#include "test_vulkan_forward.moc"
