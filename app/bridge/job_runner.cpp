#include "bridge/job_runner.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMetaObject>

namespace embedlab {

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
    qRegisterMetaType<embedlab::JobId>("embedlab::JobId");
    qRegisterMetaType<embedlab::JobPtr>("embedlab::JobPtr");
    thread_ = new QThread(this);
    thread_->setObjectName(QStringLiteral("embedlab-engine"));
    worker_ = new QObject;
    worker_->moveToThread(thread_);
    connect(thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_->start();
}

JobRunner::~JobRunner() {
    cancelAll();
    thread_->quit();
    thread_->wait();
}

JobId JobRunner::submit(JobPtr job, const QString& key) {
    JobId id;
    QString name = QString::fromStdString(job->name());
    {
        std::lock_guard<std::mutex> lock(mutex_);
        id = nextId_++;
        Entry e;
        e.job = std::move(job);
        e.progress = std::make_shared<Progress>();
        e.key = key;
        e.name = name;
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
        // Progress reaches the UI thread as a queued signal, at most every 50 ms.
        e.progress->setListener(
            [this, id](const ProgressSnapshot& s) {
                Q_EMIT jobProgress(id, s.fraction, QString::fromStdString(s.message), s.etaSeconds);
            },
            50);
        entries_.insert(id, std::move(e));
    }
    Q_EMIT jobQueued(id, name);
    QMetaObject::invokeMethod(worker_, [this, id] { runOne(id); }, Qt::QueuedConnection);
    return id;
}

void JobRunner::runOne(JobId id) {
    JobPtr job;
    std::shared_ptr<Progress> progress;
    QString name;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        job = it->job;
        progress = it->progress;
        name = it->name;
    }
    JobOutcome outcome;
    if (progress->cancelled()) {
        outcome.status = JobStatus::Cancelled;
    } else {
        Q_EMIT jobStarted(id, name);
        outcome = runJob(*job, *progress);  // never throws
    }
    bool superseded = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = entries_.find(id);
        if (it != entries_.end()) {
            superseded = it->superseded;
            if (!it->key.isEmpty() && current_.value(it->key) == id) current_.remove(it->key);
            entries_.erase(it);
        }
        ++announcing_;
    }
    if (superseded || outcome.status == JobStatus::Cancelled) {
        Q_EMIT jobCancelled(id, name);
    } else if (outcome.status == JobStatus::Failed) {
        Q_EMIT jobFailed(id, name, QString::fromStdString(outcome.message));
    } else {
        Q_EMIT jobSucceeded(id, job);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    --announcing_;
}

void JobRunner::cancel(JobId id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end()) it->progress->cancel();
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
