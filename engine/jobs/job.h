// embedlab engine — a Job is one long operation (load a model, project vectors, evaluate, train ...).
//
// A Job is plain C++: embedlab-cli runs it on the calling thread; the desktop app runs it on its
// engine thread (app/bridge/job_runner) and turns its progress and result into Qt signals. A Job
// owns its parameters and its result; run() does the work, reporting through Progress and throwing
// embedlab::Error on failure (Kind::Cancelled when progress.cancelled()).
#pragma once

#include "engine/jobs/progress.h"

#include <functional>
#include <memory>
#include <string>

namespace embedlab {

class Job {
public:
    virtual ~Job() = default;
    // A short human name, e.g. "Load model gemma3_tiny".
    virtual std::string name() const = 0;
    // Does the work on the calling thread. Throws embedlab::Error (or any std::exception) on failure.
    virtual void run(Progress& progress) = 0;
    // A one-line summary of the result for logs and the jobs panel ("" when there is none).
    virtual std::string summary() const { return {}; }
};

// A Job made from a callable, for small operations.
class FunctionJob : public Job {
public:
    FunctionJob(std::string name, std::function<void(Progress&)> fn) : name_(std::move(name)), fn_(std::move(fn)) {}
    std::string name() const override { return name_; }
    void run(Progress& progress) override { fn_(progress); }

private:
    std::string name_;
    std::function<void(Progress&)> fn_;
};

enum class JobStatus { Succeeded, Failed, Cancelled };

struct JobOutcome {
    JobStatus status = JobStatus::Succeeded;
    std::string message;  // the error message for Failed
    int exitCode = 0;     // CLI exit code: 0, 3 (bad input), 4 (runtime), 130 (cancelled)
};

// Runs a job on the calling thread and converts every exception into a JobOutcome; nothing escapes.
JobOutcome runJob(Job& job, Progress& progress) noexcept;

}  // namespace embedlab
