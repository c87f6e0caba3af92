// Split-K (flash-decoding) attention against the CPU reference and against
// the one-workgroup-per-head kernel: one query token at cache lengths 1, 7,
// 300 and 1100, grouped-query heads, Gemma's sliding window and softcap, a
// few query tokens at once, and one recording replayed while the cache grows.
#include "attention_reference.h"
#include "random_floats.h"
#include "vulkan/compute_context.h"
#include "vulkan/forward_kernels.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;
using nibble::test::cpuAttention;
using nibble::test::randomFloats;

namespace {

const AttentionParams kGrouped{.heads = 6, .kvHeads = 2, .headDimK = 40, .headDimV = 40, .scale = 0.158f};
const AttentionParams kGemmaLike{.heads = 4, .kvHeads = 1, .headDimK = 72, .headDimV = 36, .scale = 0.3f,
                                 .softcap = 5.0f, .window = 100};

double maxAbsoluteError(std::span<const float> actual, std::span<const double> expected) {
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i) worst = std::max(worst, std::abs(actual[i] - expected[i]));
    return worst;
}

}  // namespace

class TestAttention : public QObject {
    Q_OBJECT

    std::unique_ptr<ComputeContext> context;

    // A cache of `length` positions, queries for `tokens` tokens, and buffers for both kernels' results.
    struct Problem {
        AttentionParams params;
        std::vector<float> q, k, v;
        Buffer qBuffer, kBuffer, vBuffer, positions, scratch, out;
    };

    Buffer floats(size_t count, const char* name) {
        return context->createBuffer(std::max<size_t>(count, 1) * sizeof(float), MemoryKind::DeviceLocal, name);
    }

    Problem makeProblem(const AttentionParams& params, uint32_t length, uint32_t tokens, const AttentionSplit& split) {
        Problem p{params,
                  randomFloats(size_t(tokens) * params.heads * params.headDimK, 21, -2, 2),
                  randomFloats(size_t(length) * params.kvHeads * params.headDimK, 22, -2, 2),
                  randomFloats(size_t(length) * params.kvHeads * params.headDimV, 23),
                  floats(size_t(tokens) * params.heads * params.headDimK, "q"),
                  floats(size_t(length) * params.kvHeads * params.headDimK, "k"),
                  floats(size_t(length) * params.kvHeads * params.headDimV, "v"),
                  context->createBuffer(tokens * sizeof(int32_t), MemoryKind::DeviceLocal, "positions"),
                  floats(splitAttentionScratchFloats(tokens, params, split), "scratch"),
                  floats(size_t(tokens) * params.heads * params.headDimV, "out")};
        context->upload(p.qBuffer, std::as_bytes(std::span(p.q)));
        context->upload(p.kBuffer, std::as_bytes(std::span(p.k)));
        context->upload(p.vBuffer, std::as_bytes(std::span(p.v)));
        return p;
    }

    std::vector<float> run(const Problem& p, const Recording& recording, std::span<const int32_t> positions) {
        context->upload(p.positions, std::as_bytes(positions));
        context->submit(recording);
        std::vector<float> result(positions.size() * p.params.heads * p.params.headDimV);
        context->download(p.out, std::as_writable_bytes(std::span(result)));
        return result;
    }

    Recording recordSplit(const Problem& p, uint32_t tokens, const AttentionSplit& split) {
        CommandRecorder rec(*context);
        recordSplitAttention(*context, rec, p.qBuffer, p.kBuffer, p.vBuffer, p.positions, tokens, p.params, split,
                             p.scratch, p.out);
        return rec.finish();
    }

    // Split attention for the given query positions, against the CPU and
    // against the single-workgroup kernel; the cache is sized for contextLength.
    void check(const AttentionParams& params, std::vector<int32_t> positions, uint32_t contextLength) {
        const uint32_t tokens = uint32_t(positions.size());
        const AttentionSplit split = attentionSplitFor(contextLength, params.heads);
        QVERIFY(uint64_t(split.chunk) * split.splits >= contextLength);
        const Problem p = makeProblem(params, contextLength, tokens, split);
        const std::vector<double> expected = cpuAttention(p.q, p.k, p.v, positions, params);

        const std::vector<float> splitResult = run(p, recordSplit(p, tokens, split), positions);
        const double error = maxAbsoluteError(splitResult, expected);
        QVERIFY2(error < 1e-5, qPrintable(QString("split: error %1 against the CPU").arg(error)));

        CommandRecorder rec(*context);
        recordAttention(*context, rec, p.qBuffer, p.kBuffer, p.vBuffer, p.positions, tokens, params, p.out);
        const std::vector<float> single = run(p, rec.finish(), positions);
        const double disagreement = maxAbsoluteError(single, std::vector<double>(splitResult.begin(), splitResult.end()));
        QVERIFY2(disagreement < 1e-5, qPrintable(QString("split and single kernels differ by %1").arg(disagreement)));
    }

private slots:
    void initTestCase() { context = std::make_unique<ComputeContext>(ContextOptions{.device = "llvmpipe"}); }
    void cleanupTestCase() {
        QCOMPARE(context->validationMessageCount(), uint64_t(0));
        context.reset();
    }

    void splitsCoverTheContextInWholeBlocks() {
        for (uint32_t length : {1u, 63u, 64u, 65u, 4096u, 131072u})
            for (uint32_t heads : {1u, 9u, 64u}) {
                const AttentionSplit split = attentionSplitFor(length, heads);
                QCOMPARE(split.chunk % 64, 0u);
                QVERIFY(uint64_t(split.chunk) * split.splits >= length);
                QVERIFY(uint64_t(split.chunk) * (split.splits - 1) < length);
            }
        // A long context spreads over many workgroups; a short one stays in one chunk.
        QVERIFY(attentionSplitFor(8192, 8).splits >= 64);
        QCOMPARE(attentionSplitFor(40, 8).splits, 1u);
    }

    void oneTokenAfterOnePosition() { check(kGrouped, {0}, 1); }
    void oneTokenAfterSevenPositions() { check(kGrouped, {6}, 7); }
    void oneTokenAfter300Positions() { check(kGrouped, {299}, 300); }
    void oneTokenAfter1100Positions() { check(kGrouped, {1099}, 1100); }
    // Most splits lie past the token: they must add nothing.
    void shortCacheInALongContext() { check(kGrouped, {6}, 4096); }
    void slidingWindowAndSoftcap() { check(kGemmaLike, {1099}, 1100); }
    void windowLongerThanTheCache() { check(kGemmaLike, {40}, 300); }
    void severalTokens() { check(kGemmaLike, {0, 99, 100, 650}, 700); }

    // The dispatch does not depend on the position: one recording, replayed
    // with the positions buffer rewritten, follows the cache as it grows.
    void oneRecordingServesEveryLength() {
        const uint32_t contextLength = 900;
        const AttentionSplit split = attentionSplitFor(contextLength, kGrouped.heads);
        const Problem p = makeProblem(kGrouped, contextLength, 1, split);
        const Recording recording = recordSplit(p, 1, split);
        for (int32_t pos : {0, 63, 64, 500, 899}) {
            const std::vector<int32_t> positions = {pos};
            const double error = maxAbsoluteError(run(p, recording, positions), cpuAttention(p.q, p.k, p.v, positions, kGrouped));
            QVERIFY2(error < 1e-5, qPrintable(QString("position %1: error %2").arg(pos).arg(error)));
        }
    }
};

QTEST_GUILESS_MAIN(TestAttention)
#include "test_attention.moc"
