#include "engine/jobs/progress.h"

#include "engine/core/error.h"

#include <algorithm>

namespace embedlab {

Progress::Progress() : start_(std::chrono::steady_clock::now()), lastNotify_(start_) {}

Progress::Progress(Progress& parent, double begin, double end, std::string stage)
    : parent_(&parent), begin_(begin), end_(end), stage_(std::move(stage)),
      start_(std::chrono::steady_clock::now()), lastNotify_(start_) {}

void Progress::setListener(Listener listener, int minIntervalMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
    minIntervalMs_ = minIntervalMs;
}

void Progress::setMetricListener(MetricListener listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    metricListener_ = std::move(listener);
}

void Progress::setLogListener(LogListener listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    logListener_ = std::move(listener);
}

bool Progress::cancelled() const noexcept {
    for (const Progress* p = this; p; p = p->parent_)
        if (p->cancelled_.load(std::memory_order_relaxed)) return true;
    return false;
}

bool Progress::paused() const noexcept {
    for (const Progress* p = this; p; p = p->parent_)
        if (p->pausedHere()) return true;
    return false;
}

bool Progress::held() const noexcept {
    for (const Progress* p = this; p; p = p->parent_)
        if (p->held_.load(std::memory_order_relaxed)) return true;
    return false;
}

bool Progress::mustWait() const noexcept { return paused() || held(); }

void Progress::hold() noexcept { held_.store(true, std::memory_order_relaxed); }

void Progress::release() noexcept {
    held_.store(false, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mutex_);
    pauseChanged_.notify_all();
}

void Progress::checkCancelled() const {
    if (cancelled()) throw Error::cancelled();
}

void Progress::cancel() noexcept {
    cancelled_.store(true, std::memory_order_relaxed);
    // Wake a worker waiting in waitWhilePaused() on this node; waiters on descendants poll.
    std::lock_guard<std::mutex> lock(mutex_);
    pauseChanged_.notify_all();
}

void Progress::pause() noexcept { paused_.store(true, std::memory_order_relaxed); }

void Progress::resume() noexcept {
    paused_.store(false, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mutex_);
    pauseChanged_.notify_all();
}

void Progress::waitWhilePaused() const {
    checkCancelled();
    if (!mustWait()) return;
    // Paused or held somewhere up the tree: wait in short slices (a child cannot be woken by its
    // ancestors' condition variables), checking for cancel every 20 ms.
    std::unique_lock<std::mutex> lock(mutex_);
    while (mustWait() && !cancelled()) pauseChanged_.wait_for(lock, std::chrono::milliseconds(20));
    lock.unlock();
    checkCancelled();
}

void Progress::report(double fraction, const std::string& message) {
    waitWhilePaused();
    if (parent_) {
        const double f = fraction < 0 ? 0.0 : std::min(1.0, fraction);
        std::string m = message;
        if (!stage_.empty()) m = m.empty() ? stage_ : stage_ + ": " + m;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            state_.fraction = fraction < 0 ? -1.0 : f;
            if (!message.empty()) state_.message = message;
        }
        parent_->report(begin_ + (end_ - begin_) * f, m);
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    Listener listener;
    ProgressSnapshot snap;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        state_.fraction = fraction < 0 ? -1.0 : std::min(1.0, fraction);
        if (!message.empty()) state_.message = message;
        state_.elapsedSeconds = std::chrono::duration<double>(now - start_).count();
        if (state_.fraction > 0.001 && state_.fraction < 1.0)
            state_.etaSeconds = state_.elapsedSeconds * (1.0 - state_.fraction) / state_.fraction;
        else
            state_.etaSeconds = state_.fraction >= 1.0 ? 0.0 : -1.0;
        const bool due = std::chrono::duration<double, std::milli>(now - lastNotify_).count() >= minIntervalMs_ ||
                         state_.fraction >= 1.0;
        if (listener_ && due) {
            lastNotify_ = now;
            listener = listener_;
            snap = state_;
        }
    }
    if (listener) listener(snap);
}

void Progress::metric(const std::string& name, double step, double value) {
    Progress* r = root();
    MetricListener listener;
    {
        std::lock_guard<std::mutex> lock(r->mutex_);
        listener = r->metricListener_;
    }
    if (listener) listener(MetricPoint{name, step, value});
}

void Progress::log(const std::string& line) {
    Progress* r = root();
    LogListener listener;
    {
        std::lock_guard<std::mutex> lock(r->mutex_);
        listener = r->logListener_;
    }
    if (listener) listener(stage_.empty() || r == this ? line : stage_ + ": " + line);
}

ProgressSnapshot Progress::snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    ProgressSnapshot s = state_;
    s.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return s;
}

}  // namespace embedlab
