// embedlab ui — the Training view of the Transfer / training panel: choose the model (a folder —
// the Models panel's current one by default —, a preset or a config file, randomly initialised), a
// corpus (drop it on the view), the objective, which groups train, hyper-parameters, device and
// dtype; see the memory and time estimate before it starts (a run that cannot fit is refused with
// the numbers); watch live Qt Charts of the training and held-out loss with the sample generations
// underneath; pause, resume, cancel, or continue from a checkpoint folder. The finished model is
// announced (modelTrained) so that the workspace opens it in Models. Charts export to PNG/SVG/PDF and
// the log to CSV. The run is tasks::trainModel (the task `embedlab-cli train` runs) on the long lane,
// so the map, search and generation stay usable.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/train_jobs.h"
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
    explicit TrainingView(JobRunner* runner, QWidget* parent = nullptr);

    // The form, read and written as TrainParams (the model source follows the source combo).
    TrainParams params() const;
    void setParams(const TrainParams& p);
    // The folder offered as "the current model" (the Models panel's); "" clears it.
    void setCurrentModelFolder(const QString& dir);
    void setCorpus(const QString& path);
    // The device runs go to (the main window's choice); "" = the best available.
    void setDevice(const QString& device) { device_ = device; }

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

    // What the charts show (training loss, held-out loss), in arrival order.
    QVector<QPointF> lossPoints() const { return loss_; }
    QVector<QPointF> evalPoints() const { return eval_; }
    QStringList samples() const;
    QString statusText() const;
    QChartView* chart() const { return chart_; }
    // The log so far as CSV: step,loss,lr,grad_norm,tokens_per_second,eval_loss,eval_ppl.
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
    void addMetric(const QString& name, double step, double value);
    void updateButtons();

    JobRunner* runner_;
    JobHandlePtr job_, estimateJob_;
    QString currentModel_, device_;
    QComboBox *source_, *preset_, *objective_, *train_, *optimizer_, *schedule_, *dtype_, *pooling_;
    QLineEdit *modelPath_, *configPath_, *tokenizer_, *data_, *evalData_, *outDir_, *layers_, *matryoshka_;
    QSpinBox *steps_, *batch_, *seqLen_, *accum_, *warmup_, *evalEvery_, *saveEvery_, *sampleEvery_;
    QDoubleSpinBox *lr_, *weightDecay_, *clip_, *temperature_;
    QLabel *estimate_, *status_;
    QPushButton *start_, *pause_, *cancel_, *resumeCkpt_, *exportChart_, *exportLog_;
    QProgressBar* progress_;
    QChartView* chart_;
    QLineSeries *lossSeries_, *evalSeries_;
    QPlainTextEdit* samples_;
    QVector<QPointF> loss_, eval_;
    QMap<double, QMap<QString, double>> rows_;  // step → metric → value (the CSV)
    TrainEstimate lastEstimate_;
    bool haveEstimate_ = false;
};

}  // namespace embedlab
