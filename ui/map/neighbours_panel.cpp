#include "ui/map/neighbours_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace embedlab {

QString neighbourMetricName(NeighbourMetric m) {
    switch (m) {
    case NeighbourMetric::Cosine: return QStringLiteral("cosine");
    case NeighbourMetric::Dot: return QStringLiteral("dot");
    case NeighbourMetric::Euclidean: return QStringLiteral("euclidean");
    }
    return QStringLiteral("cosine");
}

NeighbourMetric neighbourMetricFromName(const QString& name, bool* ok) {
    const QString n = name.trimmed().toLower();
    if (ok) *ok = true;
    if (n == QLatin1String("cosine")) return NeighbourMetric::Cosine;
    if (n == QLatin1String("dot")) return NeighbourMetric::Dot;
    if (n == QLatin1String("euclidean") || n == QLatin1String("l2")) return NeighbourMetric::Euclidean;
    if (ok) *ok = false;
    return NeighbourMetric::Cosine;
}

NeighboursPanel::NeighboursPanel(QWidget* parent) : QWidget(parent) {
    qRegisterMetaType<NeighbourQuery>();
    qRegisterMetaType<AnalogyQuery>();

    typed_ = new QRadioButton(tr("Token / word"), this);
    selected_ = new QRadioButton(tr("Selected point"), this);
    typed_->setChecked(true);
    text_ = new QLineEdit(this);
    text_->setPlaceholderText(tr("e.g. kitap"));
    text_->setObjectName(QStringLiteral("neighbourQuery"));
    selectedLabel_ = new QLabel(tr("(none)"), this);
    selectedLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    k_ = new QSpinBox(this);
    k_->setRange(1, 1000);
    k_->setValue(10);
    k_->setObjectName(QStringLiteral("neighbourK"));
    metric_ = new QComboBox(this);
    metric_->setObjectName(QStringLiteral("neighbourMetric"));
    for (NeighbourMetric m : {NeighbourMetric::Cosine, NeighbourMetric::Dot, NeighbourMetric::Euclidean})
        metric_->addItem(neighbourMetricName(m), int(m));
    find_ = new QPushButton(tr("Find neighbours"), this);
    find_->setObjectName(QStringLiteral("neighbourFind"));

    a_ = new QLineEdit(this);
    b_ = new QLineEdit(this);
    c_ = new QLineEdit(this);
    a_->setPlaceholderText(QStringLiteral("kral"));
    b_->setPlaceholderText(QStringLiteral("erkek"));
    c_->setPlaceholderText(QStringLiteral("kadın"));
    a_->setObjectName(QStringLiteral("analogyA"));
    b_->setObjectName(QStringLiteral("analogyB"));
    c_->setObjectName(QStringLiteral("analogyC"));
    solve_ = new QPushButton(tr("a − b + c"), this);
    solve_->setObjectName(QStringLiteral("analogySolve"));

    table_ = new QTableWidget(0, 3, this);
    table_->setHorizontalHeaderLabels({tr("row"), tr("label"), tr("score")});
    table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    table_->verticalHeader()->setVisible(false);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    status_ = new QLabel(this);
    status_->setWordWrap(true);

    auto* src = new QHBoxLayout;
    src->addWidget(typed_);
    src->addWidget(selected_);
    src->addStretch(1);
    auto* form = new QFormLayout;
    form->addRow(tr("Query"), src);
    form->addRow(tr("Token / word"), text_);
    form->addRow(tr("Selected point"), selectedLabel_);
    auto* km = new QHBoxLayout;
    km->addWidget(new QLabel(tr("k"), this));
    km->addWidget(k_);
    km->addWidget(new QLabel(tr("metric"), this));
    km->addWidget(metric_, 1);
    km->addWidget(find_);
    form->addRow(km);
    auto* an = new QHBoxLayout;
    an->addWidget(a_);
    an->addWidget(new QLabel(QStringLiteral("−"), this));
    an->addWidget(b_);
    an->addWidget(new QLabel(QStringLiteral("+"), this));
    an->addWidget(c_);
    an->addWidget(solve_);
    form->addRow(tr("Analogy"), an);
    auto* v = new QVBoxLayout(this);
    v->addLayout(form);
    v->addWidget(table_, 1);
    v->addWidget(status_);

    connect(find_, &QPushButton::clicked, this, [this] { requestNeighbours(); });
    connect(text_, &QLineEdit::returnPressed, this, [this] {
        typed_->setChecked(true);
        requestNeighbours();
    });
    connect(text_, &QLineEdit::textEdited, this, [this] { typed_->setChecked(true); });
    connect(solve_, &QPushButton::clicked, this, [this] { requestAnalogy(); });
    for (QLineEdit* e : {a_, b_, c_}) connect(e, &QLineEdit::returnPressed, this, [this] { requestAnalogy(); });
    connect(table_, &QTableWidget::cellActivated, this, [this](int r, int) {
        if (r >= 0 && r < results_.size() && results_[r].row >= 0) Q_EMIT rowActivated(results_[r].row);
    });
}

