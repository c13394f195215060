#include "ui/transfer/transfer_view.h"

#include "ui/common/result_widgets.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineSeries>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QAbstractTableModel>
#include <QTableView>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextStream>
#include <QValueAxis>
#include <QVBoxLayout>

#include <cmath>

namespace embedlab {

namespace {

const char* kMethods[] = {"exact", "decomposed", "variant", "aux", "omp", "special", "fallback"};
const char* kStrategies[] = {"mean", "sum", "first", "last", "weighted", "weighted-last", "max", "min", "focus", "omp", "random"};

enum Column { ColId, ColToken, ColMethod, ColSurface, ColSources, ColCount };

// Filters rows by the method column (exact) and a text in the token or surface columns.
class ReportFilter : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setMethod(const QString& m) {
        method_ = m;
        invalidateFilter();
    }
    void setText(const QString& t) {
        text_ = t;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        const QAbstractItemModel* m = sourceModel();
        if (!method_.isEmpty() && m->index(row, ColMethod, parent).data().toString() != method_) return false;
        if (text_.isEmpty()) return true;
        return m->index(row, ColToken, parent).data().toString().contains(text_, Qt::CaseInsensitive) ||
               m->index(row, ColSurface, parent).data().toString().contains(text_, Qt::CaseInsensitive);
    }

private:
    QString method_, text_;
};

// The per-token table: rows built on the engine thread (transferReportRows), swapped in whole.
class ReportModel : public QAbstractTableModel {
public:
    using QAbstractTableModel::QAbstractTableModel;
    void setRows(QVector<TransferReportRow> rows) {
        beginResetModel();
        rows_ = std::move(rows);
        endResetModel();
    }
    int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : rows_.size(); }
    int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : ColCount; }
    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || role != Qt::DisplayRole) return {};
        const TransferReportRow& r = rows_.at(index.row());
        switch (index.column()) {
            case ColId: return r.id;
            case ColToken: return r.token;
            case ColMethod: return r.method;
            case ColSurface: return r.surface;
            case ColSources: return r.sources;
            default: return {};
        }
    }
    QVariant headerData(int section, Qt::Orientation o, int role) const override {
        if (o != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, o, role);
        static const char* names[] = {"id", "token", "method", "surface", "source pieces"};
        return section >= 0 && section < ColCount ? QVariant(TransferView::tr(names[section])) : QVariant();
    }

private:
    QVector<TransferReportRow> rows_;
};


// Removes a chart's series and axes (before it is drawn anew).
void clearChart(QChart* c) {
    c->removeAllSeries();
    for (QAbstractAxis* a : c->axes()) {
        c->removeAxis(a);
        delete a;
    }
}

QString formatCount(double v) {
    if (std::fabs(v) >= 1e9) return QStringLiteral("%1 G").arg(v / 1e9, 0, 'f', 2);
    if (std::fabs(v) >= 1e6) return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 2);
    if (std::fabs(v) >= 1e4) return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', 1);
    return QString::number(v, 'f', 0);
}

}  // namespace

TransferView::TransferView(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("transferView"));
    buildForm();
}

