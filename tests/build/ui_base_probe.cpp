// Must compile: what ui/ may see — the bridge's headers and the torch-free engine base.
#include "app/bridge/job_runner.h"
#include "engine/core/error.h"
#include "engine/jobs/progress.h"
int probe() {
    embedlab::Progress p;
    p.report(0.5);
    return p.cancelled() ? 1 : 0;
}
