// The engine-thread bridge: progress with ETA, cancel within 200 ms, failures as messages, restart
// dropping stale results, a UI thread that never stalls more than 50 ms while a job computes, job
// handles that hear only their own job, and two lanes: an interactive job finishes in its own time
// while a long job runs, the long job held at its next step and going on afterwards.
#include "app/bridge/job_runner.h"
#include "app/bridge/model_session_p.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <atomic>

using namespace embedlab;

namespace {

// A job that computes matrix products (real LibTorch work) and reports after each one.
class MatmulJob : public Job {
public:
    MatmulJob(int steps, int n, QString tag = {}) : steps_(steps), n_(n), tag_(std::move(tag)) {}
    std::string name() const override { return "matmul " + tag_.toStdString(); }
    void run(Progress& p) override {
        at::Tensor a = at::randn({n_, n_});
        double acc = 0;
        for (int i = 0; i < steps_; ++i) {
            acc += at::matmul(a, a).sum().item<double>();
            p.report(double(i + 1) / steps_, "step " + std::to_string(i + 1));
        }
        result = acc;
        threadName = QThread::currentThread()->objectName();
    }
    double result = 0;
    QString threadName;

private:
    int steps_, n_;
    QString tag_;
};

// Multiplies matrices until `stop` is set (by the UI thread) or `limitMs` passes: the job lasts as long
// as the test needs to observe the UI thread, whatever the machine's speed.
class MatmulUntilJob : public Job {
public:
    MatmulUntilJob(const std::atomic<bool>& stop, int n, qint64 limitMs) : stop_(stop), n_(n), limitMs_(limitMs) {}
    std::string name() const override { return "matmul until stopped"; }
    void run(Progress& p) override {
        at::Tensor a = at::randn({n_, n_});
        QElapsedTimer clock;
        clock.start();
        while (!stop_.load() && clock.elapsed() < limitMs_) {
            result += at::matmul(a, a).sum().item<double>();
            ++steps;
            p.report(std::min(1.0, double(clock.elapsed()) / double(limitMs_)), "step " + std::to_string(steps));
        }
    }
    double result = 0;
    int steps = 0;

private:
    const std::atomic<bool>& stop_;
    int n_;
    qint64 limitMs_;
};

}  // namespace

