#include "ui/ablation/ablation_view.h"

#include "ui/common/export.h"
#include "ui/common/result_widgets.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QProgressBar>
#include <QRegularExpressionValidator>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace embedlab {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// "768, 256,64" → [768, 256, 64]; false for anything that is not a list of whole numbers ≥ 0.
bool parseInts(const QString& text, QJsonArray& out) {
    out = {};
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 v = part.trimmed().toLongLong(&ok);
        if (!ok || v < 0) return false;
        out.append(v);
    }
    return true;
}

// "0-63, 64-127" → [[0, 63], [64, 127]]
bool parseRanges(const QString& text, QJsonArray& out) {
    out = {};
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList ab = part.trimmed().split(QLatin1Char('-'));
        bool ok1 = false, ok2 = false;
        if (ab.size() != 2) return false;
        const qint64 a = ab[0].trimmed().toLongLong(&ok1), b = ab[1].trimmed().toLongLong(&ok2);
        if (!ok1 || !ok2) return false;
        out.append(QJsonArray{a, b});
    }
    return true;
}

QString joinInts(const QJsonArray& a) {
    QStringList s;
    for (const auto& v : a) s << QString::number(v.toInteger());
    return s.join(QStringLiteral(", "));
}

QString fmtValue(double v) {
    if (!std::isfinite(v)) return QStringLiteral("–");
    return QString::number(v, 'g', 5);
}

QString humanBytes(qint64 b) {
    if (b >= 1000000000) return QString::number(double(b) / 1e9, 'f', 2) + QStringLiteral(" GB");
    if (b >= 1000000) return QString::number(double(b) / 1e6, 'f', 2) + QStringLiteral(" MB");
    return QString::number(double(b) / 1e3, 'f', 1) + QStringLiteral(" kB");
}

QColor divergingColour(double v, double amax) {
    if (!std::isfinite(v)) return QColor(0xcc, 0xcc, 0xcc);
    const double t = amax > 0 ? std::clamp(v / amax, -1.0, 1.0) : 0.0;
    if (t > 0) return QColor(255, int(std::lround(255 * (1 - t))), int(std::lround(255 * (1 - t))));
    return QColor(int(std::lround(255 * (1 + t))), int(std::lround(255 * (1 + t))), 255);
}

}  // namespace

// ---- the heatmap -----------------------------------------------------------------------------------------

AblationHeatmap::AblationHeatmap(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("ablationHeatmap"));
    setMouseTracking(true);
    setMinimumSize(260, 200);
}

void AblationHeatmap::setData(const QVector<QVector<double>>& values, const QStringList& rowNames,
                              const QStringList& colNames, const QString& title) {
    values_ = values;
    rows_ = rowNames;
    cols_ = colNames;
    title_ = title;
    update();
}

double AblationHeatmap::value(int r, int c) const {
    if (r < 0 || r >= rowCount() || c < 0 || c >= columnCount()) return kNaN;
    return values_[r][c];
}

QRect AblationHeatmap::gridRect() const {
    const int left = 64, top = 40, right = 90, bottom = 16;
    return QRect(left, top, std::max(10, width() - left - right), std::max(10, height() - top - bottom));
}

QPair<int, int> AblationHeatmap::cellAt(const QPoint& p) const {
    const QRect g = gridRect();
    if (!g.contains(p) || rowCount() == 0 || columnCount() == 0) return {-1, -1};
    const int r = (p.y() - g.top()) * rowCount() / g.height();
    const int c = (p.x() - g.left()) * columnCount() / g.width();
    return {std::min(r, rowCount() - 1), std::min(c, columnCount() - 1)};
}

QString AblationHeatmap::hoverText(int r, int c) const {
    if (r < 0 || c < 0 || r >= rowCount() || c >= columnCount()) return {};
    const double v = values_[r][c];
    return tr("layer %1, head %2: %3").arg(rows_.value(r), cols_.value(c),
                                            std::isfinite(v) ? QString::number(v, 'g', 6) : tr("not run yet"));
}

bool AblationHeatmap::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip) {
        auto* he = static_cast<QHelpEvent*>(e);
        const auto [r, c] = cellAt(he->pos());
        if (r >= 0) QToolTip::showText(he->globalPos(), hoverText(r, c), this);
        else QToolTip::hideText();
        return true;
    }
    return QWidget::event(e);
}

void AblationHeatmap::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    p.setPen(Qt::black);
    QFont f = font();
    f.setBold(true);
    p.setFont(f);
    p.drawText(QRect(0, 4, width(), 20), Qt::AlignCenter, title_);
    p.setFont(font());
    if (rowCount() == 0 || columnCount() == 0) {
        p.drawText(rect(), Qt::AlignCenter, tr("Run a heads study to see the layer × head grid."));
        return;
    }
    double amax = 0;
    for (const auto& row : values_)
        for (double v : row)
            if (std::isfinite(v)) amax = std::max(amax, std::abs(v));
    const QRect g = gridRect();
    const double cw = double(g.width()) / columnCount(), ch = double(g.height()) / rowCount();
    for (int r = 0; r < rowCount(); ++r) {
        for (int c = 0; c < columnCount(); ++c) {
            const QRectF cell(g.left() + c * cw, g.top() + r * ch, cw, ch);
            p.fillRect(cell, divergingColour(values_[r][c], amax));
            p.setPen(QColor(255, 255, 255));
            p.drawRect(cell);
            if (cw > 44 && ch > 16 && std::isfinite(values_[r][c])) {
                p.setPen(Qt::black);
                p.drawText(cell, Qt::AlignCenter, QString::number(values_[r][c], 'g', 2));
            }
        }
        p.setPen(Qt::black);
        p.drawText(QRectF(0, g.top() + r * ch, g.left() - 6, ch), Qt::AlignRight | Qt::AlignVCenter,
                   tr("layer %1").arg(rows_.value(r)));
    }
    for (int c = 0; c < columnCount(); ++c)
        p.drawText(QRectF(g.left() + c * cw, g.top() - 18, cw, 16), Qt::AlignCenter, tr("head %1").arg(cols_.value(c)));
    // colour bar
    const QRect bar(g.right() + 20, g.top(), 14, g.height());
    for (int i = 0; i < bar.height(); ++i) {
        const double v = amax * (1 - 2 * (i + 0.5) / bar.height());
        p.setPen(divergingColour(v, amax));
        p.drawLine(bar.left(), bar.top() + i, bar.right(), bar.top() + i);
    }
    p.setPen(Qt::black);
    p.drawText(QPoint(bar.right() + 4, bar.top() + 10), QString::number(amax, 'g', 3));
    p.drawText(QPoint(bar.right() + 4, bar.center().y() + 4), QStringLiteral("0"));
    p.drawText(QPoint(bar.right() + 4, bar.bottom()), QString::number(-amax, 'g', 3));
}