void TransferView::buildForm() {
    auto* outer = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split, 1);

    // ---- left: the transfer form and surgery
    auto* left = new QWidget(split);
    auto* ll = new QVBoxLayout(left);
    auto* tbox = new QGroupBox(tr("Vocabulary transfer"), left);
    auto* form = new QFormLayout(tbox);
    source_ = makePathEdit(tbox, tr("source model folder (the Models panel's current one)"));
    sourceTok_ = makePathEdit(tbox, tr("the source folder's tokenizer"));
    targetTok_ = makePathEdit(tbox, tr("tokenizer.json, .model, or a seed-format folder"));
    strategy_ = new QComboBox(tbox);
    headStrategy_ = new QComboBox(tbox);
    headStrategy_->addItem(tr("same"), QString());
    for (const char* s : kStrategies) {
        strategy_->addItem(QString::fromLatin1(s), QString::fromLatin1(s));
        headStrategy_->addItem(QString::fromLatin1(s), QString::fromLatin1(s));
    }
    aux_ = makePathEdit(tbox, tr("auxiliary vectors of the target tokens (focus, omp)"));
    corpus_ = makePathEdit(tbox, tr("corpus for allomorph frequencies (optional)"));
    ompK_ = new QSpinBox(tbox);
    ompK_->setRange(1, 1024);
    ompK_->setValue(8);
    out_ = makePathEdit(tbox, tr("output folder"));
    force_ = new QCheckBox(tr("replace an existing folder"), tbox);
    form->addRow(tr("Source model"), source_);
    form->addRow(tr("Source tokenizer"), sourceTok_);
    form->addRow(tr("Target tokenizer"), targetTok_);
    form->addRow(tr("Strategy"), strategy_);
    form->addRow(tr("LM head (untied)"), headStrategy_);
    form->addRow(tr("Auxiliary vectors"), aux_);
    form->addRow(tr("Corpus"), corpus_);
    form->addRow(tr("OMP k"), ompK_);
    form->addRow(tr("Output"), out_);
    form->addRow(QString(), force_);
    auto* buttons = new QHBoxLayout;
    run_ = new QPushButton(tr("Transfer"), tbox);
    run_->setObjectName(QStringLiteral("transferRun"));
    openReport_ = new QPushButton(tr("Open report…"), tbox);
    openExperiment_ = new QPushButton(tr("Open experiment…"), tbox);
    buttons->addWidget(run_);
    buttons->addWidget(openReport_);
    buttons->addWidget(openExperiment_);
    form->addRow(buttons);
    progress_ = new QProgressBar(tbox);
    progress_->setRange(0, 1000);
    status_ = new QLabel(tr("Choose a source model and a target tokenizer."), tbox);
    status_->setWordWrap(true);
    form->addRow(progress_);
    form->addRow(status_);
    ll->addWidget(tbox);

    auto* sbox = new QGroupBox(tr("Model surgery"), left);
    auto* sf = new QFormLayout(sbox);
    sModel_ = makePathEdit(sbox, tr("model folder"));
    sLayers_ = makePathEdit(sbox, tr("layers to keep: 0-3 or 0,2,5 (all when empty)"));
    sCorpus_ = makePathEdit(sbox, tr("prune the vocabulary to this corpus (optional)"));
    sMinCount_ = new QSpinBox(sbox);
    sMinCount_->setRange(1, 1000000);
    sOut_ = makePathEdit(sbox, tr("output folder"));
    sRun_ = new QPushButton(tr("Cut"), sbox);
    sRun_->setObjectName(QStringLiteral("surgeryRun"));
    accounting_ = new QTableWidget(4, 2, sbox);
    accounting_->setHorizontalHeaderLabels({tr("before"), tr("after")});
    accounting_->setVerticalHeaderLabels({tr("parameters"), tr("weights (bytes)"), tr("vocabulary"), tr("layers")});
    accounting_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    accounting_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    accounting_->setMaximumHeight(150);
    sf->addRow(tr("Model"), sModel_);
    sf->addRow(tr("Keep layers"), sLayers_);
    sf->addRow(tr("Prune to corpus"), sCorpus_);
    sf->addRow(tr("Min count"), sMinCount_);
    sf->addRow(tr("Output"), sOut_);
    sf->addRow(sRun_);
    sf->addRow(accounting_);
    ll->addWidget(sbox);
    ll->addStretch(1);

    // ---- right: coverage chart, the report table, the token's details
    auto* right = new QSplitter(Qt::Vertical, split);
    auto* chart = new QChart;
    chart->setTitle(tr("Coverage: target tokens per method"));
    chart->legend()->hide();
    auto* charts = new QTabWidget(right);
    chart_ = new QChartView(chart, charts);
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumHeight(280);
    auto* cc = new QChart;
    cc->setTitle(tr("Adaptation: held-out bits per character (open an experiment folder)"));
    curvesChart_ = new QChartView(cc, charts);
    curvesChart_->setRenderHint(QPainter::Antialiasing);
    charts->addTab(chart_, tr("Coverage"));
    charts->addTab(curvesChart_, tr("Adaptation"));
    auto* tableBox = new QWidget(right);
    auto* tl = new QVBoxLayout(tableBox);
    tl->setContentsMargins(0, 0, 0, 0);
    auto* filters = new QHBoxLayout;
    methodFilter_ = new QComboBox(tableBox);
    methodFilter_->addItem(tr("every method"), QString());
    for (const char* m : kMethods) methodFilter_->addItem(QString::fromLatin1(m), QString::fromLatin1(m));
    search_ = new QLineEdit(tableBox);
    search_->setPlaceholderText(tr("search token or surface"));
    search_->setClearButtonEnabled(true);
    filters->addWidget(methodFilter_);
    filters->addWidget(search_, 1);
    tl->addLayout(filters);
    model_ = new ReportModel(this);
    proxy_ = new ReportFilter(this);
    proxy_->setSourceModel(model_);
    table_ = new QTableView(tableBox);
    table_->setModel(proxy_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    tl->addWidget(table_, 1);
    auto* detailBox = new QWidget(right);
    auto* dl = new QVBoxLayout(detailBox);
    dl->setContentsMargins(0, 0, 0, 0);
    adapted_ = makePathEdit(detailBox, tr("adapted model folder: its neighbours appear as 'after adaptation'"));
    detail_ = new QPlainTextEdit(detailBox);
    detail_->setReadOnly(true);
    detail_->setPlaceholderText(tr("Click a token to see its pieces and its nearest source tokens."));
    dl->addWidget(adapted_);
    dl->addWidget(detail_, 1);
    right->setStretchFactor(1, 3);
    right->setSizes({300, 420, 220});
    split->setStretchFactor(1, 2);

    connect(run_, &QPushButton::clicked, this, [this] { start(); });
    connect(openReport_, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open a transfer report"), out_->text(),
                                                       tr("Transfer reports (transfer_report.json);;JSON (*.json)"));
        if (!f.isEmpty()) openReport(f);
    });
    connect(openExperiment_, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Open a transfer experiment folder"), experimentDir_);
        if (d.isEmpty()) return;
        QString error;
        if (!openExperiment(d, &error)) setStatus(error);
    });
    connect(sRun_, &QPushButton::clicked, this, [this] { startSurgery(); });
    connect(methodFilter_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int) { static_cast<ReportFilter*>(proxy_)->setMethod(methodFilter_->currentData().toString()); });
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& t) { static_cast<ReportFilter*>(proxy_)->setText(t); });
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& cur) {
        if (cur.isValid()) selectToken(visibleTokenId(cur.row()));
    });
    connect(adapted_, &QLineEdit::editingFinished, this, [this] {
        if (selected_ >= 0) selectToken(selected_);
    });
}

