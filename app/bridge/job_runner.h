// embedlab app — the bridge that runs engine Jobs on the engine thread and reports to the UI thread.
//
// JobRunner owns one QThread, "the engine thread". submit() queues a Job; jobs run one after
// another on that thread. Everything a job reports arrives on the UI thread as queued signals:
// progress (throttled to 20 Hz, with ETA), success, failure (the error message — no exception ever
// reaches Qt's event loop) or cancellation. cancel() makes the job's Progress throw at its next
// check (jobs check at least every 50 ms, so they stop within 200 ms).
//
// Restart: submit(job, key) with a non-empty key cancels the job that currently holds that key
// (queued or running) and makes the new one current; a result that arrives from a superseded job
// is dropped (reported as cancelled), so the UI never shows stale results.
//
// This header is torch-free: ui/ may include it.
#pragma once

#include "jobs/job.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QThread>

#include <memory>
#include <mutex>

namespace embedlab {

using JobId = quint64;
using JobPtr = std::shared_ptr<Job>;

class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;  // cancels every job and joins the engine thread

    // Queues `job`. With a key, any job holding the key is cancelled and superseded.
    JobId submit(JobPtr job, const QString& key = {});
    void cancel(JobId id);
    void cancelAll();
    bool isActive(JobId id) const;  // queued or running
    int activeCount() const;
    QThread* engineThread() const { return thread_; }

    // Blocks until no job is queued or running, or timeoutMs elapses (tests, shutdown). Returns
    // true when idle. Must be called from the UI thread; it processes events while waiting.
    bool waitForIdle(int timeoutMs);

Q_SIGNALS:
    void jobQueued(embedlab::JobId id, const QString& name);
    void jobStarted(embedlab::JobId id, const QString& name);
    void jobProgress(embedlab::JobId id, double fraction, const QString& message, double etaSeconds);
    // The job's result lives in the Job object itself; read it in the slot.
    void jobSucceeded(embedlab::JobId id, embedlab::JobPtr job);
    void jobFailed(embedlab::JobId id, const QString& name, const QString& message);
    void jobCancelled(embedlab::JobId id, const QString& name);

private:
    struct Entry {
        JobPtr job;
        std::shared_ptr<Progress> progress;
        QString key;
        QString name;
        bool superseded = false;
    };
    void runOne(JobId id);

    QThread* thread_ = nullptr;
    QObject* worker_ = nullptr;  // lives on the engine thread
    mutable std::mutex mutex_;
    QHash<JobId, Entry> entries_;
    int announcing_ = 0;  // jobs removed from entries_ whose outcome signal is not yet posted (under mutex_)
    QHash<QString, JobId> current_;
    JobId nextId_ = 1;
};

}  // namespace embedlab

Q_DECLARE_METATYPE(embedlab::JobPtr)
