#include "quality/compare_controller.h"

#include "shell/app_settings.h"
#include "chat/chat_controller.h"
#include "engine_bridge/engine_host.h"
#include "quality/quality_evaluator.h"
#include "library/variant_defaults.h"
#include "library/variant_list_model.h"

#include <QRandomGenerator>

namespace nibble::app {

CompareController::CompareController(EngineHost& engine, AppSettings& settings, const ChatController& chat,
                                     QualityEvaluator& evaluator, QObject* parent)
    : QObject(parent), engine_(engine), settings_(settings), chat_(chat), evaluator_(evaluator) {
    // The first run's 8-bit variant and imports arrive after this page exists.
    connect(&chat_.variants(), &QAbstractItemModel::modelReset, this, &CompareController::followChat);
    connect(&chat_, &ChatController::variantChanged, this, &CompareController::followChat);
    followChat();
}

CompareController::~CompareController() = default;

void CompareController::followChat() {
    if (running()) return;
    const VariantListModel& list = chat_.variants();
    // A pick of a variant since deleted is no pick.
    if (picked_ && list.indexOf(variants_[0]) >= 0 && list.indexOf(variants_[1]) >= 0) return;
    picked_ = false;
    const auto [a, b] = list.mostDifferentPair(chat_.variantId());
    if (a == variants_[0] && b == variants_[1]) return;
    variants_[0] = a;
    variants_[1] = b;
    emit variantsChanged();
}

void CompareController::setVariantA(qint64 id) {
    picked_ = true;
    if (id == variants_[0]) return;
    variants_[0] = id;
    emit variantsChanged();
}

void CompareController::setVariantB(qint64 id) {
    picked_ = true;
    if (id == variants_[1]) return;
    variants_[1] = id;
    emit variantsChanged();
}

bool CompareController::run(const QString& prompt) {
    if (running() || prompt.trimmed().isEmpty() || !chat_.targetFor(variants_[0]) || !chat_.targetFor(variants_[1]))
        return false;
    prompt_ = prompt.trimmed();
    // One seed for both sides: the fixed one from Settings, else a fresh one
    // small enough to show and type back as a whole number.
    const int fixedSeed = variantDefaults(settings_, chat_.variants(), variants_[0]).seed;
    seed_ = fixedSeed > 0 ? quint64(fixedSeed) : quint64(QRandomGenerator::global()->bounded(1, 2147483647));
    stopped_ = false;
    evaluator_.clear();
    for (QVariantMap& result : results_) result = {{"text", QString()}, {"status", "waiting"}};
    emit resultsChanged();
    startSide(0);
    emit runningChanged();
    return true;
}

void CompareController::startSide(int side) {
    side_ = side;
    results_[side]["status"] = "generating";
    emit resultsChanged();
    // Each model samples as chat would sample it.
    const ConversationSettings defaults = variantDefaults(settings_, chat_.variants(), variants_[side]);
    GenerateOptions options = defaults.generateOptions();
    options.sampling.seed = seed_;
    std::vector<ChatMessage> messages;
    if (!defaults.systemPrompt.isEmpty()) messages.push_back({"system", defaults.systemPrompt.toStdString()});
    messages.push_back({"user", prompt_.toStdString()});
    reply_ = engine_.generate(*chat_.targetFor(variants_[side]), std::move(messages), options);
    connect(reply_.get(), &EngineReply::piece, this, &CompareController::onPiece);
    connect(reply_.get(), &EngineReply::finished, this, &CompareController::onFinished);
    connect(reply_.get(), &EngineReply::failed, this, &CompareController::onFailed);
}

void CompareController::onPiece(const QString& piece) {
    results_[side_]["text"] = results_[side_]["text"].toString() + piece;
    emit resultsChanged();
}

void CompareController::onFinished(const GenerationStats& stats) {
    QVariantMap& result = results_[side_];
    result["status"] = stats.stopReason == StopReason::Cancelled ? "stopped" : "done";
    result["tokensPerSecond"] = stats.tokensPerSecond;
    result["tokens"] = stats.generatedTokens;
    emit resultsChanged();
    nextSide();
}

void CompareController::onFailed(const QString& message) {
    results_[side_]["status"] = "failed";
    results_[side_]["error"] = message;
    emit resultsChanged();
    nextSide();
}

void CompareController::nextSide() {
    // Ended, and this runs in a slot of its own signal: deleted once that returns.
    reply_.release()->deleteLater();
    if (side_ == 0 && !stopped_)
        startSide(1);
    else
        finish();
}

void CompareController::finish() {
    if (side_ == 0) results_[1]["status"] = "stopped";
    side_ = -1;
    emit resultsChanged();
    emit runningChanged();
    emit finished();
    const auto done = [](const QVariantMap& result) { return result["status"].toString() == QLatin1String("done"); };
    if (done(results_[0]) && done(results_[1]) && variants_[0] != variants_[1])
        // Scored on A's reply as shown, with the speeds shown beside the replies.
        evaluator_.evaluatePrompt(variants_[0], variants_[1], prompt_, results_[0]["text"].toString(),
                                  results_[0]["tokensPerSecond"].toDouble(), results_[1]["tokensPerSecond"].toDouble());
}

void CompareController::stop() {
    if (!running()) return;
    stopped_ = true;
    reply_->cancel();
}

}  // namespace nibble::app
