#pragma once
// Long work (quantizing a model, measuring a variant) on the thread pool
// while the UI stays responsive: the UI thread polls the job's progress a few
// times a second rather than taking a queued signal per step, and learns the
// outcome from finished(). Cancelling is cooperative: the work reads the
// job's cancel flag through the engine's progress callbacks.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>

namespace nibble::app {

// What a worker and the UI thread share; a job type derives from it and adds
// its inputs and results. The outcome fields are written by the worker and
// read only after finished().
struct JobControl {
    std::atomic<float> progress{0};
    std::atomic<bool> cancel{false};

    bool cancelled = false;
    QString error;
};

// Runs work, turning the engine's Cancelled error into job.cancelled and any
// other exception into job.error.
void runCatchingErrors(JobControl& job, const std::function<void()>& work);

class BackgroundTask : public QObject {
    Q_OBJECT

public:
    explicit BackgroundTask(QObject* parent = nullptr);
    // Cancels the job in progress and waits for its thread.
    ~BackgroundTask() override;

    // Runs work on the pool; the caller keeps job to read its outcome.
    void start(std::shared_ptr<JobControl> job, std::function<void()> work);
    void cancel();
    double progress() const { return job_ ? double(job_->progress.load()) : 0.0; }

signals:
    void progressChanged();
    void finished();

private:
    std::shared_ptr<JobControl> job_;
    QFutureWatcher<void> watcher_;
    QTimer progressTimer_;
    double reportedProgress_ = 0;
};

}  // namespace nibble::app
