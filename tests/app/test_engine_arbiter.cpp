// Background jobs that load models (a quality measurement, a variant being
// made) share memory with the chat's model through EngineArbiter: with a
// small budget, a measurement waits for its lease and runs once granted, two
// jobs never hold more than the budget between them, a cancel while waiting
// ends the job at once, and the chat's model is let go only between replies.
// Real stories260K for the jobs and SmolLM2 for the chat, on the CPU.
#include "engine_bridge/engine_arbiter.h"
#include "engine_bridge/engine_host.h"
#include "engine_bridge/engine_reply.h"
#include "library/variant_builder.h"
#include "library/variant_list_model.h"
#include "quality/quality_evaluator.h"
#include "shell/app_settings.h"
#include "storage/database.h"
#include "storage/model_store.h"
#include "storage/variant_store.h"
#include "test_models.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace nibble;

namespace {

// Loading, a measurement or a quantization on a busy 2-core machine take seconds.
constexpr int kWorkTimeoutMs = 180'000;
// Long enough that the jobs asked for during it are seen waiting.
constexpr int kReplyTokens = 48;

GenerateOptions greedy(int maxTokens) {
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = maxTokens;
    return options;
}

}  // namespace

class TestEngineArbiter : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void measurementWaitsForItsLeaseThenRuns();
    void twoJobsNeverHoldMoreThanTheBudget();
    void cancelWhileWaitingEndsAtOnce();
    void replyInProgressIsNeverUnloaded();

private:
    // The arbiter and the jobs over it, for a budget of budgetBytes.
    void makeJobs(uint64_t budgetBytes);
    app::EngineTarget chatTarget() const;
    void loadChatModel();

    QTemporaryDir dir_;
    std::filesystem::path stories_, smol_;
    std::optional<storage::Database> db_;
    std::unique_ptr<app::AppSettings> settings_;
    std::unique_ptr<app::VariantListModel> variants_;
    std::unique_ptr<app::EngineHost> engine_;
    std::unique_ptr<app::EngineArbiter> arbiter_;
    std::unique_ptr<app::QualityEvaluator> evaluator_;
    std::unique_ptr<app::VariantBuilder> builder_;
    qint64 referenceId_ = 0, variantId_ = 0;
    // What one stories260K file takes, as the arbiter counts it.
    uint64_t storiesBytes_ = 0;
};

void TestEngineArbiter::initTestCase() {
    NIBBLE_REQUIRE_MODEL(stories, test::kStories);
    NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
    stories_ = stories;
    smol_ = smol;
    QVERIFY(dir_.isValid());
    // Two files of one model, so a measurement has a reference and a variant to load.
    const QString reference = dir_.filePath("stories-a.gguf"), variant = dir_.filePath("stories-b.gguf");
    QVERIFY(QFile::copy(QString::fromStdString(stories.string()), reference));
    QVERIFY(QFile::copy(QString::fromStdString(stories.string()), variant));
    storiesBytes_ = app::EngineArbiter::modelBytes(reference);
    QVERIFY(storiesBytes_ > 0);
    // The chat's model must not fit beside a measurement in the budgets below.
    QVERIFY(app::EngineArbiter::modelBytes(QString::fromStdString(smol.string())) > 3 * storiesBytes_);

    db_.emplace(storage::Database::open(dir_.filePath("nibble.db")));
    storage::Model model;
    model.name = "stories260K";
    model.architecture = "llama";
    model = storage::ModelStore(*db_).add(model);
    for (const QString& path : {reference, variant}) {
        storage::Variant v;
        v.modelId = model.id;
        v.precision = "F32";
        v.filePath = path;
        v.sizeBytes = qint64(storiesBytes_);
        v.origin = storage::VariantOrigin::Imported;
        (path == reference ? referenceId_ : variantId_) = storage::VariantStore(*db_).add(v).id;
    }
    settings_ = std::make_unique<app::AppSettings>(dir_.filePath("settings.ini"), dir_.path());
    variants_ = std::make_unique<app::VariantListModel>(*db_);
}

void TestEngineArbiter::init() { engine_ = std::make_unique<app::EngineHost>(); }

void TestEngineArbiter::cleanup() {
    builder_.reset();
    evaluator_.reset();
    arbiter_.reset();
    engine_.reset();
}

void TestEngineArbiter::makeJobs(uint64_t budgetBytes) {
    arbiter_ = std::make_unique<app::EngineArbiter>(*engine_, budgetBytes);
    evaluator_ = std::make_unique<app::QualityEvaluator>(*db_, *variants_, *settings_, *arbiter_);
    builder_ = std::make_unique<app::VariantBuilder>(*db_, *variants_, dir_.filePath("models"), *arbiter_);
}

app::EngineTarget TestEngineArbiter::chatTarget() const {
    app::EngineTarget target;
    target.variantId = 99;
    target.filePath = QString::fromStdString(smol_.string());
    target.label = "SmolLM2";
    target.backend = BackendKind::Cpu;
    target.contextLength = 512;
    return target;
}

void TestEngineArbiter::loadChatModel() {
    engine_->load(chatTarget());
    QTRY_COMPARE_WITH_TIMEOUT(engine_->residentVariantId(), 99, kWorkTimeoutMs);
}

