// embedlab app — the training runs of a workspace: each run's settings, every metric stream the
// trainer reported (loss, lr, grad_norm, tokens_per_second, eval_loss, eval_ppl, ... as (step, value)
// in arrival order), its sample generations and how it ended. Owned by WorkspaceState and saved in the
// session with the curves themselves (float64, exact), so a reopened session draws the charts and
// writes the CSV as they were without reading any log; the Training view observes it and feeds it from
// its jobs. A run that was still going when the session was saved comes back as "interrupted" (its
// checkpoints continue it).
//
// Torch-free: ui/ includes it.
#pragma once

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>

namespace embedlab {

struct TrainingRun {
    enum class State { Running, Done, Failed, Cancelled, Interrupted };
    int id = 0;
    QJsonObject params;  // the Training view's form, as its session object
    QString outDir, resumedFrom;
    State state = State::Running;
    QString status;  // the outcome line ("Done: 40 steps, loss …", "Failed: …")
    QDateTime started, ended;
    QMap<QString, QVector<QPointF>> metrics;  // name → (step, value), arrival order
    QStringList samples;

    QVector<QPointF> series(const QString& name) const { return metrics.value(name); }
    // One row per step, the known metrics first then the rest by name: "step,loss,lr,...".
    QByteArray csv() const;
    QString label() const;  // "#2 lm · done · out/run"
    static QString stateName(State s);
};

class TrainingRuns : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    static constexpr int kMaxRuns = 100000;  // a session's runs beyond this are skipped

    int count() const { return runs_.size(); }
    const TrainingRun& at(int i) const { return runs_.at(i); }
    int indexOf(int id) const;
    const TrainingRun* find(int id) const;

    // A new run (state Running); returns its id.
    int begin(const QJsonObject& params, const QString& outDir, const QString& resumedFrom = QString());
    void addMetric(int id, const QString& name, double step, double value);  // non-finite points are dropped
    void addSample(int id, const QString& line);
    void finish(int id, TrainingRun::State state, const QString& status);
    void clear();

    QJsonArray toJson() const;
    // Replaces the runs with a session's; entries that cannot be read are skipped and named in `problems`.
    // Ids are never reused in one workspace: the session's runs are numbered on after the ids given out.
    void restore(const QJsonArray& runs, QStringList* problems = nullptr);

Q_SIGNALS:
    void runAdded(int id);
    void metricAdded(int id, const QString& name, double step, double value);
    void sampleAdded(int id, const QString& line);
    void runFinished(int id);
    void runsReset();  // after clear and restore

private:
    TrainingRun* findMutable(int id);
    QVector<TrainingRun> runs_;
    int nextId_ = 1;
};

}  // namespace embedlab
