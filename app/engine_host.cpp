#include "engine_host.h"

#include "engine_worker.h"

namespace nibble::app {

EngineHost::EngineHost(QObject* parent) : QObject(parent), worker_(new EngineWorker) {
    qRegisterMetaType<EngineTarget>();
    qRegisterMetaType<GenerationStats>();
    thread_.setObjectName("nibble-engine");
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);

    connect(worker_, &EngineWorker::loadStarted, this, [this](const EngineTarget& target) {
        loading_ = true;
        loadProgress_ = 0;
        loadingLabel_ = target.label;
        lastError_.clear();
        emit loadProgressChanged();
        emit stateChanged();
    });
    connect(worker_, &EngineWorker::loadProgress, this, [this](double fraction) {
        loadProgress_ = fraction;
        emit loadProgressChanged();
    });
    connect(worker_, &EngineWorker::loaded, this, [this](const EngineTarget& target, const QString& backend, int context) {
        loading_ = false;
        resident_ = target;
        backend_ = backend;
        contextUsed_ = 0;
        contextLength_ = context;
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
        contextUsed_ = contextLength_ = 0;
        emit stateChanged();
    });
    connect(worker_, &EngineWorker::pieceReady, this, &EngineHost::pieceReady);
    connect(worker_, &EngineWorker::loadStarted, this, &EngineHost::loadBeginning, Qt::DirectConnection);
    connect(worker_, &EngineWorker::loaded, this, &EngineHost::loadEnded, Qt::DirectConnection);
    connect(worker_, &EngineWorker::loadFailed, this, &EngineHost::loadEnded, Qt::DirectConnection);
    connect(worker_, &EngineWorker::generationFinished, this, [this](quint64 id, const GenerationStats& stats) {
        contextUsed_ = stats.contextUsed;
        contextLength_ = stats.contextLength ? stats.contextLength : contextLength_;
        onGenerationEnded();
        emit generationFinished(id, stats);
    });
    connect(worker_, &EngineWorker::generationFailed, this, [this](quint64 id, const QString& message) {
        lastError_ = message;
        onGenerationEnded();
        emit generationFailed(id, message);
    });
    connect(worker_, &EngineWorker::generationRejected, this, [this](quint64 id, const QString& message) {
        onGenerationEnded();
        emit generationRejected(id, message);
    });
    thread_.start();
}

EngineHost::~EngineHost() {
    worker_->cancelLoad();
    worker_->cancelGeneration(nextRequestId_);
    thread_.quit();
    thread_.wait();
}

void EngineHost::onGenerationEnded() {
    --pendingGenerations_;
    emit stateChanged();
}

void EngineHost::load(const EngineTarget& target) {
    QMetaObject::invokeMethod(worker_, [worker = worker_, target] { worker->load(target); }, Qt::QueuedConnection);
}

quint64 EngineHost::generate(const EngineTarget& target, std::vector<ChatMessage> messages, const GenerateOptions& options) {
    const quint64 id = nextRequestId_++;
    ++pendingGenerations_;
    lastError_.clear();
    emit stateChanged();
    QMetaObject::invokeMethod(
        worker_,
        [worker = worker_, id, target, messages = std::move(messages), options] {
            worker->generate(id, target, messages, options);
        },
        Qt::QueuedConnection);
    return id;
}

quint64 EngineHost::generateExact(const EngineTarget& target, PromptInput prompt, const GenerateOptions& options) {
    const quint64 id = nextRequestId_++;
    ++pendingGenerations_;
    emit stateChanged();
    QMetaObject::invokeMethod(
        worker_,
        [worker = worker_, id, target, prompt = std::move(prompt), options] {
            worker->generateExact(id, target, prompt, options);
        },
        Qt::QueuedConnection);
    return id;
}

void EngineHost::cancel(quint64 requestId) { worker_->cancelGeneration(requestId); }

void EngineHost::cancelLoad() { worker_->cancelLoad(); }

void EngineHost::unload() {
    QMetaObject::invokeMethod(worker_, [worker = worker_] { worker->unload(); }, Qt::QueuedConnection);
}

}  // namespace nibble::app
