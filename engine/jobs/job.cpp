#include "engine/jobs/job.h"

#include "engine/core/error.h"

#include <new>

namespace embedlab {

JobOutcome runJob(Job& job, Progress& progress) noexcept {
    JobOutcome out;
    try {
        job.run(progress);
        if (progress.cancelled()) {
            out.status = JobStatus::Cancelled;
            out.message = "cancelled";
            out.exitCode = 130;
        }
    } catch (const Error& e) {
        if (e.kind() == Error::Kind::Cancelled || progress.cancelled()) {
            out.status = JobStatus::Cancelled;
            out.message = "cancelled";
            out.exitCode = 130;
        } else {
            out.status = JobStatus::Failed;
            out.message = e.what();
            out.exitCode = e.exitCode();
        }
    } catch (const std::bad_alloc&) {
        out.status = JobStatus::Failed;
        out.message = "out of memory: " + job.name() + " needs more memory than is available";
        out.exitCode = 4;
    } catch (const std::exception& e) {
        out.status = JobStatus::Failed;
        out.message = e.what();
        // LibTorch errors carry a C++ backtrace after the first line; keep the first line only.
        auto nl = out.message.find('\n');
        if (nl != std::string::npos) out.message.resize(nl);
        out.exitCode = 4;
    } catch (...) {
        out.status = JobStatus::Failed;
        out.message = "unknown failure in " + job.name();
        out.exitCode = 4;
    }
    return out;
}

}  // namespace embedlab
