#pragma once
// A BackgroundTask whose work loads models of its own: before it starts, it
// waits for an EngineArbiter lease on the bytes it will load, so it never
// shares memory beyond the budget with the chat's model or another such job.
// While it waits it reports why; a cancel while waiting ends it at once, as
// cancelled, without the work ever running.
#include "engine_bridge/engine_arbiter.h"
#include "shell/background_task.h"

#include <QObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>

namespace nibble::app {

class LeasedTask : public QObject {
    Q_OBJECT

public:
    explicit LeasedTask(EngineArbiter& arbiter, QObject* parent = nullptr);

    // Runs work on the pool once bytes fit; the caller keeps job to read its outcome.
    void start(std::shared_ptr<JobControl> job, uint64_t bytes, std::function<void()> work);
    void cancel();
    double progress() const { return task_.progress(); }
    bool waiting() const { return lease_ && !lease_->isGranted(); }
    // Why it has not started yet, in words; empty once it has.
    QString waitingReason() const { return waiting() ? lease_->waitingReason() : QString(); }

signals:
    void progressChanged();
    void waitingChanged();
    // The work has ended, or the wait was cancelled; the lease is given back by then.
    void finished();

private:
    EngineArbiter& arbiter_;
    std::shared_ptr<JobControl> job_;
    // Before task_: the memory is given back only once its thread has stopped.
    std::unique_ptr<ModelLease> lease_;
    BackgroundTask task_;
};

}  // namespace nibble::app
