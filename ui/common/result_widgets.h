// embedlab ui — the building blocks every results view shares: a read-only table sized to its
// contents, a row of antialiased chart views in one container (exported together), and the path fields
// of the job forms.
#pragma once

#include <QString>
#include <QVector>

class QChartView;
class QLineEdit;
class QTableWidget;
class QWidget;

namespace embedlab {

// A read-only table (no editing, columns resized to their contents) named `objectName`.
QTableWidget* makeResultsTable(QWidget* parent, const QString& objectName, int columns);

struct ChartRow {
    QWidget* area = nullptr;          // holds the views side by side, named `objectName`
    QVector<QChartView*> views;       // each with an empty QChart
};
// `count` chart views of at least `minHeight` pixels in a new container widget.
ChartRow makeChartRow(QWidget* parent, const QString& objectName, int count, int minHeight);

// A path field: a placeholder that says what goes there, and a clear button.
QLineEdit* makePathEdit(QWidget* parent, const QString& placeholder);

}  // namespace embedlab
