// embedlab ui — the Transfer view of the Transfer / training panel: carry a model's embedding layer onto
// a new tokenizer (source folder — the Models panel's current one by default —, target tokenizer,
// strategy, head strategy, auxiliary vectors, corpus) and read what happened: a coverage chart (tokens
// per method), the per-token report as a searchable table (filter by method, search token or surface),
// and for a chosen token its source pieces with their weights and its nearest source tokens in the
// transferred model and, when an adapted model is named, after adaptation. A report written by
// `embedlab-cli transfer` opens the same way. Model surgery (kept layers, a vocabulary pruned to a corpus)
// shows its parameter and memory accounting before and after. The jobs are the CLI's tasks
// (app/bridge/transfer_jobs.h); transfer and surgery run on the long lane.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/transfer_jobs.h"
#include "app/state/workspace_state.h"

#include <QJsonObject>
#include <QMap>
#include <QPointF>
#include <QVector>
#include <QWidget>

class QAbstractTableModel;
class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTableWidget;

namespace embedlab {

class TransferView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit TransferView(JobRunner* runner, QWidget* parent = nullptr);

    TransferParams params() const;
    void setParams(const TransferParams& p);
    void setCurrentModelFolder(const QString& dir);

    // Starts the transfer (long lane); transferred / transferFailed follow. Returns the job id (0 when the
    // form is incomplete: the message is shown).
    JobId start();
    // Opens a transfer_report.json (or a folder holding one); reportLoaded follows.
    void openReport(const QString& path);
    const QJsonObject& report() const { return report_; }

    // The table: filter by method ("" = all) and by text in the token or surface.
    void setMethodFilter(const QString& method);
    void setSearchText(const QString& text);
    int visibleRows() const;
    qint64 visibleTokenId(int row) const;
    // Shows token `id`'s pieces and asks for its nearest source tokens (neighborsReady follows).
    void selectToken(qint64 id);
    QString detailText() const;
    void setAdaptedModel(const QString& dir);
    // Coverage chart: method → count, as the chart shows it.
    QMap<QString, int> coverage() const;
    QChartView* chart() const { return chart_; }

    // An experiment folder of tools/recipes/transfer_experiment.sh (curves.csv: strategy,step,eval_bpc;
    // results.json: the source's bits per character): held-out bits per character against adaptation
    // steps, one line per strategy, the source model's as a dashed line. False with a message otherwise.
    bool openExperiment(const QString& dir, QString* error = nullptr);
    QMap<QString, QVector<QPointF>> adaptationCurves() const { return curves_; }
    double sourceBitsPerChar() const { return sourceBpc_; }
    QChartView* adaptationChart() const { return curvesChart_; }

    SurgeryParams surgeryParams() const;
    void setSurgeryParams(const SurgeryParams& p);
    JobId startSurgery();
    const QJsonObject& surgeryResult() const { return surgery_; }
    QString accountingText() const;
    QString statusText() const;

    QString sessionKey() const override { return QStringLiteral("transfer"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void transferred(const QString& outDir);
    void transferFailed(const QString& message);
    void reportLoaded();
    void neighborsReady();
    void surgeryDone(const QString& outDir);
    void surgeryFailed(const QString& message);

private:
    void buildForm();
    void showReport(const QJsonObject& report, QVector<TransferReportRow> rows, const QString& modelDir);
    void updateChart();
    void updateDetail();
    void setStatus(const QString& s);

    JobRunner* runner_;
    QLineEdit *source_, *sourceTok_, *targetTok_, *aux_, *corpus_, *out_, *adapted_, *search_;
    QComboBox *strategy_, *headStrategy_, *methodFilter_;
    QSpinBox* ompK_;
    QCheckBox* force_;
    QPushButton *run_, *openReport_, *openExperiment_;
    QProgressBar* progress_;
    QLabel* status_;
    QChartView* chart_ = nullptr;
    QChartView* curvesChart_ = nullptr;
    QMap<QString, QVector<QPointF>> curves_;
    double sourceBpc_ = -1;
    QString experimentDir_;
    QAbstractTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* table_;
    QPlainTextEdit* detail_;
    QLineEdit *sModel_, *sLayers_, *sCorpus_, *sOut_;
    QSpinBox* sMinCount_;
    QPushButton* sRun_;
    QTableWidget* accounting_;

    QJsonObject report_, surgery_;
    QString reportModelDir_;  // the transferred folder the report belongs to ("" when unknown)
    QString reportPath_;
    qint64 selected_ = -1;
    QString neighborsBefore_, neighborsAfter_;
    JobHandlePtr job_, neighborsJob_, neighborsAfterJob_, surgeryJob_, readJob_;
};

}  // namespace embedlab
