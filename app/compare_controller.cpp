#include "compare_controller.h"

#include "app_settings.h"
#include "chat_controller.h"
#include "engine_host.h"
#include "quality_evaluator.h"

namespace nibble::app {

CompareController::CompareController(EngineHost& engine, AppSettings& settings, const ChatController& chat,
                                     QualityEvaluator& evaluator, QObject* parent)
    : QObject(parent), engine_(engine), settings_(settings), chat_(chat), evaluator_(evaluator) {
    connect(&engine_, &EngineHost::pieceReady, this, &CompareController::onPiece);
    connect(&engine_, &EngineHost::generationFinished, this, &CompareController::onFinished);
    connect(&engine_, &EngineHost::generationFailed, this, &CompareController::onFailed);
}

void CompareController::setVariantA(qint64 id) {
    if (id == variants_[0]) return;
    variants_[0] = id;
    emit variantsChanged();
}

void CompareController::setVariantB(qint64 id) {
    if (id == variants_[1]) return;
    variants_[1] = id;
    emit variantsChanged();
}

bool CompareController::run(const QString& prompt) {
    if (running() || prompt.trimmed().isEmpty() || !chat_.targetFor(variants_[0]) || !chat_.targetFor(variants_[1]))
        return false;
    prompt_ = prompt.trimmed();
    options_ = settings_.generateOptions();
    seed_ = options_.sampling.seed;
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
    std::vector<ChatMessage> messages;
    if (!settings_.systemPrompt().isEmpty()) messages.push_back({"system", settings_.systemPrompt().toStdString()});
    messages.push_back({"user", prompt_.toStdString()});
    requestId_ = engine_.generate(*chat_.targetFor(variants_[side]), std::move(messages), options_);
}

void CompareController::onPiece(quint64 requestId, const QString& piece) {
    if (!running() || requestId != requestId_) return;
    results_[side_]["text"] = results_[side_]["text"].toString() + piece;
    emit resultsChanged();
}

void CompareController::onFinished(quint64 requestId, const GenerationStats& stats) {
    if (!running() || requestId != requestId_) return;
    QVariantMap& result = results_[side_];
    result["status"] = stats.stopReason == StopReason::Cancelled ? "stopped" : "done";
    result["tokensPerSecond"] = stats.tokensPerSecond;
    result["tokens"] = stats.generatedTokens;
    emit resultsChanged();
    if (side_ == 0 && !stopped_)
        startSide(1);
    else
        finish();
}

void CompareController::onFailed(quint64 requestId, const QString& message) {
    if (!running() || requestId != requestId_) return;
    results_[side_]["status"] = "failed";
    results_[side_]["error"] = message;
    emit resultsChanged();
    if (side_ == 0 && !stopped_)
        startSide(1);
    else
        finish();
}

void CompareController::finish() {
    if (side_ == 0) results_[1]["status"] = "stopped";
    side_ = -1;
    requestId_ = 0;
    emit resultsChanged();
    emit runningChanged();
    emit finished();
    const auto done = [](const QVariantMap& result) { return result["status"].toString() == QLatin1String("done"); };
    if (done(results_[0]) && done(results_[1]) && variants_[0] != variants_[1])
        evaluator_.evaluatePrompt(variants_[0], variants_[1], prompt_);
}

void CompareController::stop() {
    if (!running()) return;
    stopped_ = true;
    engine_.cancel(requestId_);
}

}  // namespace nibble::app