void TestEngineArbiter::measurementWaitsForItsLeaseThenRuns() {
    makeJobs(2 * storiesBytes_);
    // Another job holds the whole budget.
    auto other = arbiter_->request(2 * storiesBytes_);
    QVERIFY(other->isGranted());
    QSignalSpy finished(evaluator_.get(), &app::QualityEvaluator::finished);
    QVERIFY(evaluator_->evaluatePrompt(referenceId_, variantId_, "Once upon a time"));
    QVERIFY(evaluator_->running());
    QVERIFY(evaluator_->waiting());
    QVERIFY2(evaluator_->task().contains("Waiting for another measurement or variant to finish"),
             qPrintable(evaluator_->task()));
    // Nothing runs while it waits.
    QTest::qWait(500);
    QVERIFY(evaluator_->waiting());
    QCOMPARE(evaluator_->progress(), 0.0);
    QCOMPARE(finished.count(), 0);

    other.reset();
    QVERIFY(!evaluator_->waiting());
    QCOMPARE(arbiter_->leasedBytes(), 2 * storiesBytes_);
    QTRY_VERIFY_WITH_TIMEOUT(!evaluator_->running(), kWorkTimeoutMs);
    QVERIFY2(evaluator_->message().isEmpty(), qPrintable(evaluator_->message()));
    QCOMPARE(evaluator_->result()["referenceId"].toLongLong(), referenceId_);
    QVERIFY(evaluator_->result()["scoredTokens"].toInt() > 0);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(arbiter_->leasedBytes(), uint64_t(0));
}

void TestEngineArbiter::twoJobsNeverHoldMoreThanTheBudget() {
    // Room for the measurement's two files or the build's one, not for all three.
    const uint64_t budget = 2 * storiesBytes_ + storiesBytes_ / 2;
    makeJobs(budget);
    uint64_t mostLeased = 0;
    connect(arbiter_.get(), &app::EngineArbiter::leasesChanged, this,
            [&] { mostLeased = std::max(mostLeased, arbiter_->leasedBytes() + arbiter_->chatBytes()); });
    QVERIFY(evaluator_->evaluatePrompt(referenceId_, variantId_, "Once upon a time"));
    QVERIFY(!evaluator_->waiting());
    QVERIFY2(builder_->create(referenceId_, "Q8_0"), qPrintable(builder_->message()));
    QVERIFY(builder_->running());
    QVERIFY2(builder_->phase().startsWith("Waiting for another measurement or variant"), qPrintable(builder_->phase()));

    QTRY_VERIFY_WITH_TIMEOUT(!evaluator_->running() && !builder_->running(), kWorkTimeoutMs);
    QVERIFY2(evaluator_->message().isEmpty(), qPrintable(evaluator_->message()));
    QVERIFY2(builder_->message().startsWith("Made "), qPrintable(builder_->message()));
    // Both ran, one after the other.
    QCOMPARE(mostLeased, 2 * storiesBytes_);
    QVERIFY(mostLeased <= budget);
    QCOMPARE(arbiter_->leasedBytes(), uint64_t(0));
}

void TestEngineArbiter::cancelWhileWaitingEndsAtOnce() {
    makeJobs(2 * storiesBytes_);
    const auto other = arbiter_->request(storiesBytes_);
    QSignalSpy finished(evaluator_.get(), &app::QualityEvaluator::finished);
    QVERIFY(evaluator_->evaluatePrompt(referenceId_, variantId_, "Once upon a time"));
    QVERIFY(evaluator_->waiting());

    evaluator_->cancel();
    QTRY_VERIFY(!evaluator_->running());
    QCOMPARE(finished.count(), 1);
    QCOMPARE(evaluator_->message(), "The measurement was cancelled.");
    QVERIFY(evaluator_->result().isEmpty());
    // It left the queue: the memory it waited for goes to the next job.
    QCOMPARE(arbiter_->leasedBytes(), storiesBytes_);
    const auto next = arbiter_->request(storiesBytes_);
    QVERIFY(next->isGranted());
}

void TestEngineArbiter::replyInProgressIsNeverUnloaded() {
    makeJobs(2 * storiesBytes_);
    loadChatModel();
    const auto reply = engine_->generate(chatTarget(), {{"user", "Tell me a long story."}}, greedy(kReplyTokens));
    QSignalSpy started(reply.get(), &app::EngineReply::started);
    QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, kWorkTimeoutMs);

    QVERIFY(evaluator_->evaluatePrompt(referenceId_, variantId_, "Once upon a time"));
    QVERIFY(evaluator_->waiting());
    QVERIFY2(evaluator_->task().contains("Waiting for the chat model to be unloaded"), qPrintable(evaluator_->task()));
    // Every piece of the reply comes while its model stays and the measurement waits.
    int pieces = 0;
    bool measuredDuringReply = false;
    connect(reply.get(), &app::EngineReply::piece, this, [&] {
        ++pieces;
        if (!evaluator_->waiting() || engine_->residentVariantId() != 99) measuredDuringReply = true;
    });
    app::GenerationStats stats;
    bool ended = false;
    connect(reply.get(), &app::EngineReply::finished, this, [&](const app::GenerationStats& s) {
        stats = s;
        ended = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(ended, kWorkTimeoutMs);
    QVERIFY(!measuredDuringReply);
    QCOMPARE(stats.stopReason, StopReason::MaxTokens);
    QCOMPARE(stats.generatedTokens, kReplyTokens);
    QVERIFY(pieces > 0);

    // Idle now: the chat's model goes, and the measurement runs in its place.
    QTRY_COMPARE_WITH_TIMEOUT(engine_->residentVariantId(), 0, kWorkTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!evaluator_->running(), kWorkTimeoutMs);
    QVERIFY2(evaluator_->message().isEmpty(), qPrintable(evaluator_->message()));
    QVERIFY(evaluator_->result()["scoredTokens"].toInt() > 0);
}

QTEST_GUILESS_MAIN(TestEngineArbiter)
#include "test_engine_arbiter.moc"