// ---- the view ----------------------------------------------------------------------------------------------

AblationView::AblationView(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("ablationView"));
    auto* outer = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    outer->addWidget(split);
    auto* formBox = new QGroupBox(tr("Study"), split);
    auto* formCols = new QHBoxLayout(formBox);
    auto* left = new QFormLayout;
    auto* right = new QFormLayout;
    formCols->addLayout(left, 1);
    formCols->addLayout(right, 1);

    model_ = makePathEdit(formBox, tr("model folder (the one selected in Models when empty)"));
    model_->setObjectName(QStringLiteral("ablationModel"));
    type_ = new QComboBox(formBox);
    type_->setObjectName(QStringLiteral("ablationType"));
    type_->addItem(tr("attention heads (layer × head grid)"), QStringLiteral("heads"));
    type_->addItem(tr("layers (skip one, or read from one)"), QStringLiteral("layers"));
    type_->addItem(tr("embedding dimensions"), QStringLiteral("dimensions"));
    type_->addItem(tr("precision (f32, bf16, int8, binary)"), QStringLiteral("precision"));
    type_->addItem(tr("tokens (embedding rows)"), QStringLiteral("tokens"));
    type_->addItem(tr("vocabulary pruning"), QStringLiteral("vocabulary"));
    left->addRow(tr("Model"), model_);
    left->addRow(tr("Study"), type_);

    params_ = new QStackedWidget(formBox);
    params_->setObjectName(QStringLiteral("ablationParams"));
    auto page = [this](QFormLayout*& form) {
        auto* w = new QWidget(params_);
        form = new QFormLayout(w);
        form->setContentsMargins(0, 0, 0, 0);
        params_->addWidget(w);
    };
    auto combo = [](QWidget* parent, std::initializer_list<std::pair<QString, QString>> items) {
        auto* c = new QComboBox(parent);
        for (const auto& [label, data] : items) c->addItem(label, data);
        return c;
    };
    QFormLayout* f;
    page(f);  // heads
    headMode_ = combo(params_, {{tr("zero the head"), QStringLiteral("zero")}, {tr("replace by its mean"), QStringLiteral("mean")}});
    headMode_->setObjectName(QStringLiteral("ablationHeadMode"));
    headLayers_ = new QLineEdit(params_);
    headLayers_->setPlaceholderText(tr("layers, e.g. 0, 3 (empty: all)"));
    headHeads_ = new QLineEdit(params_);
    headHeads_->setPlaceholderText(tr("heads (empty: all)"));
    f->addRow(tr("Ablation"), headMode_);
    f->addRow(tr("Layers"), headLayers_);
    f->addRow(tr("Heads"), headHeads_);
    page(f);  // layers
    layerMode_ = combo(params_, {{tr("skip the layer (identity)"), QStringLiteral("skip")},
                                 {tr("read the vectors from hidden state l"), QStringLiteral("read")}});
    layerList_ = new QLineEdit(params_);
    layerList_->setPlaceholderText(tr("layers (empty: all)"));
    f->addRow(tr("Change"), layerMode_);
    f->addRow(tr("Layers"), layerList_);
    page(f);  // dimensions
    dimMode_ = combo(params_, {{tr("prefix (Matryoshka truncation)"), QStringLiteral("prefix")},
                               {tr("top-k PCA components"), QStringLiteral("pca")},
                               {tr("random subsets"), QStringLiteral("random")},
                               {tr("drop ranges"), QStringLiteral("drop")},
                               {tr("zero ranges"), QStringLiteral("zero")}});
    dimMode_->setObjectName(QStringLiteral("ablationDimMode"));
    dimSizes_ = new QLineEdit(params_);
    dimSizes_->setObjectName(QStringLiteral("ablationDimSizes"));
    dimSizes_->setPlaceholderText(tr("sizes, e.g. 512, 256, 64 (empty: halving from the full size)"));
    dimRanges_ = new QLineEdit(params_);
    dimRanges_->setPlaceholderText(tr("ranges, e.g. 0-63, 64-127 (empty: four quarters)"));
    dimRepeats_ = new QSpinBox(params_);
    dimRepeats_->setRange(1, 1000);
    f->addRow(tr("Mode"), dimMode_);
    f->addRow(tr("Sizes"), dimSizes_);
    f->addRow(tr("Ranges"), dimRanges_);
    f->addRow(tr("Random draws"), dimRepeats_);
    page(f);  // precision
    precTarget_ = combo(params_, {{tr("the output vectors"), QStringLiteral("vectors")},
                                  {tr("the input embedding matrix"), QStringLiteral("embedding")}});
    auto* levels = new QWidget(params_);
    auto* ll = new QHBoxLayout(levels);
    ll->setContentsMargins(0, 0, 0, 0);
    precF32_ = new QCheckBox(QStringLiteral("f32"), levels);
    precBf16_ = new QCheckBox(QStringLiteral("bf16"), levels);
    precInt8_ = new QCheckBox(QStringLiteral("int8"), levels);
    precBinary_ = new QCheckBox(tr("binary"), levels);
    for (QCheckBox* c : {precF32_, precBf16_, precInt8_, precBinary_}) {
        c->setChecked(true);
        ll->addWidget(c);
    }
    f->addRow(tr("Of"), precTarget_);
    f->addRow(tr("Levels"), levels);
    page(f);  // tokens
    tokMode_ = combo(params_, {{tr("zero the rows"), QStringLiteral("zero")}, {tr("replace by the mean row"), QStringLiteral("mean")}});
    tokIds_ = new QLineEdit(params_);
    tokIds_->setPlaceholderText(tr("token ids, one setting each, e.g. 2, 106"));
    tokStrings_ = new QLineEdit(params_);
    tokStrings_->setPlaceholderText(tr("texts whose tokens form a setting, separated by ; e.g. ler;lar"));
    f->addRow(tr("Change"), tokMode_);
    f->addRow(tr("Ids"), tokIds_);
    f->addRow(tr("Texts"), tokStrings_);
    page(f);  // vocabulary
    vocCorpus_ = makePathEdit(params_, tr("corpus whose token counts rank the vocabulary"));
    vocKeep_ = new QLineEdit(params_);
    vocKeep_->setPlaceholderText(tr("sizes to keep, e.g. 1000, 8000, 32000"));
    vocMap_ = combo(params_, {{tr("the unknown token"), QStringLiteral("unk")}, {tr("the nearest kept token"), QStringLiteral("nearest")}});
    f->addRow(tr("Corpus"), vocCorpus_);
    f->addRow(tr("Keep"), vocKeep_);
    f->addRow(tr("Others become"), vocMap_);
    left->addRow(params_);

    for (int i = 0; i < 3; ++i) {
        auto* row = new QWidget(formBox);
        auto* h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        auto* task = new QComboBox(row);
        task->setObjectName(QStringLiteral("ablationMetricTask%1").arg(i));
        if (i > 0) task->addItem(tr("(none)"), QString());
        for (const QString& t : AblationJob::metricTasks()) task->addItem(t, t);
        auto* data = makePathEdit(row, tr("data file (folder for retrieval)"));
        data->setObjectName(QStringLiteral("ablationMetricData%1").arg(i));
        h->addWidget(task);
        h->addWidget(data, 1);
        metricTask_ << task;
        metricData_ << data;
        right->addRow(i == 0 ? tr("Metrics") : QString(), row);
    }
    auto* embedRow = new QWidget(formBox);
    auto* eh = new QHBoxLayout(embedRow);
    eh->setContentsMargins(0, 0, 0, 0);
    pooling_ = combo(embedRow, {{QStringLiteral("mean"), QStringLiteral("mean")}, {QStringLiteral("cls"), QStringLiteral("cls")},
                                {QStringLiteral("last"), QStringLiteral("last")}, {QStringLiteral("max"), QStringLiteral("max")}});
    layer_ = new QSpinBox(embedRow);
    layer_->setRange(-1000, 1000);
    layer_->setValue(-1);
    layer_->setToolTip(tr("hidden state to read (-1 = the last)"));
    normalize_ = new QCheckBox(tr("normalize"), embedRow);
    eh->addWidget(new QLabel(tr("pooling"), embedRow));
    eh->addWidget(pooling_);
    eh->addWidget(new QLabel(tr("layer"), embedRow));
    eh->addWidget(layer_);
    eh->addWidget(normalize_);
    eh->addStretch(1);
    right->addRow(tr("Vectors"), embedRow);
    seed_ = new QLineEdit(QStringLiteral("42"), formBox);
    seed_->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{1,15}")), seed_));
    right->addRow(tr("Seed"), seed_);
    sample_ = new QLineEdit(formBox);
    sample_->setPlaceholderText(tr("a prompt: a greedy sample per setting (causal models)"));
    right->addRow(tr("Sample"), sample_);
    auto* devRow = new QWidget(formBox);
    auto* dh = new QHBoxLayout(devRow);
    dh->setContentsMargins(0, 0, 0, 0);
    device_ = combo(devRow, {{QStringLiteral("cpu"), QStringLiteral("cpu")}, {QStringLiteral("cuda"), QStringLiteral("cuda")},
                             {QStringLiteral("mps"), QStringLiteral("mps")}});
    dtype_ = combo(devRow, {{QStringLiteral("f32"), QStringLiteral("f32")}, {QStringLiteral("bf16"), QStringLiteral("bf16")}});
    dh->addWidget(device_);
    dh->addWidget(dtype_);
    dh->addStretch(1);
    right->addRow(tr("Device"), devRow);
    out_ = makePathEdit(formBox, tr("output folder for results.json, results.csv and charts (optional)"));
    right->addRow(tr("Write to"), out_);

    auto* buttons = new QHBoxLayout;
    run_ = new QPushButton(tr("Run study"), formBox);
    run_->setObjectName(QStringLiteral("ablationRun"));
    cancel_ = new QPushButton(tr("Cancel"), formBox);
    cancel_->setEnabled(false);
    load_ = new QPushButton(tr("Load study…"), formBox);
    save_ = new QPushButton(tr("Save study…"), formBox);
    exportTable_ = new QPushButton(tr("Export table…"), formBox);
    exportChart_ = new QPushButton(tr("Export chart…"), formBox);
    for (QPushButton* b : {run_, cancel_, load_, save_, exportTable_, exportChart_}) buttons->addWidget(b);
    buttons->addStretch(1);
    progress_ = new QProgressBar(formBox);
    progress_->setRange(0, 1000);
    status_ = new QLabel(tr("Choose a model, a study and at least one metric with its data."), formBox);
    status_->setWordWrap(true);
    auto* formOuter = new QVBoxLayout;
    formOuter->addLayout(buttons);
    formOuter->addWidget(progress_);
    formOuter->addWidget(status_);
    right->addRow(formOuter);

    auto* results = new QSplitter(Qt::Horizontal, split);
    table_ = makeResultsTable(results, QStringLiteral("ablationTable"), 1);
    table_->horizontalHeader()->setResizeContentsPrecision(20);  // widths from 20 rows, not all
    auto* charts = new QStackedWidget(results);
    charts->setObjectName(QStringLiteral("ablationCharts"));
    chart_ = new QChartView(new QChart, charts);
    chart_->setObjectName(QStringLiteral("ablationChart"));
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumSize(320, 240);
    heatmap_ = new AblationHeatmap(charts);
    charts->addWidget(chart_);
    charts->addWidget(heatmap_);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);

    connect(type_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { typeChanged(); });
    connect(dimMode_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { typeChanged(); });
    typeChanged();
    connect(run_, &QPushButton::clicked, this, [this] { run(); });
    connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
    connect(load_, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Load a study"), QString(), tr("Study (*.json)"));
        if (!p.isEmpty()) loadStudyFile(p);
    });
    onClickSaveAs(save_, this, tr("Save the study"), QStringLiteral("study.json"), tr("Study (*.json)"),
                  [this](const QString& p) { saveStudyFile(p); });
    onClickSaveAs(exportTable_, this, tr("Export the results"), QStringLiteral("results.csv"),
                  tr("CSV (*.csv);;JSON (*.json)"), [this](const QString& p) {
                      QString err;
                      if (!exportTable(p, &err)) setStatus(tr("Could not export: %1").arg(err));
                  });
    onClickSaveAs(exportChart_, this, tr("Export the chart"), QStringLiteral("ablation.png"), imageFileFilter(),
                  [this](const QString& p) {
                      QString err;
                      if (!exportWidget(chartArea(), p, &err)) setStatus(tr("Could not export: %1").arg(err));
                  });
}

