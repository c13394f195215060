// embedlab engine — progress, metric streams and cooperative cancellation for long operations.
//
// Every long operation takes a `Progress&`. It calls report() with a fraction in [0,1] and a short
// message, and calls checkCancelled() (or cancelled()) at least every 50 ms so that a cancel request
// stops it within 200 ms. Beside the fraction it streams named metric points (`metric("loss", step,
// value)`: training curves, sweep results) and log lines, which any front end may follow: the CLI
// prints them (`--progress json`), the app charts them.
//
// Progress is a tree. `Progress child(parent, begin, end, "stage")` is itself a Progress for one
// stage of a longer operation: its fractions map onto [begin, end] of the parent, its messages are
// prefixed with the stage name, its metric points and log lines go up to the root unchanged, and it
// is cancelled (and paused) whenever any ancestor is — before its next report(), not after it.
//
// Thread safety: report(), metric() and log() run on the worker thread; cancel(), pause(),
// snapshot() and the listeners may be used from any thread. Listeners are called on the worker thread:
// keep them cheap (the app posts a queued signal, the CLI prints a line).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace embedlab {

struct ProgressSnapshot {
    double fraction = 0.0;     // 0..1, or -1 when the amount of work is unknown
    std::string message;
    double elapsedSeconds = 0.0;
    double etaSeconds = -1.0;  // -1 when unknown
};

// One point of a named series: a training loss at a step, a sweep's score at a setting.
struct MetricPoint {
    std::string name;
    double step = 0.0;
    double value = 0.0;
};

class Progress {
public:
    using Listener = std::function<void(const ProgressSnapshot&)>;
    using MetricListener = std::function<void(const MetricPoint&)>;
    using LogListener = std::function<void(const std::string&)>;

    Progress();  // a root
    // A child for one stage: [0,1] here is [begin,end] of `parent`; messages become "stage: message".
    Progress(Progress& parent, double begin, double end, std::string stage = {});
    virtual ~Progress() = default;
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // ---- Worker side.
    // report() first checks for cancellation (throwing Error::cancelled()) and waits while paused.
    void report(double fraction, const std::string& message = {});
    void checkCancelled() const;
    // True when this Progress or any ancestor was cancelled.
    bool cancelled() const noexcept;
    // Appends a point to the series `name`; delivered to the root's metric listener (never throttled).
    void metric(const std::string& name, double step, double value);
    // A line for the run's log (a checkpoint written, a setting skipped ...).
    void log(const std::string& line);
    // Blocks while this Progress or an ancestor is paused or held; throws Error::cancelled() if
    // cancelled meanwhile. report() calls it; a job may call it at its own safe points too.
    void waitWhilePaused() const;

    // ---- Controller side.
    void cancel() noexcept;
    void pause() noexcept;   // a person's pause (the Jobs panel)
    void resume() noexcept;
    bool paused() const noexcept;  // this one or an ancestor
    // A scheduler's hold, independent of pause(): the app holds a long job while an interactive one
    // runs, so that it waits at its next report() (app/bridge/job_runner.h).
    void hold() noexcept;
    void release() noexcept;
    bool held() const noexcept;
    ProgressSnapshot snapshot() const;

    // Called from report(), at most every `minIntervalMs` unless the fraction reaches 1.
    void setListener(Listener listener, int minIntervalMs = 50);
    void setMetricListener(MetricListener listener);
    void setLogListener(LogListener listener);

private:
    Progress* root() noexcept { return parent_ ? parent_->root() : this; }
    bool pausedHere() const noexcept { return paused_.load(std::memory_order_relaxed); }
    bool mustWait() const noexcept;  // paused or held, here or above

    Progress* parent_ = nullptr;
    double begin_ = 0.0, end_ = 1.0;
    std::string stage_;

    std::atomic<bool> cancelled_{false};
    std::atomic<bool> paused_{false};
    std::atomic<bool> held_{false};
    mutable std::mutex mutex_;
    mutable std::condition_variable pauseChanged_;
    ProgressSnapshot state_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point lastNotify_;
    Listener listener_;
    MetricListener metricListener_;
    LogListener logListener_;
    int minIntervalMs_ = 50;
};

// A Progress that nobody watches (for library calls made from tests or other engine code).
inline Progress& nullProgress() {
    thread_local Progress p;
    return p;
}

}  // namespace embedlab
