// The UI-stall bound of issue #19 (docs/reliability.md): while a long job runs, the UI thread's event
// loop never goes more than 50 ms without serving a 5 ms timer. The meter records the largest gap
// between ticks; tests run the real job with the real view on screen (charts, tables, reports
// updating) and compare `worst()` with the bound. The figure is a gap between ticks, not a count of
// work done, so it does not depend on how fast the machine is; `ticks()` says how long it watched.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <algorithm>

namespace embedlab::test {

class UiStallMeter : public QObject {
public:
    static constexpr qint64 kBoundMs = 50;

    UiStallMeter() {
        timer_.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.elapsed();
            if (ticks_++ > 0 && now - last_ > worst_) {
                worst_ = now - last_;
                worstAt_ = now;
            }
            last_ = now;
        });
    }
    void start() {
        ticks_ = 0;
        worst_ = 0;
        clock_.start();
        timer_.start(5);
    }
    void stop() { timer_.stop(); }
    int ticks() const { return ticks_; }
    qint64 worst() const { return worst_; }
    QString describe() const {
        return QStringLiteral("worst gap %1 ms (at %2 ms) over %3 ticks").arg(worst_).arg(worstAt_).arg(ticks_);
    }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    int ticks_ = 0;
    qint64 last_ = 0, worst_ = 0, worstAt_ = 0;
};

}  // namespace embedlab::test
