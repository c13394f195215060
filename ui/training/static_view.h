// embedlab ui — the Static embeddings view of the Transfer / training panel: train fastText-style
// skip-gram vectors on a corpus (words, or a tokenizer's pieces; character n-grams so that unseen
// inflections get vectors too) and watch the loss; the result opens on the map. The job is the task
// `embedlab-cli train static` runs (app/bridge/static_jobs.h), on the long lane; docs/static-embeddings.md.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/static_jobs.h"
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
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace embedlab {

class StaticEmbeddingsView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit StaticEmbeddingsView(JobRunner* runner, QWidget* parent = nullptr);

    StaticParams params() const;
    void setParams(const StaticParams& p);
    // Starts training (long lane); trained / trainingFailed follow. 0 when the form is incomplete (the
    // message is shown) or a run is going.
    JobId start();
    void cancel();
    bool running() const;

    QVector<QPointF> lossCurve() const { return loss_; }  // (units processed, mean logistic loss)
    QChartView* lossChart() const { return chart_; }
    QString statusText() const;
    QString resultText() const;
    QString writtenPath() const { return written_; }  // the last file written ("" before)

    QString sessionKey() const override { return QStringLiteral("static"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void trained(const QString& path);
    void trainingFailed(const QString& message);
    void showOnMap(const QString& path);

private:
    void setStatus(const QString& s);
    void redrawLoss(bool replaceSeries = true);

    JobRunner* runner_;
    QLineEdit *corpus_, *tokenizer_, *subwords_, *oov_, *out_, *gold_;
    QComboBox* units_;
    QSpinBox *dim_, *epochs_, *window_, *negatives_, *minCount_, *seed_;
    QDoubleSpinBox* lr_;
    QPushButton *run_, *cancel_, *map_;
    QProgressBar* progress_;
    QLabel *status_, *result_;
    QChartView* chart_;
    QLineSeries* series_;
    QVector<QPointF> loss_;
    QString written_;
    // Not in the form (set through setParams, kept in the session): threads (0 = the engine's count) and
    // n-gram buckets.
    int threads_ = 0;
    qint64 buckets_ = 2000000;
    double lossLo_ = 0, lossHi_ = 0;
    bool running_ = false;
    JobHandlePtr job_;
};

}  // namespace embedlab