AblationView::~AblationView() {
    if (running_ && job_) runner_->cancel(job_->id());
}

void AblationView::typeChanged() {
    const QString t = type_->currentData().toString();
    const QStringList order = {QStringLiteral("heads"), QStringLiteral("layers"), QStringLiteral("dimensions"),
                               QStringLiteral("precision"), QStringLiteral("tokens"), QStringLiteral("vocabulary")};
    params_->setCurrentIndex(static_cast<int>(order.indexOf(t)));
    const QString m = dimMode_->currentData().toString();
    const bool ranges = m == QLatin1String("drop") || m == QLatin1String("zero");
    dimSizes_->setEnabled(!ranges);
    dimRanges_->setEnabled(ranges);
    dimRepeats_->setEnabled(m == QLatin1String("random"));
}

void AblationView::setCurrentModelFolder(const QString& dir) {
    if (model_->text().trimmed().isEmpty()) model_->setText(dir);
}

void AblationView::setStatus(const QString& s) { status_->setText(s); }
QString AblationView::statusText() const { return status_->text(); }

QWidget* AblationView::chartArea() const {
    return studyType_ == QLatin1String("heads") ? static_cast<QWidget*>(heatmap_) : static_cast<QWidget*>(chart_);
}

QJsonObject AblationView::study() const {
    // The study last loaded, with the form's fields laid over it: what the form does not show (the
    // tokenizer, the budget, a metric's options, metrics after the third, token sets, batch size, the
    // sample's length, a name) is kept as loaded.
    QJsonObject s = loaded_;
    const QString t = type_->currentData().toString();
    for (int i = 0; i < type_->count(); ++i)
        if (type_->itemData(i).toString() != t) s.remove(type_->itemData(i).toString());
    s[QStringLiteral("model")] = model_->text().trimmed();
    s[QStringLiteral("type")] = t;
    auto setOrRemove = [](QJsonObject& o, const QString& key, const QString& value, const QString& fallback) {
        if (value == fallback) o.remove(key);
        else o[key] = value;
    };
    setOrRemove(s, QStringLiteral("device"), device_->currentData().toString(), QStringLiteral("cpu"));
    setOrRemove(s, QStringLiteral("dtype"), dtype_->currentData().toString(), QStringLiteral("f32"));
    QJsonObject p = loaded_.value(QStringLiteral("type")).toString() == t ? loaded_.value(t).toObject() : QJsonObject();
    QJsonArray a;
    auto ints = [&](QLineEdit* e, const char* key) {
        const QString text = e->text().trimmed();
        if (text.isEmpty()) p.remove(QLatin1String(key));
        else if (parseInts(text, a)) p[QLatin1String(key)] = a;
        else p[QLatin1String(key)] = text;  // the parser names it
    };
    if (t == QLatin1String("heads")) {
        p[QStringLiteral("mode")] = headMode_->currentData().toString();
        ints(headLayers_, "layers");
        ints(headHeads_, "heads");
    } else if (t == QLatin1String("layers")) {
        p[QStringLiteral("mode")] = layerMode_->currentData().toString();
        ints(layerList_, "layers");
    } else if (t == QLatin1String("dimensions")) {
        const QString m = dimMode_->currentData().toString();
        p[QStringLiteral("mode")] = m;
        p.remove(QStringLiteral("repeats"));
        if (m == QLatin1String("drop") || m == QLatin1String("zero")) {
            p.remove(QStringLiteral("sizes"));
            const QString text = dimRanges_->text().trimmed();
            if (text.isEmpty()) p.remove(QStringLiteral("ranges"));
            else if (parseRanges(text, a)) p[QStringLiteral("ranges")] = a;
            else p[QStringLiteral("ranges")] = text;
        } else {
            p.remove(QStringLiteral("ranges"));
            ints(dimSizes_, "sizes");
            if (m == QLatin1String("random")) p[QStringLiteral("repeats")] = dimRepeats_->value();
        }
    } else if (t == QLatin1String("precision")) {
        p[QStringLiteral("target")] = precTarget_->currentData().toString();
        QJsonArray levels;
        for (QCheckBox* c : {precF32_, precBf16_, precInt8_, precBinary_})
            if (c->isChecked()) levels.append(c->text());
        p[QStringLiteral("levels")] = levels;
    } else if (t == QLatin1String("tokens")) {
        p[QStringLiteral("mode")] = tokMode_->currentData().toString();
        ints(tokIds_, "ids");
        QJsonArray strings;
        for (const QString& x : tokStrings_->text().split(QLatin1Char(';'), Qt::SkipEmptyParts))
            if (!x.trimmed().isEmpty()) strings.append(x.trimmed());
        if (strings.isEmpty()) p.remove(QStringLiteral("strings"));
        else p[QStringLiteral("strings")] = strings;
    } else if (t == QLatin1String("vocabulary")) {
        p[QStringLiteral("corpus")] = vocCorpus_->text().trimmed();
        ints(vocKeep_, "keep");
        p[QStringLiteral("map")] = vocMap_->currentData().toString();
    }
    s[t] = p;
    const QJsonArray loadedMetrics = loaded_.value(QStringLiteral("metrics")).toArray();
    QJsonArray metrics;
    for (int i = 0; i < metricTask_.size(); ++i) {
        const QString task = metricTask_[i]->currentData().toString();
        if (task.isEmpty()) continue;
        if (i > 0 && metricData_[i]->text().trimmed().isEmpty()) continue;
        QJsonObject m = loadedMetrics.at(i).toObject();
        if (m.value(QStringLiteral("task")).toString() != task) m = {};  // another task: its options do not apply
        m[QStringLiteral("task")] = task;
        m[QStringLiteral("data")] = metricData_[i]->text().trimmed();
        metrics.append(m);
    }
    for (qsizetype i = metricTask_.size(); i < loadedMetrics.size(); ++i) metrics.append(loadedMetrics.at(i));
    s[QStringLiteral("metrics")] = metrics;
    QJsonObject e = loaded_.value(QStringLiteral("embedding")).toObject();
    e[QStringLiteral("pooling")] = pooling_->currentData().toString();
    e[QStringLiteral("layer")] = layer_->value();
    e[QStringLiteral("normalize")] = normalize_->isChecked();
    s[QStringLiteral("embedding")] = e;
    s[QStringLiteral("seed")] = seed_->text().isEmpty() ? 42.0 : seed_->text().toDouble();
    if (sample_->text().trimmed().isEmpty()) {
        s.remove(QStringLiteral("sample"));
    } else {
        QJsonObject sp = loaded_.value(QStringLiteral("sample")).toObject();
        sp[QStringLiteral("prompt")] = sample_->text().trimmed();
        s[QStringLiteral("sample")] = sp;
    }
    return s;
}

