// embedlab ui — the tokenizer lab: type or drop text; every loaded tokenizer shows its segmentation
// as coloured chips (colour by token type; id and type on hover), token count and fertility; a
// corpus comparison charts fertility, TR% and Pure% across tokenizers (export PNG/SVG/PDF, CSV).
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/tokenizer_jobs.h"
#include "app/state/open_items.h"
#include "app/state/workspace_state.h"

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

class TokenizerLab : public QWidget, public SessionParticipant {
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
    // The morphology benchmark of every loaded tokenizer on a gold treebank (a job): boundary hit,
    // root intact and tokens per word fill the comparison table's last columns (morphologyReady).
    JobId measureMorphology(const QString& treebankPath);
    QTableWidget* statsTable() const { return table_; }
    QWidget* chartArea() const { return chartArea_; }
    bool exportChart(const QString& path, QString* error = nullptr);
    bool exportTableCsv(const QString& path, QString* error = nullptr);

    static QColor colorForType(TokenType t, int index);

    // Session: the tokenizers (reloaded in order), the text, and the last comparison's table and charts.
    // The workspace's list of open things: what this panel opens is added there (null: not listed).
    void setOpenItems(OpenItems* items) { items_ = items; }
    QString sessionKey() const override { return QStringLiteral("tokenizers"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void tokenizerAdded(int index);
    void comparisonReady();
    void morphologyReady();

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
    void showMorphology(const QVector<MorphRow>& rows);
    void fillTable();
    QVector<TokenizerPtr> loadedTokenizers() const;
    QStringList loadedPaths() const;

    JobRunner* runner_;
    OpenItems* items_ = nullptr;
    QPlainTextEdit* input_;
    QVBoxLayout* rowsLayout_;
    QVector<Row> rows_;
    QTableWidget* table_;
    QWidget* chartArea_;
    QChartView* fertilityView_;
    QChartView* shareView_;
    QLabel* corpusLabel_;
    QVector<TokStatsRow> comparison_;
    QVector<MorphRow> morphology_;
};

}  // namespace embedlab