TransferParams TransferView::params() const {
    TransferParams p;
    p.sourceDir = source_->text().trimmed();
    p.sourceTokenizer = sourceTok_->text().trimmed();
    p.targetTokenizer = targetTok_->text().trimmed();
    p.strategy = strategy_->currentData().toString();
    p.headStrategy = headStrategy_->currentData().toString();
    p.auxVectors = aux_->text().trimmed();
    p.corpus = corpus_->text().trimmed();
    p.ompK = ompK_->value();
    p.outDir = out_->text().trimmed();
    p.force = force_->isChecked();
    return p;
}

void TransferView::setParams(const TransferParams& p) {
    source_->setText(p.sourceDir);
    sourceTok_->setText(p.sourceTokenizer);
    targetTok_->setText(p.targetTokenizer);
    strategy_->setCurrentIndex(std::max(0, strategy_->findData(p.strategy)));
    headStrategy_->setCurrentIndex(std::max(0, headStrategy_->findData(p.headStrategy)));
    aux_->setText(p.auxVectors);
    corpus_->setText(p.corpus);
    ompK_->setValue(p.ompK);
    out_->setText(p.outDir);
    force_->setChecked(p.force);
}

void TransferView::setCurrentModelFolder(const QString& dir) {
    if (source_->text().isEmpty()) source_->setText(dir);
    if (sModel_->text().isEmpty()) sModel_->setText(dir);
}