void NeighboursPanel::setSelectedPoint(int row, const QString& label) {
    selectedRow_ = row;
    selectedText_ = label;
    selectedLabel_->setText(row >= 0 ? QStringLiteral("%1  (row %2)").arg(label).arg(row) : tr("(none)"));
    if (row >= 0 && selected_->isChecked() && autoQuery_) requestNeighbours();
}

NeighbourQuery NeighboursPanel::query() const {
    NeighbourQuery q;
    q.k = k_->value();
    q.metric = NeighbourMetric(metric_->currentData().toInt());
    if (selected_->isChecked()) {
        q.row = selectedRow_;
        q.text = selectedRow_ >= 0 ? selectedText_ : QString();
    } else {
        q.text = text_->text().trimmed();
    }
    return q;
}

AnalogyQuery NeighboursPanel::analogy() const {
    AnalogyQuery q;
    q.a = a_->text().trimmed();
    q.b = b_->text().trimmed();
    q.c = c_->text().trimmed();
    q.k = k_->value();
    q.metric = NeighbourMetric(metric_->currentData().toInt());
    return q;
}

void NeighboursPanel::setQueryText(const QString& text) {
    text_->setText(text);
    typed_->setChecked(true);
}

void NeighboursPanel::setK(int k) { k_->setValue(k); }

void NeighboursPanel::setMetric(NeighbourMetric m) { metric_->setCurrentIndex(metric_->findData(int(m))); }

void NeighboursPanel::setUseSelectedPoint(bool on) { (on ? selected_ : typed_)->setChecked(true); }

void NeighboursPanel::setAnalogy(const QString& a, const QString& b, const QString& c) {
    a_->setText(a);
    b_->setText(b);
    c_->setText(c);
}

bool NeighboursPanel::requestNeighbours() {
    const NeighbourQuery q = query();
    if (selected_->isChecked() && q.row < 0) {
        setError(tr("select a point on the map first"));
        return false;
    }
    if (!selected_->isChecked() && q.text.isEmpty()) {
        setError(tr("type a token or word"));
        return false;
    }
    status_->setText(tr("searching %1 nearest (%2)…").arg(q.k).arg(neighbourMetricName(q.metric)));
    Q_EMIT neighboursRequested(q);
    return true;
}

bool NeighboursPanel::requestAnalogy() {
    const AnalogyQuery q = analogy();
    if (q.a.isEmpty() || q.b.isEmpty() || q.c.isEmpty()) {
        setError(tr("an analogy needs a, b and c"));
        return false;
    }
    status_->setText(tr("%1 − %2 + %3 …").arg(q.a, q.b, q.c));
    Q_EMIT analogyRequested(q);
    return true;
}

void NeighboursPanel::setResults(const QVector<NeighbourResult>& results, const QString& caption) {
    results_ = results;
    table_->setRowCount(int(results.size()));
    QVector<int> rows;
    for (int i = 0; i < results.size(); ++i) {
        const NeighbourResult& r = results[i];
        auto* rowItem = new QTableWidgetItem(r.row >= 0 ? QString::number(r.row) : QStringLiteral("–"));
        rowItem->setData(Qt::UserRole, r.row);
        table_->setItem(i, 0, rowItem);
        table_->setItem(i, 1, new QTableWidgetItem(r.label));
        auto* s = new QTableWidgetItem(QString::number(r.score, 'f', 4));
        s->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        table_->setItem(i, 2, s);
        if (r.row >= 0) rows.append(r.row);
    }
    table_->resizeColumnToContents(0);
    table_->resizeColumnToContents(2);
    status_->setText(caption.isEmpty() ? tr("%n result(s)", nullptr, int(results.size())) : caption);
    Q_EMIT highlightRequested(rows);
}

void NeighboursPanel::setError(const QString& message) {
    status_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
}

void NeighboursPanel::clearResults() {
    results_.clear();
    table_->setRowCount(0);
    status_->clear();
    Q_EMIT highlightRequested({});
}

QString NeighboursPanel::statusText() const { return status_->text(); }

}  // namespace embedlab
