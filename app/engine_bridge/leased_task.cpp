#include "engine_bridge/leased_task.h"

namespace nibble::app {

LeasedTask::LeasedTask(EngineArbiter& arbiter, QObject* parent) : QObject(parent), arbiter_(arbiter) {
    connect(&task_, &BackgroundTask::progressChanged, this, &LeasedTask::progressChanged);
    connect(&task_, &BackgroundTask::finished, this, [this] {
        // The memory goes back before the owner hears, so a job it starts next may have it.
        lease_.reset();
        job_.reset();
        emit finished();
    });
}

void LeasedTask::start(std::shared_ptr<JobControl> job, uint64_t bytes, std::function<void()> work) {
    job_ = std::move(job);
    lease_ = arbiter_.request(bytes);
    connect(lease_.get(), &ModelLease::waitingReasonChanged, this, &LeasedTask::waitingChanged);
    const auto run = [this, work = std::move(work)] {
        emit waitingChanged();
        task_.start(job_, work);
    };
    if (lease_->isGranted())
        run();
    else
        connect(lease_.get(), &ModelLease::granted, this, run);
}

void LeasedTask::cancel() {
    if (!waiting()) {
        task_.cancel();
        return;
    }
    lease_.reset();
    job_->cancelled = true;
    job_.reset();
    emit waitingChanged();
    // As a running job's end does, the end comes after cancel() has returned.
    QMetaObject::invokeMethod(this, &LeasedTask::finished, Qt::QueuedConnection);
}

}  // namespace nibble::app
