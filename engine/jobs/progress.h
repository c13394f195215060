// embedlab engine — progress reporting and cooperative cancellation for long operations.
//
// Every long operation takes a `Progress&`. It calls report() with a fraction in [0,1] and a short
// message, and calls checkCancelled() (or cancelled()) at least every 50 ms so that a cancel request
// stops it within 200 ms. Progress is thread-safe: report() runs on the worker thread, while
// cancel(), snapshot() and the listener may be used from any thread.
#pragma once

#include <atomic>
#include <chrono>
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

class Progress {
public:
    using Listener = std::function<void(const ProgressSnapshot&)>;

    Progress();
    virtual ~Progress() = default;
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Worker side. report() also checks for cancellation and throws Error::cancelled() if requested.
    void report(double fraction, const std::string& message = {});
    void checkCancelled() const;
    bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }

    // Controller side.
    void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
    ProgressSnapshot snapshot() const;

    // Called (on the worker thread) from report(), at most every `minIntervalMs` unless the
    // fraction reaches 1. Keep it cheap: the app posts a queued signal, the CLI prints a line.
    void setListener(Listener listener, int minIntervalMs = 50);

    // A Progress that maps [0,1] of a sub-task onto [begin,end] of this one.
    class Scope;

private:
    std::atomic<bool> cancelled_{false};
    mutable std::mutex mutex_;
    ProgressSnapshot state_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point lastNotify_;
    Listener listener_;
    int minIntervalMs_ = 50;
    friend class Scope;
};

// A view onto a parent Progress for one stage of a longer operation.
class Progress::Scope {
public:
    Scope(Progress& parent, double begin, double end) : parent_(parent), begin_(begin), end_(end) {}
    void report(double fraction, const std::string& message = {}) {
        parent_.report(begin_ + (end_ - begin_) * fraction, message);
    }
    void checkCancelled() const { parent_.checkCancelled(); }
    bool cancelled() const noexcept { return parent_.cancelled(); }

private:
    Progress& parent_;
    double begin_, end_;
};

// A Progress that nobody watches (for library calls made from tests or other engine code).
inline Progress& nullProgress() {
    thread_local Progress p;
    return p;
}

}  // namespace embedlab
