// embedlab ui — the Training view of the Transfer / training panel: choose the model (a folder —
// the Models panel's current one by default —, a preset or a config file, randomly initialised), a
// corpus (drop it on the view), the objective, which groups train, hyper-parameters, device and
// dtype; see the memory and time estimate before it starts (a run that cannot fit is refused with
// the numbers); watch live Qt Charts of the training and held-out loss with the sample generations
// underneath; pause, resume, cancel, or continue from a checkpoint folder. The finished model is
// announced (modelTrained) so that the workspace opens it in Models. Charts export to PNG/SVG/PDF and
// the log to CSV. Every run — its settings, curves, samples and outcome — is a TrainingRun of the
// workspace (TrainingRuns, owned by WorkspaceState and saved in the session); the view draws the run
// chosen in its run list (the newest by default), so a restored session shows its curves again and
// earlier runs stay one click away. The run is tasks::trainModel (the task `embedlab-cli train` runs) on the long lane,
// so the map, search and generation stay usable. A run of lm or mlm on the CPU may be data parallel
// over N local processes (the Ranks box; app/bridge/local_ranks.h): the charts and the progress bar
// then follow the job as a whole (the slowest rank's fraction, rank 0's curves), and pause and cancel
// reach every rank.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/train_jobs.h"
#include "app/state/training_runs.h"
#include "app/state/workspace_state.h"

#include <QPointF>
#include <QVector>
#include <QWidget>

class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace embedlab {

class TrainingView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    // `runs`: the workspace's training runs; null gives the view runs of its own (tests, tools).
    explicit TrainingView(JobRunner* runner, TrainingRuns* runs = nullptr, QWidget* parent = nullptr);

    // The form, read and written as TrainParams (the model source follows the source combo).
    TrainParams params() const;
    void setParams(const TrainParams& p);
    // The folder offered as "the current model" (the Models panel's); "" clears it.
    void setCurrentModelFolder(const QString& dir);
    void setCorpus(const QString& path);
    // The device runs go to (the main window's choice); "" = the best available.
    void setDevice(const QString& device) {
        device_ = device;
        updateRanks();
    }

    // Starts the estimate (an interactive job); estimateReady follows.
    void refreshEstimate();
    QString estimateText() const;
    // Starts training (refused with a message when the estimate says it cannot fit). Returns the job's
    // id, 0 when refused.
    JobId start();
    JobId resumeFrom(const QString& checkpointDir);
    void pause();
    void resume();
    void cancel();
    bool running() const;
    bool paused() const;

    // The run the charts show (0: none) and choosing another one; the running one is shown when it starts.
    int shownRun() const { return shownRun_; }
    void showRun(int id);
    TrainingRuns* runs() const { return runs_; }
    // What the charts show (training loss, held-out loss of the shown run), in arrival order.
    QVector<QPointF> lossPoints() const;
    QVector<QPointF> evalPoints() const;
    QStringList samples() const;
    QString statusText() const;
    QChartView* chart() const { return chart_; }
    // The shown run's log as CSV: step,loss,lr,grad_norm,tokens_per_second,eval_loss,eval_ppl (then any
    // other metric the objective reports).
    QByteArray logCsv() const;
    bool exportChart(const QString& path, QString* error = nullptr);
    bool exportLog(const QString& path, QString* error = nullptr);

    QString sessionKey() const override { return QStringLiteral("training"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void estimateReady();
    void started(embedlab::JobId id);
    void modelTrained(const QString& dir);
    void trainingFailed(const QString& message);
    void trainingCancelled();

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    JobId launch(TrainParams p);
    void onMetric(int run, const QString& name, double step, double value);
    void fitAxes();
    void refreshRunList();
    void updateButtons();
    void updateRanks();
    bool ranksApply() const;  // the objective and device allow ranks (whether or not a run is on)

    JobRunner* runner_;
    JobHandlePtr job_, estimateJob_;
    QString currentModel_, device_;
    TrainingRuns* runs_;
    int liveRun_ = 0, shownRun_ = 0;  // the run the job feeds; the run the charts show
    QString liveStatus_;              // the live run's last progress line and bar, for showing it again
    int liveProgress_ = 0;
    QComboBox* runList_;
    QComboBox *source_, *preset_, *objective_, *train_, *optimizer_, *schedule_, *dtype_, *pooling_;
    QLineEdit *modelPath_, *configPath_, *tokenizer_, *data_, *evalData_, *outDir_, *layers_, *matryoshka_;
    QSpinBox *steps_, *batch_, *seqLen_, *accum_, *warmup_, *evalEvery_, *saveEvery_, *sampleEvery_, *ranks_;
    QDoubleSpinBox *lr_, *weightDecay_, *clip_, *temperature_;
    QLabel *estimate_, *status_;
    QPushButton *start_, *pause_, *cancel_, *resumeCkpt_, *exportChart_, *exportLog_;
    QProgressBar* progress_;
    QChartView* chart_;
    QLineSeries *lossSeries_, *evalSeries_;
    QPlainTextEdit* samples_;
    TrainEstimate lastEstimate_;
    bool haveEstimate_ = false;
};

}  // namespace embedlab
