// embedlab ui — the Logit lens view (issue #15): a prompt's hidden state after every layer read through
// the model's own readout (final norm, LM head), as a grid — a row per layer, a column per prompt token,
// each cell the token that layer ranks first, coloured by its probability, the top-k on hover — and a
// chart of the probability each layer gives to the model's final next token. Zeroed heads and skipped
// layers apply to the forward. The job is the task `embedlab-cli lens` runs (app/bridge/lens_job.h).
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/lens_job.h"
#include "app/state/workspace_state.h"

#include <QWidget>

class QChartView;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace embedlab {

class LensView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit LensView(JobRunner* runner, QWidget* parent = nullptr);

    // The model (from the Models panel); an encoder or none disables Run.
    void setModel(ModelSessionPtr session, const QString& name, bool causal);
    LensParams params() const;
    void setParams(const LensParams& p);
    JobId run();  // 0 when nothing could start (the status says why)

    QTableWidget* grid() const { return grid_; }
    QChartView* chart() const { return chart_; }
    QVector<double> nextTokenProb() const { return nextProb_; }
    QString statusText() const;

    QString sessionKey() const override { return QStringLiteral("lens"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void finished(bool ok);

private:
    void showResult(const LensJob& job);

    JobRunner* runner_;
    ModelSessionPtr session_;
    bool causal_ = false;
    QLineEdit *prompt_, *zeroHeads_, *skipLayers_;
    QSpinBox* topK_;
    QPushButton* run_;
    QLabel *model_, *status_;
    QTableWidget* grid_;
    QChartView* chart_;
    QVector<double> nextProb_;
    JobHandlePtr job_;
};

}  // namespace embedlab