bool AblationView::setStudy(const QJsonObject& original, const QString& baseDir) {
    // Paths relative to the study file's folder become absolute, in the form and in what it keeps.
    auto abs = [&](const QString& p) {
        if (p.isEmpty() || baseDir.isEmpty() || QFileInfo(p).isAbsolute()) return p;
        return QDir::cleanPath(QDir(baseDir).filePath(p));
    };
    QJsonObject in = original;
    if (in.value(QStringLiteral("model")).isString()) in[QStringLiteral("model")] = abs(in.value(QStringLiteral("model")).toString());
    if (in.value(QStringLiteral("tokenizer")).isString())
        in[QStringLiteral("tokenizer")] = abs(in.value(QStringLiteral("tokenizer")).toString());
    QJsonArray ms;
    for (const auto& v : in.value(QStringLiteral("metrics")).toArray()) {
        QJsonObject m = v.toObject();
        if (m.value(QStringLiteral("data")).isString()) m[QStringLiteral("data")] = abs(m.value(QStringLiteral("data")).toString());
        ms.append(v.isObject() ? QJsonValue(m) : v);
    }
    if (in.contains(QStringLiteral("metrics"))) in[QStringLiteral("metrics")] = ms;
    QJsonObject vb = in.value(QStringLiteral("vocabulary")).toObject();
    if (vb.value(QStringLiteral("corpus")).isString()) {
        vb[QStringLiteral("corpus")] = abs(vb.value(QStringLiteral("corpus")).toString());
        in[QStringLiteral("vocabulary")] = vb;
    }
    loaded_ = in;
    // The form shows what it can even when the engine's parser refuses the study (a half-filled form
    // restored from a session; a file with a mistake the user can see and correct).
    model_->setText(in.value(QStringLiteral("model")).toString());
    const QString t = in.value(QStringLiteral("type")).toString();
    type_->setCurrentIndex(std::max(0, type_->findData(t)));
    auto setCombo = [](QComboBox* c, const QString& v) {
        const int i = c->findData(v);
        if (i >= 0) c->setCurrentIndex(i);
    };
    auto listText = [](const QJsonValue& v) { return v.isString() ? v.toString() : joinInts(v.toArray()); };
    setCombo(device_, in.value(QStringLiteral("device")).toString(QStringLiteral("cpu")));
    setCombo(dtype_, in.value(QStringLiteral("dtype")).toString(QStringLiteral("f32")));
    const QJsonObject p = in.value(t).toObject();
    if (t == QLatin1String("heads")) {
        setCombo(headMode_, p.value(QStringLiteral("mode")).toString(QStringLiteral("zero")));
        headLayers_->setText(listText(p.value(QStringLiteral("layers"))));
        headHeads_->setText(listText(p.value(QStringLiteral("heads"))));
    } else if (t == QLatin1String("layers")) {
        setCombo(layerMode_, p.value(QStringLiteral("mode")).toString(QStringLiteral("skip")));
        layerList_->setText(listText(p.value(QStringLiteral("layers"))));
    } else if (t == QLatin1String("dimensions")) {
        setCombo(dimMode_, p.value(QStringLiteral("mode")).toString(QStringLiteral("prefix")));
        dimSizes_->setText(listText(p.value(QStringLiteral("sizes"))));
        QStringList r;
        for (const auto& x : p.value(QStringLiteral("ranges")).toArray())
            r << QStringLiteral("%1-%2").arg(x.toArray().at(0).toInteger()).arg(x.toArray().at(1).toInteger());
        dimRanges_->setText(p.value(QStringLiteral("ranges")).isString() ? p.value(QStringLiteral("ranges")).toString()
                                                                          : r.join(QStringLiteral(", ")));
        dimRepeats_->setValue(p.value(QStringLiteral("repeats")).toInt(1));
    } else if (t == QLatin1String("precision")) {
        setCombo(precTarget_, p.value(QStringLiteral("target")).toString(QStringLiteral("vectors")));
        const QJsonArray levels = p.value(QStringLiteral("levels")).toArray();
        for (QCheckBox* c : {precF32_, precBf16_, precInt8_, precBinary_})
            c->setChecked(levels.isEmpty() || levels.contains(c->text()));
    } else if (t == QLatin1String("tokens")) {
        setCombo(tokMode_, p.value(QStringLiteral("mode")).toString(QStringLiteral("zero")));
        tokIds_->setText(listText(p.value(QStringLiteral("ids"))));
        QStringList x;
        for (const auto& v : p.value(QStringLiteral("strings")).toArray()) x << v.toString();
        tokStrings_->setText(x.join(QStringLiteral("; ")));
    } else if (t == QLatin1String("vocabulary")) {
        vocCorpus_->setText(p.value(QStringLiteral("corpus")).toString());
        vocKeep_->setText(listText(p.value(QStringLiteral("keep"))));
        setCombo(vocMap_, p.value(QStringLiteral("map")).toString(QStringLiteral("unk")));
    }
    const QJsonArray metrics = in.value(QStringLiteral("metrics")).toArray();
    for (int i = 0; i < metricTask_.size(); ++i) {
        const QJsonObject m = metrics.at(i).toObject();
        if (i < metrics.size()) {
            setCombo(metricTask_[i], m.value(QStringLiteral("task")).toString());
            metricData_[i]->setText(m.value(QStringLiteral("data")).toString());
        } else {
            metricTask_[i]->setCurrentIndex(0);
            metricData_[i]->clear();
        }
    }
    const QJsonObject e = in.value(QStringLiteral("embedding")).toObject();
    setCombo(pooling_, e.value(QStringLiteral("pooling")).toString(QStringLiteral("mean")));
    layer_->setValue(e.value(QStringLiteral("layer")).toInt(-1));
    normalize_->setChecked(e.value(QStringLiteral("normalize")).toBool(false));
    seed_->setText(QString::number(in.value(QStringLiteral("seed")).toInteger(42)));
    sample_->setText(in.value(QStringLiteral("sample")).toObject().value(QStringLiteral("prompt")).toString());
    typeChanged();
    const QString err = AblationJob::checkStudy(study(), QDir::currentPath());
    if (!err.isEmpty()) {
        setStatus(tr("This study cannot run as it is: %1").arg(err));
        return false;
    }
    if (metrics.size() > metricTask_.size())
        setStatus(tr("Loaded; the form shows the first %1 of the study's %2 metrics (all of them run).")
                      .arg(metricTask_.size())
                      .arg(metrics.size()));
    else
        setStatus(tr("Study loaded."));
    return true;
}

