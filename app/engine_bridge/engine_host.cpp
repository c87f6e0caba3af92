#include "engine_bridge/engine_host.h"

#include "engine_bridge/engine_worker.h"

namespace nibble::app {

EngineHost::EngineHost(const QString& backendChoicesFile, QObject* parent)
    : QObject(parent), worker_(new EngineWorker(std::make_unique<BackendChoices>(backendChoicesFile))) {
    qRegisterMetaType<EngineTarget>();
    qRegisterMetaType<GenerationStats>();
    thread_.setObjectName("nibble-engine");
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);

    connect(worker_, &EngineWorker::loadStarted, this, [this](const EngineTarget& target) {
        loading_ = true;
        loadProgress_ = 0;
        loadingLabel_ = target.label;
        loadingTarget_ = target;
        lastError_.clear();
        emit loadProgressChanged();
        emit stateChanged();
    });
    connect(worker_, &EngineWorker::loadProgress, this, [this](double fraction) {
        loadProgress_ = fraction;
        emit loadProgressChanged();
    });
    connect(worker_, &EngineWorker::loaded, this, [this](const EngineTarget& target, const QString& backend, int context, const QString& contextWarning) {
        loading_ = false;
        resident_ = target;
        backend_ = backend;
        contextLength_ = context;
        contextWarning_ = contextWarning;
        emit stateChanged();
    });
    connect(worker_, &EngineWorker::loadFailed, this,
            [this](const EngineTarget&, const QString& message, bool cancelled) {
                loading_ = false;
                if (!cancelled) lastError_ = message;
                emit stateChanged();
                if (!cancelled) emit loadFailed(message);
            });
    connect(worker_, &EngineWorker::unloaded, this, [this] {
        resident_ = {};
        backend_.clear();
        contextWarning_.clear();
        contextLength_ = 0;
        emit stateChanged();
    });
    connect(worker_, &EngineWorker::loadStarted, this, &EngineHost::loadBeginning, Qt::DirectConnection);
    connect(worker_, &EngineWorker::loaded, this, &EngineHost::loadEnded, Qt::DirectConnection);
    connect(worker_, &EngineWorker::loadFailed, this, &EngineHost::loadEnded, Qt::DirectConnection);
    connect(worker_, &EngineWorker::generationStarted, this, [this](quint64 id) {
        if (EngineReply* reply = replyFor(id)) emit reply->started();
    });
    connect(worker_, &EngineWorker::promptProgress, this, [this](quint64 id, int done, int total) {
        if (EngineReply* reply = replyFor(id)) emit reply->promptProgress(done, total);
    });
    connect(worker_, &EngineWorker::pieceReady, this, [this](quint64 id, const QString& piece) {
        if (EngineReply* reply = replyFor(id)) emit reply->piece(piece);
    });
    connect(worker_, &EngineWorker::generationFinished, this, [this](quint64 id, const GenerationStats& stats) {
        contextLength_ = stats.contextLength ? stats.contextLength : contextLength_;
        endRequest(id, [&](EngineReply& reply) { emit reply.finished(stats); });
    });
    connect(worker_, &EngineWorker::generationFailed, this, [this](quint64 id, const QString& message) {
        lastError_ = message;
        endRequest(id, [&](EngineReply& reply) { emit reply.failed(message); });
    });
    connect(worker_, &EngineWorker::generationRejected, this, [this](quint64 id, const QString& message) {
        endRequest(id, [&](EngineReply& reply) { emit reply.rejected(message); });
    });
    thread_.start();
}

EngineHost::~EngineHost() {
    worker_->cancelLoad();
    worker_->cancelAll();
    thread_.quit();
    thread_.wait();
    for (EngineReply* reply : std::as_const(replies_)) reply->host_ = nullptr;
}

void EngineHost::endRequest(quint64 requestId, const std::function<void(EngineReply&)>& emitEnd) {
    EngineReply* reply = replies_.take(requestId);
    if (reply) reply->finished_ = true;
    --pendingGenerations_;
    emit stateChanged();
    if (reply) emitEnd(*reply);
}

void EngineHost::load(const EngineTarget& target) {
    QMetaObject::invokeMethod(worker_, [worker = worker_, target] { worker->load(target); }, Qt::QueuedConnection);
}

std::unique_ptr<EngineReply> EngineHost::generate(const EngineTarget& target, std::vector<ChatMessage> messages,
                                                  const GenerateOptions& options) {
    lastError_.clear();
    return queue(RequestSource::Chat, options,
                 [worker = worker_, target, messages = std::move(messages)](quint64 id, const GenerateOptions& own) {
                     worker->generate(id, target, messages, own);
                 });
}

std::unique_ptr<EngineReply> EngineHost::generateExact(const EngineTarget& target, PromptInput prompt,
                                                       const GenerateOptions& options) {
    return queue(RequestSource::Api, options,
                 [worker = worker_, target, prompt = std::move(prompt)](quint64 id, const GenerateOptions& own) {
                     worker->generateExact(id, target, prompt, own);
                 });
}

std::unique_ptr<EngineReply> EngineHost::queue(RequestSource source, const GenerateOptions& options,
                                               std::function<void(quint64, const GenerateOptions&)> run) {
    const quint64 id = nextRequestId_++;
    std::unique_ptr<EngineReply> reply(new EngineReply(this, id));
    replies_.insert(id, reply.get());
    ++pendingGenerations_;
    emit stateChanged();
    emit requestQueued(reply.get());
    // Each request gets a flag of its own, so cancelling it can never stop the
    // request after it.
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    GenerateOptions own = options;
    own.cancel = cancel;
    worker_->enqueue(id, source, std::move(cancel), [id, own, run = std::move(run)] { run(id, own); });
    QMetaObject::invokeMethod(worker_, [worker = worker_] { worker->runNext(); }, Qt::QueuedConnection);
    return reply;
}

void EngineHost::cancel(quint64 requestId, bool preemptApi) {
    if (!worker_->cancelGeneration(requestId, preemptApi)) return;
    // It never started, so the worker will not report it: end it here, at once
    // rather than when the worker would have reached it.
    QMetaObject::invokeMethod(
        this,
        [this, requestId] {
            GenerationStats stats;
            stats.stopReason = StopReason::Cancelled;
            stats.contextUsed = -1;
            endRequest(requestId, [&](EngineReply& reply) { emit reply.finished(stats); });
        },
        Qt::QueuedConnection);
}

void EngineHost::abandon(quint64 requestId) {
    replies_.remove(requestId);
    cancel(requestId, false);
}

void EngineHost::cancelLoad() { worker_->cancelLoad(); }

void EngineHost::releaseIfIdle() {
    // A load in progress is someone's wish for that model: it is let go once loaded, if still idle.
    if (busy() || loading_) return;
    QMetaObject::invokeMethod(worker_, [worker = worker_] { worker->releaseIfIdle(); }, Qt::QueuedConnection);
}

void EngineHost::unload() {
    QMetaObject::invokeMethod(worker_, [worker = worker_] { worker->unload(); }, Qt::QueuedConnection);
}

}  // namespace nibble::app