void TransferView::setStatus(const QString& s) { status_->setText(s); }
QString TransferView::statusText() const { return status_->text(); }

JobId TransferView::start() {
    if (job_ && job_->isActive()) return 0;
    const TransferParams p = params();
    if (p.sourceDir.isEmpty() || p.targetTokenizer.isEmpty() || p.outDir.isEmpty()) {
        setStatus(tr("Choose the source model, the target tokenizer and an output folder."));
        return 0;
    }
    auto job = std::make_shared<TransferJob>(p);
    job_ = runner_->submit(job, {}, JobLane::Long);
    run_->setEnabled(false);
    progress_->setValue(0);
    setStatus(tr("Transferring…"));
    connect(job_.get(), &JobHandle::progress, this, [this](double f, const QString& msg, double) {
        progress_->setValue(static_cast<int>(std::lround(1000 * f)));
        setStatus(msg);
    });
    connect(job_.get(), &JobHandle::succeeded, this, [this, job] {
        progress_->setValue(1000);
        reportPath_ = job->params().outDir + QStringLiteral("/transfer_report.json");
        showReport(job->report, std::move(job->rows), job->params().outDir);
        setStatus(tr("Done in %1 s — %2").arg(job->seconds, 0, 'f', 1).arg(QString::fromStdString(job->summary())));
        Q_EMIT transferred(job->params().outDir);
    });
    connect(job_.get(), &JobHandle::failed, this, [this](const QString& m) {
        setStatus(tr("Failed: %1").arg(m));
        Q_EMIT transferFailed(m);
    });
    connect(job_.get(), &JobHandle::cancelled, this, [this] { setStatus(tr("Cancelled; nothing was written.")); });
    connect(job_.get(), &JobHandle::finished, this, [this] { run_->setEnabled(true); });
    return job_->id();
}

void TransferView::openReport(const QString& path) {
    auto job = std::make_shared<ReadTransferReportJob>(path);
    readJob_ = runner_->submit(job, QStringLiteral("transfer-report"));
    connect(readJob_.get(), &JobHandle::succeeded, this, [this, job, path] {
        const QFileInfo fi(path);
        const QString dir = fi.isDir() ? fi.absoluteFilePath() : fi.absolutePath();
        reportPath_ = fi.isDir() ? dir + QStringLiteral("/transfer_report.json") : fi.absoluteFilePath();
        // Neighbours need the transferred folder: the report's own folder when it holds a model.
        showReport(job->report, std::move(job->rows), QFileInfo::exists(dir + QStringLiteral("/config.json")) ? dir : QString());
        setStatus(tr("Opened %1").arg(reportPath_));
    });
    connect(readJob_.get(), &JobHandle::failed, this, [this](const QString& m) {
        setStatus(tr("Cannot open the report: %1").arg(m));
        Q_EMIT transferFailed(m);
    });
}

void TransferView::showReport(const QJsonObject& report, QVector<TransferReportRow> rows, const QString& modelDir) {
    report_ = report;
    reportModelDir_ = modelDir;
    selected_ = -1;
    neighborsBefore_.clear();
    neighborsAfter_.clear();
    static_cast<ReportModel*>(model_)->setRows(std::move(rows));
    table_->setColumnWidth(ColId, table_->fontMetrics().horizontalAdvance(QStringLiteral("0000000")) + 12);
    updateChart();
    detail_->clear();
    Q_EMIT reportLoaded();
}

QMap<QString, int> TransferView::coverage() const {
    QMap<QString, int> c;
    const QJsonObject s = report_.value(QStringLiteral("summary")).toObject();
    for (const char* m : kMethods) c[QString::fromLatin1(m)] = s.value(QString::fromLatin1(m)).toInt();
    return c;
}