bool AblationView::loadStudyFile(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        setStatus(tr("Cannot open %1.").arg(path));
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument d = QJsonDocument::fromJson(f.readAll(), &pe);
    if (!d.isObject()) {
        setStatus(tr("%1 is not a study file: %2").arg(path, pe.errorString()));
        return false;
    }
    return setStudy(d.object(), QFileInfo(path).absolutePath());
}

bool AblationView::saveStudyFile(const QString& path) {
    QString err;
    if (!saveTextAtomically(path, QJsonDocument(study()).toJson(QJsonDocument::Indented), &err)) {
        setStatus(tr("Could not save the study: %1").arg(err));
        return false;
    }
    setStatus(tr("Study saved to %1 (rerun it with: embedlab-cli ablate --study %1 --out DIR).").arg(path));
    return true;
}

void AblationView::cancel() {
    if (running_ && job_) runner_->cancel(job_->id());
}

JobId AblationView::run() {
    if (running_) return 0;
    const QJsonObject s = study();
    if (s.value(QStringLiteral("model")).toString().isEmpty()) {
        setStatus(tr("Choose a model folder (or select a model in Models)."));
        return 0;
    }
    if (s.value(QStringLiteral("metrics")).toArray().isEmpty() ||
        s.value(QStringLiteral("metrics")).toArray().at(0).toObject().value(QStringLiteral("data")).toString().isEmpty()) {
        setStatus(tr("Choose at least one metric and its data file."));
        return 0;
    }
    const QString err = AblationJob::checkStudy(s, QDir::currentPath());
    if (!err.isEmpty()) {
        setStatus(tr("The study is not valid: %1").arg(err));
        return 0;
    }
    rows_.clear();
    metricKeys_.clear();
    mainKeys_.clear();
    resultJson_.clear();
    resultCsv_.clear();
    studyType_ = s.value(QStringLiteral("type")).toString();
    headMode0_ = s.value(QStringLiteral("heads")).toObject().value(QStringLiteral("mode")).toString(QStringLiteral("zero"));
    dimMode0_ = s.value(QStringLiteral("dimensions")).toObject().value(QStringLiteral("mode")).toString(QStringLiteral("prefix"));
    if (auto* st = qobject_cast<QStackedWidget*>(heatmap_->parentWidget())) st->setCurrentWidget(chartArea());
    showRows();
    updateChart();
    jobObj_ = std::make_shared<AblationJob>(s, QDir::currentPath(), out_->text().trimmed());
    auto job = jobObj_;
    job_ = runner_->submit(job, {}, JobLane::Long);
    running_ = true;
    succeeded_ = false;
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    progress_->setValue(0);
    setStatus(tr("Running the baseline…"));
    connect(job_.get(), &JobHandle::progress, this, [this](double f, const QString& msg, double eta) {
        if (!running_) return;
        progress_->setValue(static_cast<int>(std::lround(1000 * f)));
        setStatus(eta > 0 ? tr("%1 — about %2 s left").arg(msg).arg(std::lround(eta)) : msg);
    });
    connect(job_.get(), &JobHandle::metric, this, [this, job](const QString& name, double, double) {
        if (name != QLatin1String("row")) return;
        const QVector<AblationRowView> all = job->rows();
        if (metricKeys_.isEmpty()) {
            metricKeys_ = job->metricKeys();
            mainKeys_ = job->mainKeys();
        }
        const int before = static_cast<int>(rows_.size());
        rows_ = all;
        showRows(/*appendOnly=*/true);
        updateChart();
        for (int i = before; i < rows_.size(); ++i) Q_EMIT rowAdded(i);
    });
    connect(job_.get(), &JobHandle::succeeded, this, [this, job] {
        succeeded_ = true;
        const QVector<AblationRowView> all = job->rows();
        const bool allShown = all.size() == rows_.size() && !metricKeys_.isEmpty();  // streamed row by row
        rows_ = all;
        metricKeys_ = job->metricKeys();
        mainKeys_ = job->mainKeys();
        resultJson_ = job->resultJson();
        resultCsv_ = job->resultCsv();
        if (!allShown) {
            showRows();
            updateChart();
        }
        progress_->setValue(1000);
        const QStringList files = job->filesWritten();
        setStatus(files.isEmpty() ? tr("Done: %1 settings after the baseline.").arg(rows_.size() - 1)
                                  : tr("Done: %1 settings after the baseline; written to %2.")
                                        .arg(rows_.size() - 1)
                                        .arg(QFileInfo(files.front()).absolutePath()));
    });
    connect(job_.get(), &JobHandle::failed, this, [this, job](const QString& m) {
        rows_ = job->rows();
        showRows();
        updateChart();
        setStatus(tr("Stopped: %1 (%2 rows kept)").arg(m).arg(rows_.size()));
    });
    connect(job_.get(), &JobHandle::cancelled, this, [this, job] {
        rows_ = job->rows();
        showRows();
        updateChart();
        setStatus(tr("Cancelled; the %1 rows finished are kept.").arg(rows_.size()));
    });
    connect(job_.get(), &JobHandle::finished, this, [this] {
        const bool ok = succeeded_;
        running_ = false;
        run_->setEnabled(true);
        cancel_->setEnabled(false);
        Q_EMIT finished(ok);
    });
    return job_->id();
}

