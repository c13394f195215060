// embedlab app — the private side of ModelSession (includes engine model headers; bridge .cpp only,
// never ui/).
#pragma once

#include "app/bridge/job_runner.h"
#include "engine/core/error.h"
#include "engine/models/model.h"
#include "engine/tokenizers/tokenizer.h"

#include <memory>
#include <mutex>
#include <string>

namespace embedlab {

class ModelSession {
public:
    std::string path;
    std::unique_ptr<Model> model;
    std::unique_ptr<Tokenizer> tokenizer;
    std::mutex mutex;  // held by the job using the model (SessionLock)

    // The job holding the session ("" when free), for the message an interactive job gets.
    std::string holder() const {
        std::lock_guard<std::mutex> l(holderMutex_);
        return holder_;
    }

private:
    friend class SessionLock;
    mutable std::mutex holderMutex_;
    std::string holder_;
};

// A job's use of a model. The two lanes share sessions: a long-lane job waits for the session, an
// interactive one never does — if a long job (an evaluation, training) holds the model, the
// interactive job is refused with a message naming it, so it can neither race the model nor wait
// behind a job that is itself held for the interactive lane (app/bridge/job_runner.h).
class SessionLock {
public:
    explicit SessionLock(ModelSession& s) : s_(s) {
        if (JobRunner::currentLane() == JobLane::Interactive) {
            if (!s.mutex.try_lock()) {
                const std::string by = s.holder();
                throw Error::badInput("the model " + s.path + " is in use by '" + (by.empty() ? "another job" : by) +
                                      "'; wait for it to finish or cancel it in the Jobs panel");
            }
        } else {
            s.mutex.lock();
        }
        std::lock_guard<std::mutex> l(s.holderMutex_);
        s.holder_ = JobRunner::currentJobName();
    }
    ~SessionLock() {
        {
            std::lock_guard<std::mutex> l(s_.holderMutex_);
            s_.holder_.clear();
        }
        s_.mutex.unlock();
    }
    SessionLock(const SessionLock&) = delete;
    SessionLock& operator=(const SessionLock&) = delete;

private:
    ModelSession& s_;
};

}  // namespace embedlab