void TransferView::updateChart() {
    QChart* c = chart_->chart();
    clearChart(c);
    auto* set = new QBarSet(tr("tokens"));
    QStringList cats;
    const QMap<QString, int> cov = coverage();
    int maxv = 1;
    for (const char* m : kMethods) {
        const QString k = QString::fromLatin1(m);
        *set << cov.value(k);
        cats << k;
        maxv = std::max(maxv, cov.value(k));
    }
    set->setLabelColor(Qt::black);
    auto* series = new QHorizontalBarSeries;
    series->append(set);
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    c->addSeries(series);
    auto* y = new QBarCategoryAxis;
    y->append(cats);
    c->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    auto* x = new QValueAxis;
    x->setRange(0, maxv * 1.15);
    x->setLabelFormat(QStringLiteral("%d"));
    c->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    const QJsonObject s = report_.value(QStringLiteral("summary")).toObject();
    c->setTitle(tr("Coverage: %1 target tokens (%2 → %3, %4)")
                    .arg(s.value(QStringLiteral("target_tokens")).toInt())
                    .arg(s.value(QStringLiteral("source_style")).toString(), s.value(QStringLiteral("target_style")).toString(),
                         s.value(QStringLiteral("strategy")).toString()));
}

void TransferView::setMethodFilter(const QString& method) {
    methodFilter_->setCurrentIndex(std::max(0, methodFilter_->findData(method)));
}
void TransferView::setSearchText(const QString& text) { search_->setText(text); }
int TransferView::visibleRows() const { return proxy_->rowCount(); }
qint64 TransferView::visibleTokenId(int row) const {
    return proxy_->index(row, ColId).data().toLongLong();
}
void TransferView::setAdaptedModel(const QString& dir) { adapted_->setText(dir); }

void TransferView::selectToken(qint64 id) {
    const QJsonArray tokens = report_.value(QStringLiteral("tokens")).toArray();
    if (id < 0 || id >= tokens.size()) return;
    selected_ = id;
    neighborsBefore_.clear();
    neighborsAfter_.clear();
    updateDetail();
    const QString source = report_.value(QStringLiteral("summary")).toObject().value(QStringLiteral("source_model")).toString();
    auto ask = [this, id, source](const QString& modelDir, bool after) {
        if (modelDir.isEmpty() || source.isEmpty()) return;
        auto job = std::make_shared<TransferNeighborsJob>(source, modelDir, id, 10);
        JobHandlePtr h = runner_->submit(job, after ? QStringLiteral("transfer-neighbours-after")
                                                    : QStringLiteral("transfer-neighbours"));
        (after ? neighborsAfterJob_ : neighborsJob_) = h;
        connect(h.get(), &JobHandle::succeeded, this, [this, job, id, after] {
            if (id != selected_) return;
            QStringList lines;
            for (const auto& n : job->result)
                lines << QStringLiteral("  %1  %2  (%3)").arg(n.cosine, 6, 'f', 3).arg(visibleToken(n.token)).arg(n.id);
            (after ? neighborsAfter_ : neighborsBefore_) = lines.join(QLatin1Char('\n'));
            updateDetail();
            Q_EMIT neighborsReady();
        });
        connect(h.get(), &JobHandle::failed, this, [this, after](const QString& m) {
            (after ? neighborsAfter_ : neighborsBefore_) = tr("  (unavailable: %1)").arg(m);
            updateDetail();
            Q_EMIT neighborsReady();
        });
    };
    ask(reportModelDir_, false);
    ask(adapted_->text().trimmed(), true);
}