void AblationView::showRows(bool appendOnly) {
    QStringList paramKeys;
    for (const auto& r : rows_)
        for (auto it = r.params.begin(); it != r.params.end(); ++it)
            if (!paramKeys.contains(it.key())) paramKeys << it.key();
    QStringList headers = {tr("setting")};
    headers << paramKeys << metricKeys_;
    for (const QString& k : mainKeys_) headers << QStringLiteral("Δ ") + k;
    headers << tr("memory") << tr("seconds") << tr("sentences/s");
    bool anySample = false;
    for (const auto& r : rows_) anySample = anySample || !r.sample.isEmpty();
    if (anySample) headers << tr("sample");
    // Rows stream in one at a time: with the same columns only the new rows are filled (a rebuild of
    // the whole table per row kept the UI thread busy > 50 ms near the end of a sweep).
    const bool sameColumns = appendOnly && headers == shownHeaders_ && table_->rowCount() <= rows_.size();
    int from = 0;
    if (sameColumns) {
        from = table_->rowCount();
    } else {
        table_->clear();
        table_->setColumnCount(static_cast<int>(headers.size()));
        table_->setHorizontalHeaderLabels(headers);
        shownHeaders_ = headers;
    }
    table_->setRowCount(static_cast<int>(rows_.size()));
    for (int i = from; i < rows_.size(); ++i) {
        const AblationRowView& r = rows_[i];
        int c = 0;
        auto put = [&](const QString& text) { table_->setItem(i, c++, new QTableWidgetItem(text)); };
        put(r.setting);
        for (const QString& k : paramKeys) {
            const QJsonValue v = r.params.value(k);
            put(v.isUndefined() ? QString() : v.isDouble() ? fmtValue(v.toDouble()) : v.isString() ? v.toString()
                                                            : QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)));
        }
        for (const QString& k : metricKeys_) {
            double v = kNaN;
            for (const auto& [key, x] : r.metrics)
                if (key == k) v = x;
            put(fmtValue(v));
        }
        for (const QString& k : mainKeys_) {
            const QJsonValue d = r.delta.value(k);
            put(i == 0 ? QString() : d.isDouble() ? QString::number(d.toDouble(), 'g', 4) : QStringLiteral("–"));
            if (i > 0 && d.isDouble() && d.toDouble() != 0.0) {
                // larger is better except for perplexity-like metrics
                const bool lowerBetter = k.endsWith(QLatin1String(".perplexity"));
                const double good = lowerBetter ? -d.toDouble() : d.toDouble();
                table_->item(i, c - 1)->setForeground(good < 0 ? QColor(180, 30, 30) : QColor(30, 120, 30));
            }
        }
        put(humanBytes(r.memoryBytes));
        put(QString::number(r.seconds, 'f', 2));
        put(r.sentencesPerSecond > 0 ? QString::number(r.sentencesPerSecond, 'f', 1) : QString());
        if (anySample) put(r.sample);
    }
    // Column widths from the first rows only (the header's sample), and only when the columns change
    // or the first rows arrive: measuring every cell of a long sweep each time was the cost.
    if (!sameColumns || from < 3) table_->resizeColumnsToContents();
}

