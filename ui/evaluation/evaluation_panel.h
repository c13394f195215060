// embedlab ui — the Evaluation panel: pick a task (STS, bitext mining, retrieval, clustering,
// classification, perplexity) and its data file (a folder for retrieval), run it on the checked
// models, and compare them side by side: a results table (rows = model × task; columns = the
// metrics, sentences/s, peak memory and seconds), bar charts of each task's main metric per model
// (perplexity on its own axis), CSV and JSON export of the table and PNG/SVG of the charts.
// The rows are the workspace's (EvaluationRows, owned by WorkspaceState): the table and charts are
// views of them. Metric definitions: docs/evaluation.md.
#pragma once

#include "app/bridge/eval_jobs.h"
#include "app/bridge/job_runner.h"
#include "app/bridge/model_jobs.h"
#include "app/state/workspace_state.h"

#include <QSet>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace embedlab {

class EvaluationPanel : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    // `rows`: the workspace's evaluation rows; null gives the panel rows of its own (tests, tools).
    explicit EvaluationPanel(JobRunner* runner, EvaluationRows* rows = nullptr, QWidget* parent = nullptr);

    // Models offered for evaluation (checked by default).
    void addModel(ModelSessionPtr session, const ModelInfo& info);
    void updateModel(int index, const ModelInfo& info);
    void clearModels();
    int modelCount() const { return models_.size(); }
    void setModelChecked(int index, bool checked);

    void setTask(const QString& task);  // sts, bitext, retrieval, clustering, classification, perplexity
    QString task() const;
    void setDataPath(const QString& path);
    QString dataPath() const;
    void setEvalParams(const EvalParams& p);
    EvalParams evalParams() const;

    // Queues one EvaluateJob per checked model; results arrive one by one (resultAdded).
    QVector<JobId> run();
    void cancel();
    bool busy() const { return !pending_.isEmpty(); }

    const QVector<EvalRow>& results() const { return rows_->rows(); }
    void clearResults();
    QTableWidget* resultsTable() const { return table_; }
    QWidget* chartArea() const { return chartArea_; }
    // The metric columns of the table, in order (after Model, Task, Data, Settings).
    QStringList metricColumns() const { return metricColumns_; }

    bool exportCsv(const QString& path, QString* error = nullptr);
    bool exportJson(const QString& path, QString* error = nullptr);
    bool exportChart(const QString& path, QString* error = nullptr);  // .png / .svg / .pdf

    QString statusText() const;

    // Session: the task, data, settings and the status line (the rows are the workspace's; a session
    // from before they moved there, with "rows" here, still restores them).
    QString sessionKey() const override { return QStringLiteral("evaluation"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void resultAdded(int row);
    void runFinished();
    void failed(const QString& message);

private:
    void rowAdded(int index);
    void rowsReset();
    void rebuildTable();
    void rebuildCharts();
    void setStatus(const QString& text, bool error = false);
    void jobEnded(JobHandle* handle);

    struct ModelEntry {
        ModelSessionPtr session;
        ModelInfo info;
    };
    JobRunner* runner_;
    QVector<ModelEntry> models_;
    EvaluationRows* rows_;
    QStringList metricColumns_;
    QVector<JobHandlePtr> pending_;  // this panel's evaluations still queued or running
    int failures_ = 0;

    QComboBox* task_;
    QLineEdit* data_;
    QListWidget* modelList_;
    QComboBox* pooling_;
    QSpinBox* layer_;
    QCheckBox* normalize_;
    QSpinBox* seed_;
    QDoubleSpinBox* minScore_;
    QDoubleSpinBox* maxScore_;
    QSpinBox* maxLength_;
    QSpinBox* stride_;
    QPushButton* runButton_;
    QPushButton* cancelButton_;
    QProgressBar* progress_;
    QTableWidget* table_;
    QWidget* chartArea_;
    QChartView* metricView_;
    QChartView* perplexityView_;
    QLabel* status_;
};

}  // namespace embedlab