void TransferView::updateDetail() {
    const QJsonArray tokens = report_.value(QStringLiteral("tokens")).toArray();
    if (selected_ < 0 || selected_ >= tokens.size()) {
        detail_->clear();
        return;
    }
    const QJsonObject t = tokens.at(static_cast<int>(selected_)).toObject();
    QStringList out;
    out << tr("Token %1  \"%2\"  — %3").arg(selected_).arg(visibleToken(t.value(QStringLiteral("token")).toString()),
                                            t.value(QStringLiteral("method")).toString());
    out << tr("Surface: %1").arg(visibleToken(t.value(QStringLiteral("surface")).toString()));
    if (t.contains(QStringLiteral("role"))) out << tr("Role: %1").arg(t.value(QStringLiteral("role")).toString());
    if (t.contains(QStringLiteral("note"))) out << tr("Note: %1").arg(t.value(QStringLiteral("note")).toString());
    for (const QJsonValue& s : t.value(QStringLiteral("surfaces")).toArray())
        out << tr("  form %1 weighs %2").arg(s.toObject().value(QStringLiteral("surface")).toString())
                   .arg(s.toObject().value(QStringLiteral("weight")).toDouble(), 0, 'f', 3);
    out << tr("Source pieces:");
    for (const QJsonValue& s : t.value(QStringLiteral("sources")).toArray()) {
        const QJsonObject o = s.toObject();
        const QJsonValue w = o.value(QStringLiteral("weight"));
        out << QStringLiteral("  %1  %2  (%3)")
                   .arg(w.isNull() ? QStringLiteral("   max/min") : QString::number(w.toDouble(), 'f', 4), 10)
                   .arg(visibleToken(o.value(QStringLiteral("token")).toString()))
                   .arg(o.value(QStringLiteral("id")).toInteger());
    }
    if (!reportModelDir_.isEmpty())
        out << tr("Nearest source tokens, transferred:") << (neighborsBefore_.isEmpty() ? tr("  …") : neighborsBefore_);
    if (!adapted_->text().trimmed().isEmpty())
        out << tr("Nearest source tokens, after adaptation:") << (neighborsAfter_.isEmpty() ? tr("  …") : neighborsAfter_);
    detail_->setPlainText(out.join(QLatin1Char('\n')));
}

QString TransferView::detailText() const { return detail_->toPlainText(); }

bool TransferView::openExperiment(const QString& dir, QString* error) {
    auto fail = [&](const QString& m) {
        if (error) *error = m;
        return false;
    };
    QFile f(dir + QStringLiteral("/curves.csv"));
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return fail(tr("%1 holds no curves.csv (run tools/recipes/transfer_experiment.sh)").arg(dir));
    QMap<QString, QVector<QPointF>> curves;
    QTextStream in(&f);
    const QString header = in.readLine().trimmed();
    if (header != QLatin1String("strategy,step,eval_bpc")) return fail(tr("%1/curves.csv: unexpected header '%2'").arg(dir, header));
    int lineNo = 1;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty()) continue;
        const QStringList p = line.split(QLatin1Char(','));
        bool ok1 = false, ok2 = false;
        const double step = p.value(1).toDouble(&ok1), bpc = p.value(2).toDouble(&ok2);
        if (p.size() != 3 || !ok1 || !ok2 || !std::isfinite(bpc))
            return fail(tr("%1/curves.csv line %2: expected strategy,step,bits per character").arg(dir).arg(lineNo));
        curves[p[0]].push_back({step, bpc});
    }
    if (curves.isEmpty()) return fail(tr("%1/curves.csv has no points").arg(dir));
    double source = -1;
    QFile r(dir + QStringLiteral("/results.json"));
    if (r.open(QIODevice::ReadOnly)) source = QJsonDocument::fromJson(r.readAll()).object().value(QStringLiteral("source_bpc")).toDouble(-1);
    curves_ = curves;
    sourceBpc_ = source;
    experimentDir_ = dir;
    QChart* c = curvesChart_->chart();
    clearChart(c);
    double maxStep = 1, lo = 1e30, hi = -1e30;
    for (auto it = curves.begin(); it != curves.end(); ++it) {
        auto* series = new QLineSeries;
        series->setName(it.key());
        series->setPointsVisible(true);
        for (const QPointF& pt : it.value()) {
            series->append(pt);
            maxStep = std::max(maxStep, pt.x());
            lo = std::min(lo, pt.y());
            hi = std::max(hi, pt.y());
        }
        if (it.key() == QLatin1String("random")) {
            QPen pen(Qt::black);
            pen.setWidth(2);
            series->setPen(pen);
        }
        c->addSeries(series);
    }
    if (source > 0) {
        auto* s = new QLineSeries;
        s->setName(tr("source model"));
        s->append(0, source);
        s->append(maxStep, source);
        QPen pen(Qt::darkGray);
        pen.setStyle(Qt::DashLine);
        pen.setWidth(2);
        s->setPen(pen);
        c->addSeries(s);
        lo = std::min(lo, source);
    }
    auto* x = new QValueAxis;
    x->setTitleText(tr("adaptation step (embeddings only)"));
    x->setRange(0, maxStep);
    x->setLabelFormat(QStringLiteral("%d"));
    auto* y = new QValueAxis;
    y->setTitleText(tr("bits per char"));
    y->setRange(std::max(0.0, lo - 0.1 * (hi - lo)), hi + 0.05 * (hi - lo));
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    for (QAbstractSeries* s : c->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
    c->setTitle(tr("Adaptation: held-out bits per character — %1").arg(QFileInfo(dir).fileName()));
    c->legend()->setAlignment(Qt::AlignRight);
    setStatus(tr("Opened the experiment %1 (%2 strategies)").arg(dir).arg(curves.size()));
    return true;
}

