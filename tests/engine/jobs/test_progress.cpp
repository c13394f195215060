#include "core/error.h"
#include "jobs/job.h"
#include "jobs/progress.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace embedlab;

TEST(Progress, ReportsFractionMessageAndEta) {
    Progress p;
    p.report(0.0, "start");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    p.report(0.5, "half");
    auto s = p.snapshot();
    EXPECT_DOUBLE_EQ(s.fraction, 0.5);
    EXPECT_EQ(s.message, "half");
    // Half done after ~20 ms: the ETA is about the elapsed time.
    EXPECT_GT(s.etaSeconds, 0.010);
    EXPECT_LT(s.etaSeconds, 1.0);
}

TEST(Progress, CancelMakesReportThrow) {
    Progress p;
    p.report(0.1);
    p.cancel();
    EXPECT_TRUE(p.cancelled());
    EXPECT_THROW(p.report(0.2), Error);
    try {
        p.checkCancelled();
        FAIL() << "checkCancelled did not throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled);
    }
}

TEST(Progress, ListenerIsThrottledButSeesCompletion) {
    Progress p;
    int calls = 0;
    double last = -1;
    p.setListener([&](const ProgressSnapshot& s) { ++calls; last = s.fraction; }, 1000);
    for (int i = 0; i < 1000; ++i) p.report(i / 1000.0);
    p.report(1.0, "done");
    EXPECT_LE(calls, 3);  // throttled to one call per second, plus the final one
    EXPECT_DOUBLE_EQ(last, 1.0);
}

TEST(Progress, ScopeMapsOntoParentRange) {
    Progress p;
    Progress::Scope second(p, 0.5, 1.0);
    second.report(0.5);
    EXPECT_DOUBLE_EQ(p.snapshot().fraction, 0.75);
}

TEST(RunJob, ConvertsErrorsIntoOutcomes) {
    Progress p;
    FunctionJob bad("bad", [](Progress&) { throw Error::badInput("file is corrupt"); });
    auto o = runJob(bad, p);
    EXPECT_EQ(o.status, JobStatus::Failed);
    EXPECT_EQ(o.message, "file is corrupt");
    EXPECT_EQ(o.exitCode, 3);

    FunctionJob rt("rt", [](Progress&) { throw std::runtime_error("boom\nbacktrace line"); });
    o = runJob(rt, p);
    EXPECT_EQ(o.status, JobStatus::Failed);
    EXPECT_EQ(o.message, "boom");
    EXPECT_EQ(o.exitCode, 4);

    FunctionJob oom("oom", [](Progress&) { throw std::bad_alloc(); });
    o = runJob(oom, p);
    EXPECT_EQ(o.exitCode, 4);
    EXPECT_NE(o.message.find("out of memory"), std::string::npos);

    FunctionJob unknown("unknown", [](Progress&) { throw 42; });
    o = runJob(unknown, p);
    EXPECT_EQ(o.status, JobStatus::Failed);
}

TEST(RunJob, CancelStopsAWorkerQuickly) {
    Progress p;
    std::atomic<bool> started{false};
    FunctionJob loop("loop", [&](Progress& pr) {
        started = true;
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            pr.report(0.5);
        }
    });
    JobOutcome outcome;
    std::thread t([&] { outcome = runJob(loop, p); });
    while (!started) std::this_thread::yield();
    const auto t0 = std::chrono::steady_clock::now();
    p.cancel();
    t.join();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(outcome.status, JobStatus::Cancelled);
    EXPECT_LT(ms, 200.0);
}
