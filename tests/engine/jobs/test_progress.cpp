#include "engine/core/error.h"
#include "engine/jobs/job.h"
#include "engine/jobs/progress.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

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

TEST(Progress, ChildMapsOntoParentRangeAndNamesItsStage) {
    Progress p;
    Progress second(p, 0.5, 1.0, "ranking");
    second.report(0.5, "query 3");
    EXPECT_DOUBLE_EQ(p.snapshot().fraction, 0.75);
    EXPECT_EQ(p.snapshot().message, "ranking: query 3");
    // A grandchild maps through both ranges: [0.5,1] of [0.5,1] is [0.75,1].
    Progress inner(second, 0.5, 1.0);
    inner.report(0.0);
    EXPECT_DOUBLE_EQ(p.snapshot().fraction, 0.75);
    inner.report(1.0, "done");
    EXPECT_DOUBLE_EQ(p.snapshot().fraction, 1.0);
    EXPECT_EQ(p.snapshot().message, "ranking: done");
}

TEST(Progress, ParentCancelStopsChildBeforeItsNextReport) {
    Progress p;
    Progress child(p, 0.0, 0.5);
    Progress grandchild(child, 0.0, 1.0);
    EXPECT_FALSE(grandchild.cancelled());
    p.cancel();
    // Seen at once through cancelled()/checkCancelled(), not only after a report reaches the root.
    EXPECT_TRUE(child.cancelled());
    EXPECT_TRUE(grandchild.cancelled());
    EXPECT_THROW(grandchild.checkCancelled(), Error);
    EXPECT_THROW(grandchild.report(0.1), Error);
    // A child's own cancel does not cancel its parent.
    Progress q;
    Progress stage(q, 0.0, 1.0);
    stage.cancel();
    EXPECT_TRUE(stage.cancelled());
    EXPECT_FALSE(q.cancelled());
}

TEST(Progress, MetricsAndLogLinesReachTheRootFromAnyDepth) {
    Progress p;
    std::vector<MetricPoint> points;
    std::vector<std::string> lines;
    p.setMetricListener([&](const MetricPoint& m) { points.push_back(m); });
    p.setLogListener([&](const std::string& l) { lines.push_back(l); });
    Progress train(p, 0.0, 0.9, "train");
    Progress epoch(train, 0.0, 0.5);
    for (int step = 1; step <= 3; ++step) epoch.metric("loss", step, 1.0 / step);
    p.metric("accuracy", 3, 0.5);
    train.log("checkpoint written");
    ASSERT_EQ(points.size(), 4u);  // metric points are never throttled
    EXPECT_EQ(points[0].name, "loss");
    EXPECT_DOUBLE_EQ(points[2].step, 3.0);
    EXPECT_DOUBLE_EQ(points[2].value, 1.0 / 3.0);
    EXPECT_EQ(points[3].name, "accuracy");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "train: checkpoint written");
}

TEST(Progress, PauseHoldsTheWorkerUntilResumeOrCancel) {
    Progress p;
    Progress child(p, 0.0, 1.0);
    std::atomic<int> reports{0};
    p.pause();
    std::thread worker([&] {
        try {
            child.report(0.5);
            ++reports;
            child.report(0.6);
            ++reports;
        } catch (const Error&) {
            reports += 100;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_EQ(reports.load(), 0);  // held at the first report while paused
    EXPECT_TRUE(child.paused());
    p.resume();
    worker.join();
    EXPECT_EQ(reports.load(), 2);

    // Cancel while paused: the waiting worker throws Cancelled within a few slices.
    p.pause();
    std::thread worker2([&] {
        try {
            child.report(0.7);
            reports += 1000;
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::Cancelled) reports += 10;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto t0 = std::chrono::steady_clock::now();
    p.cancel();
    worker2.join();
    EXPECT_EQ(reports.load(), 12);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 0.5);
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