SurgeryParams TransferView::surgeryParams() const {
    SurgeryParams p;
    p.modelDir = sModel_->text().trimmed();
    p.keepLayers = sLayers_->text().trimmed();
    p.pruneCorpus = sCorpus_->text().trimmed();
    p.minCount = sMinCount_->value();
    p.outDir = sOut_->text().trimmed();
    p.force = force_->isChecked();
    return p;
}

void TransferView::setSurgeryParams(const SurgeryParams& p) {
    sModel_->setText(p.modelDir);
    sLayers_->setText(p.keepLayers);
    sCorpus_->setText(p.pruneCorpus);
    sMinCount_->setValue(p.minCount);
    sOut_->setText(p.outDir);
}

JobId TransferView::startSurgery() {
    if (surgeryJob_ && surgeryJob_->isActive()) return 0;
    const SurgeryParams p = surgeryParams();
    if (p.modelDir.isEmpty() || p.outDir.isEmpty()) {
        setStatus(tr("Surgery: choose the model and an output folder."));
        return 0;
    }
    auto job = std::make_shared<SurgeryJob>(p);
    surgeryJob_ = runner_->submit(job, {}, JobLane::Long);
    sRun_->setEnabled(false);
    setStatus(tr("Cutting…"));
    connect(surgeryJob_.get(), &JobHandle::succeeded, this, [this, job] {
        surgery_ = job->result;
        const char* keys[][2] = {{"params_before", "params_after"}, {"bytes_before", "bytes_after"},
                                 {"vocab_before", "vocab_after"}, {"layers_before", "layers_after"}};
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 2; ++c)
                accounting_->setItem(r, c, new QTableWidgetItem(formatCount(surgery_.value(QString::fromLatin1(keys[r][c])).toDouble())));
        setStatus(tr("Surgery done: %1").arg(QString::fromStdString(job->summary())));
        Q_EMIT surgeryDone(job->params().outDir);
    });
    connect(surgeryJob_.get(), &JobHandle::failed, this, [this](const QString& m) {
        setStatus(tr("Surgery failed: %1").arg(m));
        Q_EMIT surgeryFailed(m);
    });
    connect(surgeryJob_.get(), &JobHandle::finished, this, [this] { sRun_->setEnabled(true); });
    return surgeryJob_->id();
}

QString TransferView::accountingText() const {
    QStringList lines;
    for (int r = 0; r < accounting_->rowCount(); ++r) {
        const auto* a = accounting_->item(r, 0);
        const auto* b = accounting_->item(r, 1);
        lines << QStringLiteral("%1: %2 → %3")
                     .arg(accounting_->verticalHeaderItem(r)->text(), a ? a->text() : QString(), b ? b->text() : QString());
    }
    return lines.join(QLatin1Char('\n'));
}