class TestJobRunner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void runsOnEngineThreadAndReportsProgress() {
        JobRunner runner;
        QSignalSpy progress(&runner, &JobRunner::jobProgress);
        QSignalSpy ok(&runner, &JobRunner::jobSucceeded);
        auto job = std::make_shared<MatmulJob>(20, 128);
        const JobId id = runner.submit(job)->id();
        QVERIFY(runner.waitForIdle(20000));
        QCOMPARE(ok.count(), 1);
        QCOMPARE(ok.at(0).at(0).value<JobId>(), id);
        QCOMPARE(job->threadName, QStringLiteral("embedlab-interactive"));
        QVERIFY(job->result != 0.0);
        QVERIFY(progress.count() >= 1);
        // The last progress report is the completion (fraction 1, ETA 0).
        const auto last = progress.last();
        QCOMPARE(last.at(1).toDouble(), 1.0);
        QCOMPARE(last.at(3).toDouble(), 0.0);
    }

    void etaIsReportedWhileRunning() {
        JobRunner runner;
        QList<double> etas;
        connect(&runner, &JobRunner::jobProgress, this,
                [&](JobId, double f, const QString&, double eta) { if (f > 0 && f < 1) etas << eta; });
        runner.submit(std::make_shared<FunctionJob>("sleepy", [](Progress& p) {
            for (int i = 1; i <= 10; ++i) {
                QThread::msleep(30);
                p.report(i / 10.0);
            }
        }));
        QVERIFY(runner.waitForIdle(10000));
        QVERIFY(!etas.isEmpty());
        for (double e : etas) {
            QVERIFY(e >= 0.0);
            QVERIFY(e < 1.0);  // 10 steps of 30 ms: never more than ~0.3 s left
        }
    }

    void cancelStopsWithin200ms() {
        JobRunner runner;
        std::atomic<bool> started{false};
        QSignalSpy cancelled(&runner, &JobRunner::jobCancelled);
        const JobId id = runner.submit(std::make_shared<FunctionJob>("forever", [&](Progress& p) {
            at::Tensor a = at::randn({96, 96});
            started = true;
            for (;;) {
                a = at::matmul(a, a).tanh();
                p.report(-1);
            }
        }))->id();
        QElapsedTimer wait;
        wait.start();
        while (!started && wait.elapsed() < 5000) QTest::qWait(5);
        QVERIFY(started);
        QTest::qWait(50);
        QElapsedTimer t;
        t.start();
        runner.cancel(id);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 1000);
        QVERIFY2(t.elapsed() <= 200, qPrintable(QStringLiteral("cancel took %1 ms").arg(t.elapsed())));
        QVERIFY(!runner.isActive(id));
    }

    void failuresBecomeMessages() {
        JobRunner runner;
        QSignalSpy failed(&runner, &JobRunner::jobFailed);
        runner.submit(std::make_shared<FunctionJob>("bad file", [](Progress&) {
            throw Error::badInput("model.safetensors: header length 9999 lies beyond the file");
        }));
        runner.submit(std::make_shared<FunctionJob>("torch error", [](Progress&) {
            // A genuine LibTorch error (shape mismatch) must arrive as a message, not a crash.
            at::matmul(at::ones({2, 3}), at::ones({4, 5}));
        }));
        runner.submit(std::make_shared<FunctionJob>("odd throw", [](Progress&) { throw 7; }));
        QVERIFY(runner.waitForIdle(10000));
        QCOMPARE(failed.count(), 3);
        QCOMPARE(failed.at(0).at(2).toString(),
                 QStringLiteral("model.safetensors: header length 9999 lies beyond the file"));
        QVERIFY(!failed.at(1).at(2).toString().isEmpty());
        QVERIFY(!failed.at(1).at(2).toString().contains(QLatin1Char('\n')));
        QVERIFY(failed.at(2).at(2).toString().contains(QStringLiteral("odd throw")));
        // The runner still works after failures.
        QSignalSpy ok(&runner, &JobRunner::jobSucceeded);
        runner.submit(std::make_shared<MatmulJob>(2, 16));
        QVERIFY(runner.waitForIdle(10000));
        QCOMPARE(ok.count(), 1);
    }

    void restartWithSameKeyDropsStaleResults() {
        JobRunner runner;
        QList<QString> delivered;
        connect(&runner, &JobRunner::jobSucceeded, this,
                [&](JobId, const QString& name, const QString&) { delivered << name; });
        QSignalSpy cancelled(&runner, &JobRunner::jobCancelled);
        // Three parameter changes in a row, as a slider drag would make: only the last result counts.
        runner.submit(std::make_shared<MatmulJob>(200, 64, QStringLiteral("a")), QStringLiteral("proj"));
        runner.submit(std::make_shared<MatmulJob>(200, 64, QStringLiteral("b")), QStringLiteral("proj"));
        runner.submit(std::make_shared<MatmulJob>(5, 64, QStringLiteral("c")), QStringLiteral("proj"));
        QVERIFY(runner.waitForIdle(20000));
        QCOMPARE(delivered, QList<QString>{QStringLiteral("matmul c")});
        QCOMPARE(cancelled.count(), 2);
    }

    void supersededJobThatFinishesAnywayIsDropped() {
        JobRunner runner;
        QSignalSpy ok(&runner, &JobRunner::jobSucceeded);
        QSignalSpy cancelled(&runner, &JobRunner::jobCancelled);
        std::atomic<bool> inside{false}, release{false};
        // This job ignores cancellation until released, then completes "successfully".
        runner.submit(std::make_shared<FunctionJob>("stubborn", [&](Progress&) {
            inside = true;
            while (!release) QThread::msleep(1);
        }), QStringLiteral("k"));
        QTRY_VERIFY_WITH_TIMEOUT(inside.load(), 5000);
        runner.submit(std::make_shared<MatmulJob>(1, 8, QStringLiteral("new")), QStringLiteral("k"));
        release = true;
        QVERIFY(runner.waitForIdle(10000));
        QCOMPARE(ok.count(), 1);  // only the new one
        QCOMPARE(ok.at(0).at(1).toString(), QStringLiteral("matmul new"));
        QCOMPARE(cancelled.count(), 1);
    }

    void uiThreadNeverStallsWhileJobComputes() {
        JobRunner runner;
        // Measure the largest gap between 5 ms timer ticks on the UI thread while the engine thread
        // multiplies 384×384 matrices. The job runs until the UI thread has seen 100 ticks (or 60 s
        // pass), so the measurement covers the same number of ticks on a fast or a slow machine.
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, worst = 0;
        int ticks = 0;
        std::atomic<bool> enough{false};
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        connect(&timer, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            if (ticks++ > 0) worst = std::max(worst, now - last);
            last = now;
            if (ticks >= 100) enough = true;
        });
        auto job = std::make_shared<MatmulUntilJob>(enough, 384, 60000);
        timer.start(5);
        runner.submit(job);
        QVERIFY(runner.waitForIdle(90000));
        timer.stop();
        QVERIFY2(enough.load(), qPrintable(QStringLiteral("only %1 ticks in 60 s").arg(ticks)));
        QVERIFY(job->steps > 0);  // the engine thread computed while the UI thread ticked
        QVERIFY2(worst <= 50, qPrintable(QStringLiteral("UI thread stalled %1 ms").arg(worst)));
    }

    void handleHearsOnlyItsOwnJob() {
        JobRunner runner;
        auto a = std::make_shared<FunctionJob>("a", [](Progress& p) {
            for (int i = 1; i <= 5; ++i) {
                p.metric("loss", i, 1.0 / i);
                p.log("step " + std::to_string(i));
                p.report(i / 5.0);
            }
        });
        auto b = std::make_shared<FunctionJob>("b", [](Progress& p) {
            p.metric("loss", 1, 99.0);
            throw Error::badInput("b is broken");
        });
        const JobHandlePtr ha = runner.submit(a);
        const JobHandlePtr hb = runner.submit(b, {}, JobLane::Long);
        QSignalSpy aOk(ha.get(), &JobHandle::succeeded), aFailed(ha.get(), &JobHandle::failed),
            aMetric(ha.get(), &JobHandle::metric), aLog(ha.get(), &JobHandle::logLine),
            aFinished(ha.get(), &JobHandle::finished);
        QSignalSpy bOk(hb.get(), &JobHandle::succeeded), bFailed(hb.get(), &JobHandle::failed),
            bMetric(hb.get(), &JobHandle::metric), bFinished(hb.get(), &JobHandle::finished);
        QCOMPARE(hb->lane(), JobLane::Long);
        QVERIFY(runner.waitForIdle(10000));
        QCOMPARE(aOk.count(), 1);
        QCOMPARE(aFailed.count(), 0);
        QCOMPARE(aFinished.count(), 1);
        QCOMPARE(aMetric.count(), 5);  // every metric point, in order, none of b's
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(aMetric.at(i).at(0).toString(), QStringLiteral("loss"));
            QCOMPARE(aMetric.at(i).at(1).toDouble(), double(i + 1));
            QCOMPARE(aMetric.at(i).at(2).toDouble(), 1.0 / (i + 1));
        }
        QCOMPARE(aLog.count(), 5);
        QCOMPARE(aLog.at(4).at(0).toString(), QStringLiteral("step 5"));
        QCOMPARE(bOk.count(), 0);
        QCOMPARE(bFailed.count(), 1);
        QCOMPARE(bFailed.at(0).at(0).toString(), QStringLiteral("b is broken"));
        QCOMPARE(bMetric.count(), 1);
        QCOMPARE(bMetric.at(0).at(2).toDouble(), 99.0);
        QCOMPARE(bFinished.count(), 1);
        QVERIFY(!ha->isActive());
    }

    void interactiveJobFinishesInItsOwnTimeWhileALongJobRuns() {
        JobRunner runner;
        // The long job: steps of ~20 ms of matrix work, until stopped or 60 s.
        std::atomic<bool> stopLong{false};
        std::atomic<int> longSteps{0};
        QString longThread, shortThread;
        auto longJob = std::make_shared<FunctionJob>("long training", [&](Progress& p) {
            longThread = QThread::currentThread()->objectName();
            at::Tensor a = at::randn({256, 256});
            QElapsedTimer clock;
            clock.start();
            while (!stopLong.load() && clock.elapsed() < 60000) {
                QElapsedTimer step;
                step.start();
                while (step.elapsed() < 20) a = at::matmul(a, a).tanh();
                ++longSteps;
                p.report(-1, "step");
            }
        });
        const JobHandlePtr hl = runner.submit(longJob, {}, JobLane::Long);
        QTRY_VERIFY_WITH_TIMEOUT(longSteps.load() >= 3, 10000);

        // The interactive job alone would take ~150 ms of the same work; measured as the time from
        // submit to its succeeded signal while the long job is mid-run.
        auto interactive = [&] {
            return std::make_shared<FunctionJob>("map preview", [&](Progress& p) {
                shortThread = QThread::currentThread()->objectName();
                at::Tensor a = at::randn({256, 256});
                QElapsedTimer t;
                t.start();
                while (t.elapsed() < 150) a = at::matmul(a, a).tanh();
                p.report(1.0);
            });
        };
        QSignalSpy held(&runner, &JobRunner::jobHeld);
        QElapsedTimer t;
        t.start();
        const JobHandlePtr hi = runner.submit(interactive());
        QSignalSpy iOk(hi.get(), &JobHandle::succeeded);
        QTRY_COMPARE_WITH_TIMEOUT(iOk.count(), 1, 10000);
        const qint64 took = t.elapsed();
        // Its own 150 ms + at most one long step (20 ms) + scheduling slack; without lanes it would
        // wait for the long job's whole run (60 s).
        QVERIFY2(took < 150 + 20 + 500, qPrintable(QStringLiteral("interactive job took %1 ms").arg(took)));
        QCOMPARE(shortThread, QStringLiteral("embedlab-interactive"));
        QCOMPARE(longThread, QStringLiteral("embedlab-long"));
        // The long job was held for it and released after, and it goes on stepping.
        QTRY_VERIFY_WITH_TIMEOUT(held.count() >= 2, 2000);
        QCOMPARE(held.at(0).at(1).toBool(), true);
        QCOMPARE(held.last().at(1).toBool(), false);
        QVERIFY(hl->isActive());
        const int before = longSteps.load();
        QTRY_VERIFY_WITH_TIMEOUT(longSteps.load() > before + 2, 5000);

        // Pause holds the long job at its next step; resume lets it go on.
        hl->pause();
        QTest::qWait(100);
        const int paused = longSteps.load();
        QTest::qWait(200);
        QVERIFY2(longSteps.load() <= paused + 1, "a paused job kept stepping");
        QVERIFY(hl->isPaused());
        hl->resume();
        QTRY_VERIFY_WITH_TIMEOUT(longSteps.load() > paused + 2, 5000);
        stopLong = true;
        QVERIFY(runner.waitForIdle(10000));
    }

    // A model shared by the lanes (app/bridge/model_session_p.h): while a long job holds it, an
    // interactive job on it is refused at once with a message naming the holder — it neither races the
    // model nor waits — and once the long job ends, the same interactive job runs.
    void interactiveJobOnAModelALongJobHoldsIsRefusedNotRaced() {
        JobRunner runner;
        auto session = std::make_shared<ModelSession>();
        session->path = "/models/gemma";
        std::atomic<bool> holding{false}, release{false};
        auto longJob = std::make_shared<FunctionJob>("Training", [&](Progress& p) {
            SessionLock lock(*session);
            holding = true;
            QElapsedTimer t;
            t.start();
            while (!release.load() && t.elapsed() < 30000) {
                QThread::msleep(5);
                p.report(-1, "step");
            }
        });
        const JobHandlePtr hl = runner.submit(longJob, {}, JobLane::Long);
        QTRY_VERIFY_WITH_TIMEOUT(holding.load(), 10000);
        std::atomic<bool> ran{false};
        auto interactive = [&] {
            return std::make_shared<FunctionJob>("Generate", [&](Progress&) {
                SessionLock lock(*session);
                ran = true;
            });
        };
        QElapsedTimer t;
        t.start();
        const JobHandlePtr hi = runner.submit(interactive());
        QSignalSpy failed(hi.get(), &JobHandle::failed);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
        QVERIFY2(t.elapsed() < 2000, "the refused job waited for the model");
        QVERIFY(!ran.load());
        const QString msg = failed.front().front().toString();
        QVERIFY2(msg.contains(QStringLiteral("/models/gemma is in use by 'Training'")), qPrintable(msg));
        QVERIFY(hl->isActive());
        release = true;
        QVERIFY(runner.waitForIdle(10000));
        const JobHandlePtr again = runner.submit(interactive());
        QSignalSpy ok(again.get(), &JobHandle::succeeded);
        QTRY_COMPARE_WITH_TIMEOUT(ok.count(), 1, 5000);
        QVERIFY(ran.load());
        QVERIFY(session->holder().empty());
    }
};

QTEST_MAIN(TestJobRunner)
#include "tst_job_runner.moc"
