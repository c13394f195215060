#include "jobs/progress.h"

#include "core/error.h"

#include <algorithm>

namespace embedlab {

Progress::Progress() : start_(std::chrono::steady_clock::now()), lastNotify_(start_) {}

void Progress::setListener(Listener listener, int minIntervalMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
    minIntervalMs_ = minIntervalMs;
}

void Progress::checkCancelled() const {
    if (cancelled()) throw Error::cancelled();
}

void Progress::report(double fraction, const std::string& message) {
    checkCancelled();
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

ProgressSnapshot Progress::snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    ProgressSnapshot s = state_;
    s.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return s;
}

}  // namespace embedlab
