// embedlab ui — the Ablations panel (issue #15): a study — one model, one kind of change (dimensions,
// precision, layers, heads, tokens, vocabulary) swept over its settings, the chosen evaluation metrics
// for each — run as one cancellable long job whose rows stream into a table as they finish, charted
// (each main metric against dimensions, bits, layer or kept vocabulary; for heads a layer × head heatmap
// of the metric's change). The form is the study file format (docs/ablation.md): "Save study…" writes
// the JSON `embedlab-cli ablate --study` reruns, "Load study…" reads one (unknown fields named). Table
// as CSV/JSON, chart as PNG/SVG/PDF. The job is the task the CLI runs (app/bridge/ablation_job.h).
#pragma once

#include "app/bridge/ablation_job.h"
#include "app/bridge/job_runner.h"
#include "app/state/workspace_state.h"

#include <QJsonObject>
#include <QWidget>

class QCheckBox;
class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace embedlab {

// A layer × head grid of metric changes: blue below 0, red above, white at 0; hover shows the value.
// Painted with rectangles, so an SVG export stays vector.
class AblationHeatmap : public QWidget {
    Q_OBJECT
public:
    explicit AblationHeatmap(QWidget* parent = nullptr);
    // values[row][col] (NaN = not run yet)
    void setData(const QVector<QVector<double>>& values, const QStringList& rowNames, const QStringList& colNames,
                 const QString& title);
    double value(int r, int c) const;
    int rowCount() const { return static_cast<int>(values_.size()); }
    int columnCount() const { return values_.isEmpty() ? 0 : static_cast<int>(values_.front().size()); }
    QString hoverText(int r, int c) const;
    QPair<int, int> cellAt(const QPoint& p) const;
    QSize sizeHint() const override { return QSize(520, 380); }

protected:
    void paintEvent(QPaintEvent*) override;
    bool event(QEvent* e) override;

private:
    QRect gridRect() const;
    QVector<QVector<double>> values_;
    QStringList rows_, cols_;
    QString title_;
};

class AblationView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit AblationView(JobRunner* runner, QWidget* parent = nullptr);
    ~AblationView() override;  // cancels a running sweep (its finished rows are on disk when an output folder was set)

    // The model folder the Models panel has selected (fills an empty model field).
    void setCurrentModelFolder(const QString& dir);

    // The form as a study file's JSON, and back. setStudy returns false (and shows why) for JSON the
    // engine's study parser refuses; relative paths in a loaded file are made absolute.
    QJsonObject study() const;
    bool setStudy(const QJsonObject& study, const QString& baseDir = {});
    bool loadStudyFile(const QString& path);
    bool saveStudyFile(const QString& path);

    // Starts the sweep (long lane); 0 when the form is incomplete (the status says why) or one is going.
    JobId run();
    void cancel();
    bool running() const { return running_; }

    QTableWidget* table() const { return table_; }
    QChartView* chart() const { return chart_; }
    AblationHeatmap* heatmap() const { return heatmap_; }
    QWidget* chartArea() const;  // the chart or the heatmap, whichever the study shows
    QString statusText() const;
    int rowCount() const { return static_cast<int>(rows_.size()); }
    const QVector<AblationRowView>& rows() const { return rows_; }
    bool exportTable(const QString& path, QString* error = nullptr) const;  // .csv or .json

    QString sessionKey() const override { return QStringLiteral("ablation"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void finished(bool ok);
    void rowAdded(int index);

private:
    void typeChanged();
    void setStatus(const QString& s);
    // appendOnly: rows were only added since the last call (a running sweep): fill just those.
    void showRows(bool appendOnly = false);
    void updateChart();

    JobRunner* runner_;
    QLineEdit *model_, *out_;
    QComboBox *type_, *device_, *dtype_;
    QStackedWidget* params_;
    // dimensions
    QComboBox* dimMode_;
    QLineEdit *dimSizes_, *dimRanges_;
    QSpinBox* dimRepeats_;
    // precision
    QComboBox* precTarget_;
    QCheckBox *precF32_, *precBf16_, *precInt8_, *precBinary_;
    // layers / heads
    QComboBox *layerMode_, *headMode_;
    QLineEdit *layerList_, *headLayers_, *headHeads_;
    // tokens / vocabulary
    QComboBox *tokMode_, *vocMap_;
    QLineEdit *tokIds_, *tokStrings_, *vocCorpus_, *vocKeep_;
    // metrics: up to three task + data rows
    QVector<QComboBox*> metricTask_;
    QVector<QLineEdit*> metricData_;
    QComboBox* pooling_;
    QSpinBox* layer_;
    QLineEdit* seed_;
    QCheckBox* normalize_;
    QLineEdit* sample_;
    QPushButton *run_, *cancel_, *load_, *save_, *exportTable_, *exportChart_;
    QProgressBar* progress_;
    QLabel* status_;
    QTableWidget* table_;
    QChartView* chart_;
    AblationHeatmap* heatmap_;
    QVector<AblationRowView> rows_;
    QStringList metricKeys_, mainKeys_;
    QStringList shownHeaders_;  // the table's columns as last built
    QString resultJson_, resultCsv_, studyType_, headMode0_, dimMode0_;
    QJsonObject loaded_;  // the study last set: fields the form does not show are kept from it
    bool running_ = false, succeeded_ = false;
    JobHandlePtr job_;
    std::shared_ptr<AblationJob> jobObj_;
};

}  // namespace embedlab
