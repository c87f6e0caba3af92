#include "quality/quality_evaluator.h"

#include "shell/app_settings.h"
#include "quality/quality_verdict.h"
#include "chat/saved_chat_text.h"
#include "storage/evaluation_store.h"
#include "storage/storage_error.h"
#include "library/variant_list_model.h"

#include <nibble/evaluation.h>

#include <QFileInfo>
#include <QJsonObject>


namespace nibble::app {

namespace {

// Enough context for a prompt cut to kMaxPromptCharacters plus the reply.
constexpr int kPromptContext = 2048;
constexpr qsizetype kMaxPromptCharacters = 1800;
// The reference's greedy reply when none is given; a given one (what the
// user saw) is scored up to kShownReplyTokens.
constexpr int kPromptReplyTokens = 64;
constexpr int kShownReplyTokens = 1024;
// Greedy tokens generated per model to measure speed on the saved chats.
constexpr int kSpeedTokens = 32;
// Saved turns are cut to fit this (saved_chat_text.cpp); shorter replies
// keep a run over many turns within a minute or two.
constexpr int kChatContext = 1024;
constexpr int kChatReplyTokens = 48;

}  // namespace

// One measurement: its inputs, its progress (read by the UI thread while it
// runs) and its outcome (read once it has finished).
struct EvaluationJob : JobControl {
    QString mode;  // "prompt" or "chats"
    qint64 referenceId = 0;
    qint64 variantId = 0;
    int items = 0;  // prompts scored
    QString promptText;
    bool replyGiven = false;
    double referenceTokensPerSecond = 0, tokensPerSecond = 0;  // measured by the caller, when known
    std::filesystem::path referencePath;
    std::filesystem::path variantPath;
    CompareOptions options;