QJsonObject TransferView::saveSession() const {
    const TransferParams p = params();
    const SurgeryParams s = surgeryParams();
    return {{QStringLiteral("source"), p.sourceDir},
            {QStringLiteral("source_tokenizer"), p.sourceTokenizer},
            {QStringLiteral("target_tokenizer"), p.targetTokenizer},
            {QStringLiteral("strategy"), p.strategy},
            {QStringLiteral("head_strategy"), p.headStrategy},
            {QStringLiteral("aux_vectors"), p.auxVectors},
            {QStringLiteral("corpus"), p.corpus},
            {QStringLiteral("omp_k"), p.ompK},
            {QStringLiteral("out"), p.outDir},
            {QStringLiteral("report"), reportPath_},
            {QStringLiteral("experiment"), experimentDir_},
            {QStringLiteral("adapted"), adapted_->text()},
            {QStringLiteral("method_filter"), methodFilter_->currentData().toString()},
            {QStringLiteral("search"), search_->text()},
            {QStringLiteral("selected"), selected_},
            {QStringLiteral("surgery_model"), s.modelDir},
            {QStringLiteral("surgery_layers"), s.keepLayers},
            {QStringLiteral("surgery_corpus"), s.pruneCorpus},
            {QStringLiteral("surgery_min_count"), s.minCount},
            {QStringLiteral("surgery_out"), s.outDir}};
}

void TransferView::restoreSession(const QJsonObject& st, SessionReport& report) {
    TransferParams p;
    p.sourceDir = st.value(QStringLiteral("source")).toString();
    p.sourceTokenizer = st.value(QStringLiteral("source_tokenizer")).toString();
    p.targetTokenizer = st.value(QStringLiteral("target_tokenizer")).toString();
    p.strategy = st.value(QStringLiteral("strategy")).toString(QStringLiteral("mean"));
    p.headStrategy = st.value(QStringLiteral("head_strategy")).toString();
    p.auxVectors = st.value(QStringLiteral("aux_vectors")).toString();
    p.corpus = st.value(QStringLiteral("corpus")).toString();
    p.ompK = st.value(QStringLiteral("omp_k")).toInt(8);
    p.outDir = st.value(QStringLiteral("out")).toString();
    setParams(p);
    SurgeryParams s;
    s.modelDir = st.value(QStringLiteral("surgery_model")).toString();
    s.keepLayers = st.value(QStringLiteral("surgery_layers")).toString();
    s.pruneCorpus = st.value(QStringLiteral("surgery_corpus")).toString();
    s.minCount = st.value(QStringLiteral("surgery_min_count")).toInt(1);
    s.outDir = st.value(QStringLiteral("surgery_out")).toString();
    setSurgeryParams(s);
    adapted_->setText(st.value(QStringLiteral("adapted")).toString());
    setMethodFilter(st.value(QStringLiteral("method_filter")).toString());
    search_->setText(st.value(QStringLiteral("search")).toString());
    const QString exp = st.value(QStringLiteral("experiment")).toString();
    if (!exp.isEmpty()) {
        if (!QFileInfo::exists(exp)) report.missing << exp;
        else if (QString e; !openExperiment(exp, &e)) report.problems << e;
    }
    const QString rep = st.value(QStringLiteral("report")).toString();
    static_cast<ReportModel*>(model_)->setRows({});
    report_ = {};
    if (rep.isEmpty()) return;
    if (!QFileInfo::exists(rep)) {
        report.missing << rep;
        return;
    }
    const qint64 sel = st.value(QStringLiteral("selected")).toInteger(-1);
    openReport(rep);
    if (sel >= 0) {
        auto* once = new QObject(this);
        connect(this, &TransferView::reportLoaded, once, [this, sel, once] {
            selectToken(sel);
            once->deleteLater();
        });
    }
}

}  // namespace embedlab
