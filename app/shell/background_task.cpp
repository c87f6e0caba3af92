#include "shell/background_task.h"

#include <nibble/error.h>

#include <QtConcurrent>

namespace nibble::app {

void runCatchingErrors(JobControl& job, const std::function<void()>& work) {
    try {
        work();
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Cancelled)
            job.cancelled = true;
        else
            job.error = QString::fromUtf8(e.what());
    } catch (const std::exception& e) {
        job.error = QString::fromUtf8(e.what());
    }
}

BackgroundTask::BackgroundTask(QObject* parent) : QObject(parent) {
    progressTimer_.setInterval(100);
    connect(&progressTimer_, &QTimer::timeout, this, [this] {
        if (progress() == reportedProgress_) return;
        reportedProgress_ = progress();
        emit progressChanged();
    });
    connect(&watcher_, &QFutureWatcher<void>::finished, this, [this] {
        progressTimer_.stop();
        job_.reset();
        emit finished();
    });
}

BackgroundTask::~BackgroundTask() {
    cancel();
    watcher_.waitForFinished();
}

void BackgroundTask::start(std::shared_ptr<JobControl> job, std::function<void()> work) {
    job_ = std::move(job);
    reportedProgress_ = 0;
    watcher_.setFuture(QtConcurrent::run(std::move(work)));
    progressTimer_.start();
}

void BackgroundTask::cancel() {
    if (job_) job_->cancel = true;
}

}  // namespace nibble::app
