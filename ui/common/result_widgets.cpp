#include "ui/common/result_widgets.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QTableWidget>

namespace embedlab {

QTableWidget* makeResultsTable(QWidget* parent, const QString& objectName, int columns) {
    auto* t = new QTableWidget(0, columns, parent);
    t->setObjectName(objectName);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return t;
}

ChartRow makeChartRow(QWidget* parent, const QString& objectName, int count, int minHeight) {
    ChartRow row;
    row.area = new QWidget(parent);
    row.area->setObjectName(objectName);
    auto* layout = new QHBoxLayout(row.area);
    layout->setContentsMargins(0, 0, 0, 0);
    for (int i = 0; i < count; ++i) {
        auto* v = new QChartView(new QChart, row.area);
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(minHeight);
        layout->addWidget(v);
        row.views.push_back(v);
    }
    return row;
}

QLineEdit* makePathEdit(QWidget* parent, const QString& placeholder) {
    auto* e = new QLineEdit(parent);
    e->setPlaceholderText(placeholder);
    e->setClearButtonEnabled(true);
    return e;
}

}  // namespace embedlab
