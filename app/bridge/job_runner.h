// embedlab app — the bridge that runs engine Jobs on engine threads and reports to the UI thread.
//
// Two lanes, each its own engine thread, jobs running one after another within a lane:
//   Interactive — map previews, search, generation, loading, small jobs: what a person waits for;
//   Long        — evaluation, embedding a corpus, and from now on training, transfer and sweeps.
// A long job never delays an interactive one by more than one step: while any interactive job is
// queued or running, the long lane's job is held at its next report() (Progress::hold) and goes on
// when the interactive lane is idle; each lane uses every core while it runs alone. Models shared by
// both lanes are guarded (model_session_p.h): an interactive job never waits for a long job's model,
// it is refused with a message naming that job.
//
// submit() returns a JobHandle: the job's own progress / metric / log / succeeded / failed /
// cancelled signals, delivered on the UI thread, so a panel hears only its own jobs and keeps the
// typed job it made (no broadcast filtering, no casts). The runner's own signals describe every job
// (the Jobs panel, the log). No exception ever reaches Qt's event loop. cancel() makes the job's
// Progress throw at its next check (jobs check at least every 50 ms, so they stop within 200 ms);
// pause() holds it at its next report() until resume().
//
// Restart: submit(job, key) with a non-empty key cancels the job that currently holds that key
// (queued or running) and makes the new one current; a superseded job reports cancelled, so the UI
// never shows stale results.
//
// This header is torch-free: ui/ may include it.
#pragma once

#include "engine/jobs/job.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QThread>
#include <QVector>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

namespace embedlab {

using JobId = quint64;
using JobPtr = std::shared_ptr<Job>;

enum class JobLane { Interactive = 0, Long = 1 };
QString jobLaneName(JobLane lane);

// One submitted job, seen from the UI thread. Signals arrive queued, in order; exactly one of
// succeeded / failed / cancelled ends a job, then finished().
class JobHandle : public QObject {
    Q_OBJECT
public:
    JobId id() const { return id_; }
    QString name() const { return name_; }
    JobLane lane() const { return lane_; }
    bool isActive() const;  // queued or running
    void cancel();
    void pause();
    void resume();
    bool isPaused() const;

Q_SIGNALS:
    void started();
    void progress(double fraction, const QString& message, double etaSeconds);
    void metric(const QString& name, double step, double value);
    void logLine(const QString& line);
    void succeeded();
    void failed(const QString& message);
    void cancelled();
    void finished();

private:
    friend class JobRunner;
    JobHandle(JobId id, QString name, JobLane lane, std::shared_ptr<Progress> progress)
        : id_(id), name_(std::move(name)), lane_(lane), progress_(std::move(progress)) {}
    JobId id_;
    QString name_;
    JobLane lane_;
    std::shared_ptr<Progress> progress_;
    std::atomic<bool> active_{true};
};
using JobHandlePtr = std::shared_ptr<JobHandle>;

class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;  // cancels every job and joins the engine threads

    // Queues `job` in `lane`. With a key, any job holding the key is cancelled and superseded.
    JobHandlePtr submit(JobPtr job, const QString& key = {}, JobLane lane = JobLane::Interactive);
    void cancel(JobId id);
    void pause(JobId id);
    void resume(JobId id);
    void cancelAll();
    bool isActive(JobId id) const;  // queued or running
    bool isPaused(JobId id) const;
    int activeCount() const;
    int activeCount(JobLane lane) const;
    // LibTorch's CPU thread count is kept per thread: sets it on both lanes (0 = every core), for
    // their next operation.
    void setThreadCount(int threads);
    QThread* engineThread(JobLane lane = JobLane::Interactive) const { return lanes_[size_t(lane)].thread; }

    // The lane of the job running on the calling thread (Long on any thread that is not a lane's:
    // the CLI, tests calling run() directly).
    static JobLane currentLane();
    // The name of the job running on the calling thread ("" elsewhere).
    static std::string currentJobName();

    // Blocks until no job is queued or running, or timeoutMs elapses (tests, shutdown). Returns
    // true when idle. Must be called from the UI thread; it processes events while waiting.
    bool waitForIdle(int timeoutMs);

Q_SIGNALS:
    // Every job, for the Jobs panel and the log.
    void jobQueued(embedlab::JobId id, const QString& name, embedlab::JobLane lane);
    void jobStarted(embedlab::JobId id, const QString& name);
    void jobProgress(embedlab::JobId id, double fraction, const QString& message, double etaSeconds);
    void jobHeld(embedlab::JobId id, bool held);  // a long job held for the interactive lane, or released
    void jobMetric(embedlab::JobId id, const QString& name, double step, double value);
    void jobLog(embedlab::JobId id, const QString& line);
    void jobSucceeded(embedlab::JobId id, const QString& name, const QString& summary);
    void jobFailed(embedlab::JobId id, const QString& name, const QString& message);
    void jobCancelled(embedlab::JobId id, const QString& name);

private:
    struct Entry {
        JobPtr job;
        JobHandlePtr handle;
        std::shared_ptr<Progress> progress;
        QString key;
        QString name;
        JobLane lane = JobLane::Interactive;
        bool superseded = false;
    };
    struct Lane {
        QThread* thread = nullptr;
        QObject* worker = nullptr;  // lives on the lane's thread
    };
    void runOne(JobId id);
    QVector<JobId> setLongHeld(bool held);  // under mutex_; the long jobs it held or released

    std::array<Lane, 2> lanes_;
    mutable std::mutex mutex_;
    QHash<JobId, Entry> entries_;
    int announcing_ = 0;    // jobs removed from entries_ whose outcome signal is not yet posted (under mutex_)
    int interactive_ = 0;   // interactive jobs queued or running (under mutex_)
    QHash<QString, JobId> current_;
    JobId nextId_ = 1;
};

}  // namespace embedlab

Q_DECLARE_METATYPE(embedlab::JobLane)
