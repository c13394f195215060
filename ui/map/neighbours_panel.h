// embedlab ui — the neighbours panel: a query (typed token/word, or the point selected on the map),
// k, metric (cosine / dot / euclidean), an analogy row (a − b + c) and a results table. It computes
// nothing: it emits requests and shows the results handed to setResults(), and asks the map to
// highlight the result rows (highlightRequested).
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTableWidget;

namespace embedlab {

struct NeighbourResult {
    int row = -1;       // map row (MapData row), -1 when the result is not on the map
    QString label;
    double score = 0;   // similarity (cosine, dot) or distance (euclidean)
};

enum class NeighbourMetric { Cosine, Dot, Euclidean };
QString neighbourMetricName(NeighbourMetric m);  // "cosine", "dot", "euclidean" (as in the CLI)
NeighbourMetric neighbourMetricFromName(const QString& name, bool* ok = nullptr);

struct NeighbourQuery {
    QString text;        // the typed token/word; empty when row >= 0
    int row = -1;        // the selected map row, or -1 for a typed query
    int k = 10;
    NeighbourMetric metric = NeighbourMetric::Cosine;
};

struct AnalogyQuery {    // a − b + c  (e.g. kral − erkek + kadın)
    QString a, b, c;
    int k = 10;
    NeighbourMetric metric = NeighbourMetric::Cosine;
};

class NeighboursPanel : public QWidget {
    Q_OBJECT
public:
    explicit NeighboursPanel(QWidget* parent = nullptr);

    // The point selected on the map (row -1 clears it). With "selected point" chosen as the source,
    // a new selection is queried at once when autoQuery() is on.
    void setSelectedPoint(int row, const QString& label);
    int selectedRow() const { return selectedRow_; }
    void setAutoQuery(bool on) { autoQuery_ = on; }
    bool autoQuery() const { return autoQuery_; }

    // Results for the last request; emits highlightRequested with their map rows.
    void setResults(const QVector<NeighbourResult>& results, const QString& caption = {});
    const QVector<NeighbourResult>& results() const { return results_; }
    void setError(const QString& message);
    void clearResults();
    QString statusText() const;

    // The current query as the widgets say (typed text, or the selected row).
    NeighbourQuery query() const;
    AnalogyQuery analogy() const;
    void setQueryText(const QString& text);
    void setK(int k);
    void setMetric(NeighbourMetric m);
    void setUseSelectedPoint(bool on);
    void setAnalogy(const QString& a, const QString& b, const QString& c);

    // Emits neighboursRequested / analogyRequested when the input is complete (returns false and
    // shows why when it is not).
    bool requestNeighbours();
    bool requestAnalogy();

    QTableWidget* table() const { return table_; }

Q_SIGNALS:
    void neighboursRequested(const embedlab::NeighbourQuery& query);
    void analogyRequested(const embedlab::AnalogyQuery& query);
    void highlightRequested(const QVector<int>& rows);
    void rowActivated(int row);  // a result row double-clicked / activated

private:
    QRadioButton* typed_ = nullptr;
    QRadioButton* selected_ = nullptr;
    QLineEdit* text_ = nullptr;
    QLabel* selectedLabel_ = nullptr;
    QSpinBox* k_ = nullptr;
    QComboBox* metric_ = nullptr;
    QPushButton* find_ = nullptr;
    QLineEdit* a_ = nullptr;
    QLineEdit* b_ = nullptr;
    QLineEdit* c_ = nullptr;
    QPushButton* solve_ = nullptr;
    QTableWidget* table_ = nullptr;
    QLabel* status_ = nullptr;
    QVector<NeighbourResult> results_;
    int selectedRow_ = -1;
    QString selectedText_;
    bool autoQuery_ = true;
};

}  // namespace embedlab

Q_DECLARE_METATYPE(embedlab::NeighbourQuery)
Q_DECLARE_METATYPE(embedlab::AnalogyQuery)