void AblationView::updateChart() {
    const QString key = mainKeys_.value(0);
    if (studyType_ == QLatin1String("heads")) {
        QVector<qint64> ls, hs;
        for (int i = 1; i < rows_.size(); ++i) {
            const qint64 l = rows_[i].params.value(QStringLiteral("layer")).toInteger();
            const qint64 h = rows_[i].params.value(QStringLiteral("head")).toInteger();
            if (!ls.contains(l)) ls << l;
            if (!hs.contains(h)) hs << h;
        }
        std::sort(ls.begin(), ls.end());
        std::sort(hs.begin(), hs.end());
        QVector<QVector<double>> grid(ls.size(), QVector<double>(hs.size(), kNaN));
        for (int i = 1; i < rows_.size(); ++i) {
            const QJsonValue d = rows_[i].delta.value(key);
            grid[ls.indexOf(rows_[i].params.value(QStringLiteral("layer")).toInteger())]
                [hs.indexOf(rows_[i].params.value(QStringLiteral("head")).toInteger())] = d.isDouble() ? d.toDouble() : kNaN;
        }
        QStringList ln, hn;
        for (qint64 l : ls) ln << QString::number(l);
        for (qint64 h : hs) hn << QString::number(h);
        heatmap_->setData(grid, ln, hn, tr("Δ %1 when a head is %2-ablated").arg(key, headMode0_));
        return;
    }
    QChart* chart = chart_->chart();
    chart->removeAllSeries();
    for (QAbstractAxis* a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    if (rows_.size() < 2 || mainKeys_.isEmpty()) {
        chart->setTitle(tr("Each setting's metrics appear here as the sweep goes."));
        return;
    }
    // ranges (drop, zero) have no numeric axis: one point per setting, in order
    const bool ranges = studyType_ == QLatin1String("dimensions") &&
                        (dimMode0_ == QLatin1String("drop") || dimMode0_ == QLatin1String("zero"));
    const QString xKey = ranges                                      ? QString()
                         : studyType_ == QLatin1String("dimensions")   ? QStringLiteral("dims")
                         : studyType_ == QLatin1String("precision")  ? QStringLiteral("bits")
                         : studyType_ == QLatin1String("layers")     ? QStringLiteral("layer")
                         : studyType_ == QLatin1String("vocabulary") ? QStringLiteral("keep")
                                                                     : QString();
    auto* ax = new QValueAxis;
    ax->setTitleText(xKey.isEmpty() ? tr("setting (row)") : xKey);
    ax->setLabelFormat(QStringLiteral("%g"));
    auto* ay = new QValueAxis;
    ay->setTitleText(tr("metric"));
    chart->addAxis(ax, Qt::AlignBottom);
    chart->addAxis(ay, Qt::AlignLeft);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, xlo = lo, xhi = -lo;
    for (const QString& k : mainKeys_) {
        auto* line = new QLineSeries;
        line->setName(k);
        auto* points = new QScatterSeries;
        points->setMarkerSize(7);
        bool any = false;
        for (int i = 1; i < rows_.size(); ++i) {
            double y = kNaN;
            for (const auto& [key, v] : rows_[i].metrics)
                if (key == k) y = v;
            const double x = xKey.isEmpty() ? double(i) : rows_[i].params.value(xKey).toDouble();
            if (!std::isfinite(y)) continue;
            line->append(x, y);
            points->append(x, y);
            lo = std::min(lo, y), hi = std::max(hi, y), xlo = std::min(xlo, x), xhi = std::max(xhi, x);
            any = true;
        }
        if (!any) {
            delete line;
            delete points;
            continue;
        }
        chart->addSeries(line);
        chart->addSeries(points);
        points->setColor(line->color());
        line->attachAxis(ax);
        line->attachAxis(ay);
        points->attachAxis(ax);
        points->attachAxis(ay);
        chart->legend()->markers(points).value(0)->setVisible(false);
    }
    if (std::isfinite(lo)) {
        const double pad = hi > lo ? 0.05 * (hi - lo) : std::max(1e-3, std::abs(hi) * 0.05);
        ay->setRange(lo - pad, hi + pad);
        const double xpad = xhi > xlo ? 0.03 * (xhi - xlo) : 1.0;
        ax->setRange(xlo - xpad, xhi + xpad);
    }
    chart->setTitle(tr("%1 study: the main metrics per setting (baseline %2 = %3)")
                        .arg(studyType_, key, fmtValue([&] {
                                 for (const auto& [k, v] : rows_.front().metrics)
                                     if (k == key) return v;
                                 return kNaN;
                             }())));
}

bool AblationView::exportTable(const QString& path, QString* error) const {
    if (rows_.isEmpty()) {
        if (error) *error = tr("no results yet");
        return false;
    }
    if (path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) {
        QByteArray data = resultJson_.toUtf8();
        if (data.isEmpty()) {  // a stopped sweep: the rows it has
            QJsonArray rows;
            for (const auto& r : rows_) {
                QJsonObject m;
                for (const auto& [k, v] : r.metrics) m[k] = std::isfinite(v) ? QJsonValue(v) : QJsonValue();
                rows.append(QJsonObject{{QStringLiteral("index"), r.index}, {QStringLiteral("setting"), r.setting},
                                        {QStringLiteral("params"), r.params}, {QStringLiteral("metrics"), m},
                                        {QStringLiteral("delta"), r.delta}, {QStringLiteral("memory_bytes"), r.memoryBytes},
                                        {QStringLiteral("seconds"), r.seconds}});
            }
            data = QJsonDocument(QJsonObject{{QStringLiteral("study"), study()}, {QStringLiteral("rows"), rows}}).toJson();
        }
        return saveTextAtomically(path, data, error);
    }
    QByteArray csv = resultCsv_.toUtf8();
    if (csv.isEmpty()) {  // a stopped sweep: the table as shown
        QStringList lines;
        QStringList head;
        for (int c = 0; c < table_->columnCount(); ++c) head << table_->horizontalHeaderItem(c)->text();
        lines << head.join(QLatin1Char(','));
        for (int r = 0; r < table_->rowCount(); ++r) {
            QStringList cells;
            for (int c = 0; c < table_->columnCount(); ++c) {
                QString t = table_->item(r, c) ? table_->item(r, c)->text() : QString();
                if (t.contains(QLatin1Char(',')) || t.contains(QLatin1Char('"')) || t.contains(QLatin1Char('\n')))
                    t = QLatin1Char('"') + t.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
                cells << t;
            }
            lines << cells.join(QLatin1Char(','));
        }
        csv = lines.join(QLatin1Char('\n')).toUtf8() + '\n';
    }
    return saveTextAtomically(path, csv, error);
}

QJsonObject AblationView::saveSession() const {
    return {{QStringLiteral("study"), study()}, {QStringLiteral("out"), out_->text().trimmed()}};
}

void AblationView::restoreSession(const QJsonObject& state, SessionReport& report) {
    const QJsonObject s = state.value(QStringLiteral("study")).toObject();
    out_->setText(state.value(QStringLiteral("out")).toString());
    if (s.isEmpty()) return;
    const QString model = s.value(QStringLiteral("model")).toString();
    if (!model.isEmpty() && !QFileInfo::exists(model)) report.missing << model;
    setStudy(s);  // a half-filled form comes back as it was; the status says what is missing
}

}  // namespace embedlab