    std::vector<VariantQuality> figures;
};

namespace {

// Runs on a pool thread.
void evaluate(EvaluationJob& job) {
    runCatchingErrors(job, [&job] {
        job.options.progress = [&job](float fraction) {
            job.progress = fraction;
            return !job.cancel.load();
        };
        job.figures = compareModels(job.referencePath, {job.variantPath}, job.options);
    });
}

QString turnsText(int n) {
    return n == 1 ? QualityEvaluator::tr("1 turn") : QualityEvaluator::tr("%1 turns").arg(n);
}

std::vector<ChatMessage> promptConversation(const QString& systemPrompt, const QString& userTurn) {
    std::vector<ChatMessage> conversation;
    if (!systemPrompt.trimmed().isEmpty()) conversation.push_back({"system", systemPrompt.toStdString()});
    conversation.push_back({"user", userTurn.toStdString()});
    return conversation;
}

}  // namespace

QualityEvaluator::QualityEvaluator(const storage::Database& db, VariantListModel& variants, AppSettings& settings,
                                   EngineArbiter& arbiter, QObject* parent)
    : QObject(parent), db_(db), variants_(variants), settings_(settings), task_(arbiter) {
    connect(&task_, &LeasedTask::progressChanged, this, &QualityEvaluator::progressChanged);
    connect(&task_, &LeasedTask::waitingChanged, this, &QualityEvaluator::stateChanged);
    connect(&task_, &LeasedTask::finished, this, &QualityEvaluator::onJobFinished);
}

QualityEvaluator::~QualityEvaluator() = default;

QString QualityEvaluator::task() const {
    if (!job_) return {};
    const QString variant = variants_.labelOf(job_->variantId), reference = variants_.labelOf(job_->referenceId);
    const QString what =
        job_->mode == QLatin1String("prompt")
            ? tr("Measuring %1 against %2 on this prompt").arg(variant, reference)
            : tr("Measuring %1 against %2 on %3 of your saved chats").arg(variant, reference, turnsText(job_->items));
    return task_.waiting() ? tr("%1. %2").arg(what, task_.waitingReason()) : what;
}

bool QualityEvaluator::evaluatePrompt(qint64 referenceId, qint64 variantId, const QString& prompt,
                                      const QString& referenceReply, double referenceTokensPerSecond,
                                      double tokensPerSecond) {
    auto job = std::make_shared<EvaluationJob>();
    job->mode = QStringLiteral("prompt");
    job->referenceId = referenceId;
    job->variantId = variantId;
    job->items = 1;
    job->promptText = prompt.trimmed().left(kMaxPromptCharacters);
    job->options.conversations = {promptConversation(settings_.systemPrompt(), job->promptText)};
    job->options.nCtx = kPromptContext;
    job->replyGiven = !referenceReply.isEmpty();
    if (job->replyGiven) job->options.replies = {referenceReply.toStdString()};
    job->options.replyTokens = job->replyGiven ? kShownReplyTokens : kPromptReplyTokens;
    job->referenceTokensPerSecond = referenceTokensPerSecond;
    job->tokensPerSecond = tokensPerSecond;
    // Speeds the caller measured are the ones on screen: no second measurement to disagree with them.
    job->options.speedTokens = referenceTokensPerSecond > 0 && tokensPerSecond > 0 ? 0 : kSpeedTokens;
    if (job->promptText.isEmpty()) {
        setOutcome({}, tr("Type a prompt to measure on."));
        return false;
    }
    return start(std::move(job));
}

bool QualityEvaluator::evaluateChats(qint64 referenceId, qint64 variantId, int maxTurns) {
    QStringList turns;
    try {
        turns = savedUserTurns(db_, maxTurns);
    } catch (const storage::StorageError& e) {
        setOutcome({}, e.message());
        return false;
    }
    if (turns.isEmpty()) {
        setOutcome({}, tr("There are no saved chats to measure on yet."));
        return false;
    }
    auto job = std::make_shared<EvaluationJob>();
    job->mode = QStringLiteral("chats");
    job->referenceId = referenceId;
    job->variantId = variantId;
    job->items = int(turns.size());
    for (const QString& turn : turns)
        job->options.conversations.push_back(promptConversation(settings_.systemPrompt(), turn));
    job->options.nCtx = kChatContext;
    job->options.replyTokens = kChatReplyTokens;
    job->options.speedTokens = kSpeedTokens;
    return start(std::move(job));
}

int QualityEvaluator::savedTurnCount(int maxTurns) const {
    try {
        return int(savedUserTurns(db_, maxTurns).size());
    } catch (const storage::StorageError&) {
        return 0;
    }
}

bool QualityEvaluator::start(std::shared_ptr<EvaluationJob> job) {
    if (running()) {
        setOutcome(result_, tr("A measurement is still running; wait for it or cancel it first."));
        return false;
    }
    const auto reference = variants_.variant(job->referenceId), variant = variants_.variant(job->variantId);
    if (!reference || !variant || reference->id == variant->id) {
        setOutcome({}, tr("Pick two different variants to compare."));
        return false;
    }
    for (const auto& v : {*reference, *variant}) {
        if (!QFileInfo(v.filePath).isFile()) {
            setOutcome({}, tr("The file of %1 is missing.").arg(variants_.labelOf(v.id)));
            return false;
        }
    }
    job->referencePath = reference->filePath.toStdString();
    job->variantPath = variant->filePath.toStdString();
    job->options.backend = settings_.loadOptions().backend;
    // The last result's caption and figures do not belong to this run.
    setOutcome({}, {});
    job_ = std::move(job);
    const uint64_t bytes = EngineArbiter::modelBytes(reference->filePath) + EngineArbiter::modelBytes(variant->filePath);
    task_.start(job_, bytes, [job = job_] { evaluate(*job); });
    emit stateChanged();
    emit progressChanged();
    return true;
}

void QualityEvaluator::cancel() { task_.cancel(); }

void QualityEvaluator::clear() {
    cancel();
    setOutcome({}, {});
}

void QualityEvaluator::setOutcome(const QVariantMap& result, const QString& message) {
    result_ = result;
    message_ = message;
    emit resultChanged();
}

void QualityEvaluator::onJobFinished() {
    const std::shared_ptr<EvaluationJob> job = std::move(job_);
    emit stateChanged();
    emit progressChanged();
    if (job->cancelled) {
        setOutcome({}, tr("The measurement was cancelled."));
    } else if (!job->error.isEmpty() || job->figures.size() != 2) {
        setOutcome({}, tr("The measurement failed: %1").arg(job->error));
    } else {
        const VariantQuality& ref = job->figures[0];
        const VariantQuality& var = job->figures[1];
        const auto reference = variants_.variant(job->referenceId), variant = variants_.variant(job->variantId);
        const QString refPrecision = reference ? reference->precision : QString::fromStdString(ref.fileType);
        const QString varPrecision = variant ? variant->precision : QString::fromStdString(var.fileType);
        const bool prompt = job->mode == QLatin1String("prompt");
        const QString tokens = var.scoredTokens == 1 ? tr("1 token") : tr("%1 tokens").arg(var.scoredTokens);
        const QString dataset = !prompt          ? tr("%1 of your saved chats").arg(turnsText(job->items))
                                : job->replyGiven ? tr("A's reply above (%1)").arg(tokens)
                                                  : tr("A's most likely reply to this prompt (%1)").arg(tokens);
        const bool measuredByCaller = job->options.speedTokens == 0;
        const double referenceSpeed = measuredByCaller ? job->referenceTokensPerSecond : ref.decodeTokensPerSecond;
        const double variantSpeed = measuredByCaller ? job->tokensPerSecond : var.decodeTokensPerSecond;
        const QString speedNote = measuredByCaller
                                      ? tr("tokens per second while writing the replies above")
                                      : tr("tokens per second writing %1 tokens after \"The\", most likely token each time")
                                            .arg(kSpeedTokens);
        QVariantMap result{
            {"mode", job->mode},
            {"dataset", dataset},
            {"referenceId", job->referenceId},
            {"variantId", job->variantId},
            {"referenceLabel", variants_.labelOf(job->referenceId)},
            {"variantLabel", variants_.labelOf(job->variantId)},
            {"scoredTokens", var.scoredTokens},
            {"kldMean", var.kldMean},
            {"kldP99", var.kldP99},
            {"sameTopPercent", var.sameTopPercent},
            {"rmsDeltaP", var.rmsDeltaP},
            {"referencePerplexity", ref.perplexity},
            {"perplexity", var.perplexity},
            {"referenceTokensPerSecond", referenceSpeed},
            {"tokensPerSecond", variantSpeed},
            {"speedNote", speedNote},
            {"referenceBytes", qint64(ref.fileBytes)},
            {"bytes", qint64(var.fileBytes)},
            {"referenceSizeText", fileSizeText(qint64(ref.fileBytes))},
            {"sizeText", fileSizeText(qint64(var.fileBytes))},
            {"referenceBitsPerWeight", ref.bitsPerWeight},
            {"bitsPerWeight", var.bitsPerWeight},
            {"verdict", qualityVerdict(verdictName(varPrecision, refPrecision), verdictName(refPrecision, varPrecision),
                                       var.sameTopPercent, variantSpeed, referenceSpeed)},
        };
        if (var.scoredTokens >= kMinTokensForError) {
            result.insert("kldMeanError", var.kldMeanError);
            result.insert("sameTopError", var.sameTopError);
        }
        storage::Evaluation evaluation;
        evaluation.referenceVariantId = job->referenceId;
        evaluation.variantId = job->variantId;
        evaluation.kind = job->mode;
        evaluation.dataset = prompt ? tr("one prompt: %1").arg(job->promptText.left(120)) : dataset;
        evaluation.results = QJsonObject::fromVariantMap(result);
        QString message;
        try {
            storage::EvaluationStore store(db_);
            if (prompt) {
                // One prompt is too few tokens to stand for the variant in the library.
                evaluation = store.add(evaluation);
            } else {
                storage::QualityFigures figures{var.perplexity, var.kldMean, var.sameTopPercent, variantSpeed,
                                                QDateTime::currentDateTimeUtc()};
                evaluation = store.record(evaluation, figures);
                variants_.reload();
            }
            result.insert("evaluationId", evaluation.id);
        } catch (const storage::StorageError& e) {
            message = tr("The figures could not be saved: %1").arg(e.message());
        }
        setOutcome(result, message);
    }
    emit finished();
}

}  // namespace nibble::app
