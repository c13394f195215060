// embedlab ui — the Logit lens view (issue #15): a prompt's hidden state after every layer read through
// the model's own readout (final norm, LM head), as a grid — a row per layer, a column per prompt token,
// each cell the token that layer ranks first, coloured by its probability, the top-k on hover — and a
// chart of the probability each layer gives to the model's final next token. Zeroed heads and skipped
// layers apply to the forward. "Trajectory on the map" follows the chosen column's token (the selected
// cell's, else the last) through the layers on the embedding map (followOnMap; the map shows the
// hidden states of the model as loaded, without the zeroed heads or skipped layers). The job is the task `embedlab-cli lens` runs (app/bridge/lens_job.h).
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
    // The prompt of the grid shown and the column "Trajectory on the map" follows (-1: no grid).
    QString shownPrompt() const { return shownPrompt_; }
    int followColumn() const;
    // Asks for the chosen column's trajectory on the map (followOnMap); false when no grid is shown.
    bool followOnMapNow();

    QString sessionKey() const override { return QStringLiteral("lens"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void finished(bool ok);
    void followOnMap(const QString& prompt, int position, bool addSpecial);

private:
    void showResult(const LensJob& job);

    JobRunner* runner_;
    ModelSessionPtr session_;
    bool causal_ = false;
    QLineEdit *prompt_, *zeroHeads_, *skipLayers_;
    QSpinBox* topK_;
    QPushButton *run_, *onMap_;
    QString shownPrompt_;
    bool shownAddSpecial_ = false;
    QLabel *model_, *status_;
    QTableWidget* grid_;
    QChartView* chart_;
    QVector<double> nextProb_;
    JobHandlePtr job_;
};

}  // namespace embedlab
