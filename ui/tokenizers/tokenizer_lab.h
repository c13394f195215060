// embedlab ui — the tokenizer lab: type or drop text; every loaded tokenizer shows its segmentation
// as coloured chips (colour by token type; id and type on hover), token count and fertility; a
// corpus comparison charts fertility, TR% and Pure% across tokenizers (export PNG/SVG/PDF, CSV).
#pragma once

#include "bridge/job_runner.h"
#include "bridge/tokenizer_jobs.h"

#include <QHash>
#include <QVector>
#include <QWidget>

class QPlainTextEdit;
class QVBoxLayout;
class QLabel;
class QTableWidget;
class QPushButton;
class QChartView;
class QChart;

namespace embedlab {

class TokenStrip;

class TokenizerLab : public QWidget {
    Q_OBJECT
public:
    explicit TokenizerLab(JobRunner* runner, QWidget* parent = nullptr);

    // Loads a tokenizer on the engine thread; it appears when loaded (tokenizerAdded) or the
    // failure reaches the log through the runner.
    JobId loadTokenizer(const QString& path);
    void addTokenizer(TokenizerPtr tokenizer, const QString& path);
    void setText(const QString& text);
    QString text() const;

    int tokenizerCount() const { return rows_.size(); }
    TokenizerPtr tokenizer(int i) const { return rows_.at(i).tokenizer; }
    TokenStrip* strip(int i) const { return rows_.at(i).strip; }
    QString statsText(int i) const;

    // Runs the metrics of every loaded tokenizer on a corpus file (a job); results fill the table
    // and charts (comparisonReady).
    JobId compareOnCorpus(const QString& corpusPath);
    QTableWidget* statsTable() const { return table_; }
    QWidget* chartArea() const { return chartArea_; }
    bool exportChart(const QString& path, QString* error = nullptr);
    bool exportTableCsv(const QString& path, QString* error = nullptr);

    static QColor colorForType(TokenType t, int index);

Q_SIGNALS:
    void tokenizerAdded(int index);
    void comparisonReady();

private:
    struct Row {
        TokenizerPtr tokenizer;
        QString path;
        QWidget* box = nullptr;
        QLabel* stats = nullptr;
        TokenStrip* strip = nullptr;
    };
    void retokenize();
    void showComparison(const QVector<TokStatsRow>& rows);

    JobRunner* runner_;
    QPlainTextEdit* input_;
    QVBoxLayout* rowsLayout_;
    QVector<Row> rows_;
    QHash<JobId, QString> pendingLoads_;
    JobId pendingStats_ = 0;
    QTableWidget* table_;
    QWidget* chartArea_;
    QChartView* fertilityView_;
    QChartView* shareView_;
    QLabel* corpusLabel_;
};

}  // namespace embedlab
