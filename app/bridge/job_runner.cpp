#include "app/bridge/job_runner.h"

#include "engine/device/device.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMetaObject>

namespace embedlab {

namespace {
thread_local JobLane tLane = JobLane::Long;
thread_local bool tOnLane = false;
thread_local std::string tJobName;
}  // namespace

QString jobLaneName(JobLane lane) {
    return lane == JobLane::Interactive ? QStringLiteral("interactive") : QStringLiteral("long");
}

bool JobHandle::isActive() const { return active_.load(); }
void JobHandle::cancel() { progress_->cancel(); }
void JobHandle::pause() { progress_->pause(); }
void JobHandle::resume() { progress_->resume(); }
bool JobHandle::isPaused() const { return progress_->paused(); }

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
    qRegisterMetaType<embedlab::JobId>("embedlab::JobId");
    qRegisterMetaType<embedlab::JobLane>("embedlab::JobLane");
    for (size_t i = 0; i < lanes_.size(); ++i) {
        Lane& l = lanes_[i];
        l.thread = new QThread(this);
        l.thread->setObjectName(i == 0 ? QStringLiteral("embedlab-interactive") : QStringLiteral("embedlab-long"));
        l.worker = new QObject;
        l.worker->moveToThread(l.thread);
        connect(l.thread, &QThread::finished, l.worker, &QObject::deleteLater);
        l.thread->start();
        // Each lane uses every core while it runs alone (LibTorch's OpenMP thread count is per thread).
        const JobLane lane = JobLane(i);
        QMetaObject::invokeMethod(
            l.worker,
            [lane] {
                tLane = lane;
                tOnLane = true;
                embedlab::setThreadCount(0);
            },
            Qt::QueuedConnection);
    }
}

JobRunner::~JobRunner() {
    cancelAll();
    for (Lane& l : lanes_) {
        l.thread->quit();
        l.thread->wait();
    }
}

void JobRunner::setThreadCount(int threads) {
    for (Lane& l : lanes_)
        QMetaObject::invokeMethod(l.worker, [threads] { embedlab::setThreadCount(threads); }, Qt::QueuedConnection);
}

JobLane JobRunner::currentLane() { return tOnLane ? tLane : JobLane::Long; }
std::string JobRunner::currentJobName() { return tJobName; }

QVector<JobId> JobRunner::setLongHeld(bool held) {
    QVector<JobId> ids;
    for (auto& e : entries_) {
        if (e.lane != JobLane::Long) continue;
        if (held) e.progress->hold();
        else e.progress->release();
        ids << e.handle->id();
    }
    return ids;
}

JobHandlePtr JobRunner::submit(JobPtr job, const QString& key, JobLane lane) {
    JobId id;
    const QString name = QString::fromStdString(job->name());
    JobHandlePtr handle;
    QVector<JobId> heldNow;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        id = nextId_++;
        Entry e;
        e.job = std::move(job);
        e.progress = std::make_shared<Progress>();
        e.key = key;
        e.name = name;
        e.lane = lane;
        // Deleted on its own (the UI) thread, whichever thread lets go of it last.
        handle.reset(new JobHandle(id, name, lane, e.progress), [](JobHandle* h) {
            if (QThread::currentThread() == h->thread()) delete h;
            else h->deleteLater();
        });
        e.handle = handle;
        if (!key.isEmpty()) {
            auto it = current_.find(key);
            if (it != current_.end()) {
                auto old = entries_.find(it.value());
                if (old != entries_.end()) {
                    old->superseded = true;
                    old->progress->cancel();
                }
            }
            current_[key] = id;
        }
        // Progress reaches the UI thread as queued signals, at most every 50 ms; metric points and
        // log lines every one.
        std::weak_ptr<JobHandle> weak = handle;
        e.progress->setListener(
            [this, id, weak](const ProgressSnapshot& s) {
                Q_EMIT jobProgress(id, s.fraction, QString::fromStdString(s.message), s.etaSeconds);
                if (auto hp = weak.lock()) {
                    const QString m = QString::fromStdString(s.message);
                    QMetaObject::invokeMethod(
                        hp.get(), [hp, s, m] { Q_EMIT hp->progress(s.fraction, m, s.etaSeconds); }, Qt::QueuedConnection);
                }
            },
            50);
        e.progress->setMetricListener([this, id, weak](const MetricPoint& p) {
            const QString n = QString::fromStdString(p.name);
            Q_EMIT jobMetric(id, n, p.step, p.value);
            if (auto hp = weak.lock()) {
                QMetaObject::invokeMethod(
                    hp.get(), [hp, n, p] { Q_EMIT hp->metric(n, p.step, p.value); }, Qt::QueuedConnection);
            }
        });
        e.progress->setLogListener([this, id, weak](const std::string& line) {
            const QString l = QString::fromStdString(line);
            Q_EMIT jobLog(id, l);
            if (auto hp = weak.lock()) {
                QMetaObject::invokeMethod(hp.get(), [hp, l] { Q_EMIT hp->logLine(l); }, Qt::QueuedConnection);
            }
        });
        if (lane == JobLane::Interactive) {
            if (interactive_++ == 0) heldNow = setLongHeld(true);
        } else if (interactive_ > 0) {
            e.progress->hold();
        }
        entries_.insert(id, std::move(e));
    }
    // Signals after the lock: a slot may call back into the runner.
    for (JobId h : heldNow) Q_EMIT jobHeld(h, true);
    Q_EMIT jobQueued(id, name, lane);
    QMetaObject::invokeMethod(lanes_[size_t(lane)].worker, [this, id] { runOne(id); }, Qt::QueuedConnection);
    return handle;
}

