// The per-layer plan both backends run, read from GGUF metadata the way a
// model file gives it: Gemma 3's five sliding layers to one global layer with
// their own RoPE base, Gemma 2's alternation and soft-cap, Qwen's biases and
// norms, and Llama's plain layers.
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "model/layer_plan.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <functional>

using namespace nibble;

class TestLayerPlan : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    // The plan of a file holding only metadata: enough for ModelConfig.
    std::vector<LayerPlan> plan(const std::string& arch, uint32_t layers,
                                const std::function<void(gguf::GgufWriter&)>& extra = {}) {
        gguf::GgufWriter w;
        w.setString("general.architecture", arch);
        w.setUInt32(arch + ".block_count", layers);
        w.setUInt32(arch + ".embedding_length", 64);
        w.setUInt32(arch + ".feed_forward_length", 128);
        w.setUInt32(arch + ".attention.head_count", 4);
        w.setUInt32(arch + ".attention.head_count_kv", 2);
        w.setUInt32(arch + ".vocab_size", 100);
        if (extra) extra(w);
        const std::filesystem::path path = dir_.path().toStdString() + "/" + arch + ".gguf";
        w.write(path);
        const gguf::GgufFile file(path);
        return planLayers(ModelConfig::fromGguf(file));
    }

private slots:
    void gemma3SlidesFiveLayersThenOneGlobalWithItsOwnRope() {
        const auto layers = plan("gemma3", 12, [](gguf::GgufWriter& w) {
            w.setUInt32("gemma3.attention.key_length", 32);
            w.setUInt32("gemma3.attention.sliding_window", 512);
            w.setFloat32("gemma3.rope.freq_base", 1000000.0f);
            w.setString("gemma3.rope.scaling.type", "linear");
            w.setFloat32("gemma3.rope.scaling.factor", 8.0f);
        });
        QCOMPARE(layers.size(), size_t(12));
        for (size_t l = 0; l < layers.size(); ++l) {
            const LayerPlan& p = layers[l];
            const bool global = l == 5 || l == 11;
            QCOMPARE(p.window, global ? 0u : 512u);
            QCOMPARE(p.rope.base, global ? 1000000.0f : 10000.0f);
            QCOMPARE(p.rope.freqScale, global ? 0.125f : 1.0f);
            QCOMPARE(p.rope.dims, 32u);
            QVERIFY(p.rope.neox);
            QCOMPARE(p.attentionScale, 1.0f / std::sqrt(32.0f));
            QCOMPARE(p.attnSoftcap, 0.0f);
            QVERIFY(p.qkNorm);
            QVERIFY(p.postNorms);
            QVERIFY(!p.qkvBias);
            QVERIFY(p.activation == Activation::GeluTanh);
        }
    }

    void gemma3WithoutAWindowAttendsEverywhereWithOneRope() {
        const auto layers = plan("gemma3", 6, [](gguf::GgufWriter& w) { w.setFloat32("gemma3.rope.freq_base", 1000000.0f); });
        for (const LayerPlan& p : layers) {
            QCOMPARE(p.window, 0u);
            QCOMPARE(p.rope.base, 1000000.0f);
        }
    }

    void gemma2AlternatesFromASlidingLayerAndCapsLogits() {
        const auto layers = plan("gemma2", 4, [](gguf::GgufWriter& w) {
            w.setUInt32("gemma2.attention.sliding_window", 4096);
            w.setFloat32("gemma2.rope.freq_base", 20000.0f);
        });
        QCOMPARE(layers.size(), size_t(4));
        for (size_t l = 0; l < layers.size(); ++l) {
            const LayerPlan& p = layers[l];
            QCOMPARE(p.window, l % 2 == 0 ? 4096u : 0u);
            QCOMPARE(p.rope.base, 20000.0f);  // Gemma 2's sliding layers keep the file's base
            QCOMPARE(p.attnSoftcap, 50.0f);
            QVERIFY(!p.qkNorm);
            QVERIFY(p.postNorms);
            QVERIFY(p.activation == Activation::GeluTanh);
        }
    }

    void llamaLayersAreAllAlike() {
        const auto layers = plan("llama", 3, [](gguf::GgufWriter& w) {
            w.setUInt32("llama.rope.dimension_count", 8);
            w.setFloat32("llama.rope.freq_base", 500000.0f);
        });
        QCOMPARE(layers.size(), size_t(3));
        for (const LayerPlan& p : layers) {
            QCOMPARE(p.window, 0u);
            QCOMPARE(p.rope.dims, 8u);
            QVERIFY(!p.rope.neox);
            QCOMPARE(p.rope.base, 500000.0f);
            QCOMPARE(p.rope.freqScale, 1.0f);
            QCOMPARE(p.attentionScale, 1.0f / std::sqrt(16.0f));  // 64 wide, 4 heads
            QCOMPARE(p.attnSoftcap, 0.0f);
            QVERIFY(!p.qkNorm);
            QVERIFY(!p.postNorms);
            QVERIFY(!p.qkvBias);
            QVERIFY(p.activation == Activation::SiLU);
        }
    }

    void qwenAddsBiasesOrNormsToTheHeads() {
        for (const LayerPlan& p : plan("qwen2", 2)) {
            QVERIFY(p.qkvBias);
            QVERIFY(!p.qkNorm);
            QVERIFY(p.rope.neox);
        }
        for (const LayerPlan& p : plan("qwen3", 2)) {
            QVERIFY(!p.qkvBias);
            QVERIFY(p.qkNorm);
            QVERIFY(p.rope.neox);
        }
    }
};

QTEST_GUILESS_MAIN(TestLayerPlan)
#include "test_layer_plan.moc"