void JobRunner::runOne(JobId id) {
    JobPtr job;
    JobHandlePtr handle;
    std::shared_ptr<Progress> progress;
    QString name;
    JobLane lane;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        job = it->job;
        handle = it->handle;
        progress = it->progress;
        name = it->name;
        lane = it->lane;
    }
    JobOutcome outcome;
    if (progress->cancelled()) {
        outcome.status = JobStatus::Cancelled;
    } else {
        Q_EMIT jobStarted(id, name);
        QMetaObject::invokeMethod(handle.get(), [handle] { Q_EMIT handle->started(); }, Qt::QueuedConnection);
        tJobName = job->name();
        outcome = runJob(*job, *progress);  // never throws
        tJobName.clear();
    }
    bool superseded = false;
    QVector<JobId> released;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = entries_.find(id);
        if (it != entries_.end()) {
            superseded = it->superseded;
            if (!it->key.isEmpty() && current_.value(it->key) == id) current_.remove(it->key);
            entries_.erase(it);
        }
        if (lane == JobLane::Interactive && --interactive_ == 0) released = setLongHeld(false);
        ++announcing_;
    }
    for (JobId h : released) Q_EMIT jobHeld(h, false);
    handle->active_ = false;
    if (superseded || outcome.status == JobStatus::Cancelled) {
        Q_EMIT jobCancelled(id, name);
        QMetaObject::invokeMethod(
            handle.get(), [handle] { Q_EMIT handle->cancelled(); Q_EMIT handle->finished(); }, Qt::QueuedConnection);
    } else if (outcome.status == JobStatus::Failed) {
        const QString message = QString::fromStdString(outcome.message);
        Q_EMIT jobFailed(id, name, message);
        QMetaObject::invokeMethod(
            handle.get(), [handle, message] { Q_EMIT handle->failed(message); Q_EMIT handle->finished(); },
            Qt::QueuedConnection);
    } else {
        Q_EMIT jobSucceeded(id, name, QString::fromStdString(job->summary()));
        QMetaObject::invokeMethod(
            handle.get(), [handle] { Q_EMIT handle->succeeded(); Q_EMIT handle->finished(); }, Qt::QueuedConnection);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    --announcing_;
}

void JobRunner::cancel(JobId id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end()) it->progress->cancel();
}

void JobRunner::pause(JobId id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end()) it->progress->pause();
}

void JobRunner::resume(JobId id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end()) it->progress->resume();
}

bool JobRunner::isPaused(JobId id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(id);
    return it != entries_.end() && it->progress->paused();
}

void JobRunner::cancelAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& e : entries_) e.progress->cancel();
}

bool JobRunner::isActive(JobId id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.contains(id);
}

int JobRunner::activeCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

int JobRunner::activeCount(JobLane lane) const {
    std::lock_guard<std::mutex> lock(mutex_);
    int n = 0;
    for (const auto& e : entries_) n += e.lane == lane;
    return n;
}

bool JobRunner::waitForIdle(int timeoutMs) {
    QElapsedTimer t;
    t.start();
    // Idle = no job queued or running and every outcome signal posted: a job leaves entries_ before its
    // signal is emitted (handlers see it inactive), so waiting on entries_ alone could return before
    // the signal was in the queue.
    auto busy = [this] {
        std::lock_guard<std::mutex> lock(mutex_);
        return entries_.size() + announcing_ > 0;
    };
    while (busy()) {
        if (t.elapsed() > timeoutMs) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::msleep(1);
    }
    // Deliver the last queued signals (and what their handlers queue in turn).
    for (int i = 0; i < 3; ++i) QCoreApplication::processEvents();
    return true;
}

}  // namespace embedlab
