#include "ui/evaluation/evaluation_panel.h"

#include "ui/common/result_widgets.h"
#include "ui/common/export.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace embedlab {

namespace {

const QStringList kFixed = {QStringLiteral("Model"), QStringLiteral("Task"), QStringLiteral("Data"),
                            QStringLiteral("Settings")};
const QStringList kCompute = {QStringLiteral("Sentences"), QStringLiteral("Sentences/s"),
                              QStringLiteral("Peak memory (MiB)"), QStringLiteral("Seconds")};

bool isCount(const QString& metric) {
    static const QStringList counts = {QStringLiteral("pairs"),   QStringLiteral("queries"), QStringLiteral("documents"),
                                       QStringLiteral("clusters"), QStringLiteral("points"),  QStringLiteral("train"),
                                       QStringLiteral("test"),     QStringLiteral("classes"), QStringLiteral("tokens"),
                                       QStringLiteral("windows")};
    return counts.contains(metric);
}

QString formatMetric(const QString& name, double v) {
    if (isCount(name)) return QString::number(static_cast<qint64>(std::llround(v)));
    if (name == QLatin1String("perplexity")) return QString::number(v, 'f', 3);
    return QString::number(v, 'f', 4);
}

QString csvField(QString s) {
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')))
        s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    return s;
}

QString taskTitle(const QString& t) {
    if (t == QLatin1String("sts")) return QObject::tr("STS (Spearman, Pearson)");
    if (t == QLatin1String("bitext")) return QObject::tr("Bitext mining (F1, accuracy)");
    if (t == QLatin1String("retrieval")) return QObject::tr("Retrieval (nDCG@10, MRR@10, recall@k)");
    if (t == QLatin1String("clustering")) return QObject::tr("Clustering (V-measure)");
    if (t == QLatin1String("classification")) return QObject::tr("Classification (accuracy, F1)");
    if (t == QLatin1String("perplexity")) return QObject::tr("Perplexity (causal LMs)");
    if (t == QLatin1String("morph")) return QObject::tr("Morphology: the tokenizer's boundary hit, root intact");
    return t;
}

}  // namespace

EvaluationPanel::EvaluationPanel(JobRunner* runner, EvaluationRows* rows, QWidget* parent)
    : QWidget(parent), runner_(runner), rows_(rows ? rows : new EvaluationRows(this)) {
    setObjectName(QStringLiteral("evaluationPanel"));
    connect(rows_, &EvaluationRows::rowAdded, this, &EvaluationPanel::rowAdded);
    connect(rows_, &EvaluationRows::rowsReset, this, &EvaluationPanel::rowsReset);
    auto* outer = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split, 1);

    // ---- left: task, data, models, settings
    auto* left = new QWidget(split);
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    auto* taskBox = new QGroupBox(tr("Task"), left);
    auto* tf = new QFormLayout(taskBox);
    task_ = new QComboBox(taskBox);
    task_->setObjectName(QStringLiteral("taskCombo"));
    for (const QString& t : EvaluateJob::tasks()) task_->addItem(taskTitle(t), t);
    tf->addRow(tr("Task"), task_);
    auto* dataRow = new QHBoxLayout;
    data_ = new QLineEdit(taskBox);
    data_->setObjectName(QStringLiteral("dataPath"));
    data_->setPlaceholderText(tr("s1<TAB>s2<TAB>score (.tsv)"));
    auto* browse = new QPushButton(tr("Browse…"), taskBox);
    dataRow->addWidget(data_, 1);
    dataRow->addWidget(browse);
    tf->addRow(tr("Data"), dataRow);
    ll->addWidget(taskBox);

    auto* modelBox = new QGroupBox(tr("Models"), left);
    auto* ml = new QVBoxLayout(modelBox);
    modelList_ = new QListWidget(modelBox);
    modelList_->setObjectName(QStringLiteral("evalModels"));
    modelList_->setMaximumHeight(130);
    ml->addWidget(modelList_);
    ll->addWidget(modelBox);

    auto* setBox = new QGroupBox(tr("Settings"), left);
    auto* sf = new QFormLayout(setBox);
    pooling_ = new QComboBox(setBox);
    for (const char* p : {"mean", "cls", "last", "max"}) pooling_->addItem(QString::fromLatin1(p), QString::fromLatin1(p));
    layer_ = new QSpinBox(setBox);
    layer_->setRange(-1, 256);
    layer_->setValue(-1);
    layer_->setSpecialValueText(tr("last"));
    normalize_ = new QCheckBox(tr("L2-normalize"), setBox);
    normalize_->setChecked(true);
    seed_ = new QSpinBox(setBox);
    seed_->setRange(0, 1 << 30);
    seed_->setValue(42);
    minScore_ = new QDoubleSpinBox(setBox);
    maxScore_ = new QDoubleSpinBox(setBox);
    for (QDoubleSpinBox* s : {minScore_, maxScore_}) {
        s->setRange(-1000, 1000);
        s->setDecimals(2);
    }
    minScore_->setValue(0);
    maxScore_->setValue(5);
    maxLength_ = new QSpinBox(setBox);
    maxLength_->setRange(0, 1 << 20);
    maxLength_->setSpecialValueText(tr("model's"));
    stride_ = new QSpinBox(setBox);
    stride_->setRange(0, 1 << 20);
    stride_->setSpecialValueText(tr("half"));
    sf->addRow(tr("Pooling"), pooling_);
    sf->addRow(tr("Layer"), layer_);
    sf->addRow(QString(), normalize_);
    sf->addRow(tr("Seed"), seed_);
    auto* range = new QHBoxLayout;
    range->addWidget(minScore_);
    range->addWidget(new QLabel(QStringLiteral("…"), setBox));
    range->addWidget(maxScore_);
    sf->addRow(tr("STS score range"), range);
    sf->addRow(tr("Perplexity window"), maxLength_);
    sf->addRow(tr("Perplexity stride"), stride_);
    ll->addWidget(setBox);
    auto* runRow = new QHBoxLayout;
    runButton_ = new QPushButton(tr("Run"), left);
    runButton_->setObjectName(QStringLiteral("runEvalButton"));
    cancelButton_ = new QPushButton(tr("Cancel"), left);
    runRow->addWidget(runButton_);
    runRow->addWidget(cancelButton_);
    ll->addLayout(runRow);
    progress_ = new QProgressBar(left);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    ll->addWidget(progress_);
    ll->addStretch(1);

    // ---- right: table + charts
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Results (rows = model × task)"), right), 1);
    auto* csv = new QPushButton(tr("Export CSV…"), right);
    auto* json = new QPushButton(tr("Export JSON…"), right);
    auto* chart = new QPushButton(tr("Export chart…"), right);
    auto* clear = new QPushButton(tr("Clear"), right);
    for (QPushButton* b : {csv, json, chart, clear}) bar->addWidget(b);
    rl->addLayout(bar);
    table_ = makeResultsTable(right, QStringLiteral("evalResults"), 0);
    table_->verticalHeader()->setVisible(false);
    rl->addWidget(table_, 2);
    const ChartRow charts = makeChartRow(right, QStringLiteral("evalChartArea"), 2, 240);
    chartArea_ = charts.area;
    metricView_ = charts.views[0];
    perplexityView_ = charts.views[1];
    metricView_->chart()->setTitle(tr("Main metric per model"));
    perplexityView_->setVisible(false);
    rl->addWidget(chartArea_, 3);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);

    status_ = new QLabel(tr("Load models, choose a task and its data, then Run."), this);
    status_->setObjectName(QStringLiteral("evaluationStatus"));
    status_->setWordWrap(true);
    outer->addWidget(status_);

    // ---- wiring
    connect(task_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        const QString t = task();
        static const QHash<QString, QString> hints = {
            {QStringLiteral("sts"), tr("s1<TAB>s2<TAB>score (.tsv)")},
            {QStringLiteral("bitext"), tr("src<TAB>tgt (.tsv)")},
            {QStringLiteral("retrieval"), tr("folder with queries.tsv, corpus.tsv, qrels.tsv")},
            {QStringLiteral("clustering"), tr("text<TAB>label (.tsv)")},
            {QStringLiteral("classification"), tr("text<TAB>label<TAB>train|test (.tsv)")},
            {QStringLiteral("perplexity"), tr("plain text, one paragraph per line")},
            {QStringLiteral("morph"), tr("gold treebank: word<TAB>root+POS+tags lines")}};
        data_->setPlaceholderText(hints.value(t));
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        QString f;
        if (task() == QLatin1String("retrieval"))
            f = QFileDialog::getExistingDirectory(this, tr("Retrieval data folder"));
        else
            f = QFileDialog::getOpenFileName(this, tr("Task data"), QString(),
                                             tr("Data (*.tsv *.txt *.tab);;All files (*)"));
        if (!f.isEmpty()) setDataPath(f);
    });
    connect(runButton_, &QPushButton::clicked, this, [this] { run(); });
    connect(cancelButton_, &QPushButton::clicked, this, &EvaluationPanel::cancel);
    connect(clear, &QPushButton::clicked, this, &EvaluationPanel::clearResults);
    onClickSaveAs(csv, this, tr("Export results"), QStringLiteral("evaluation.csv"), tr("CSV (*.csv)"),
                  [this](const QString& f) { exportCsv(f); });
    onClickSaveAs(json, this, tr("Export results"), QStringLiteral("evaluation.json"), tr("JSON (*.json)"),
                  [this](const QString& f) { exportJson(f); });
    onClickSaveAs(chart, this, tr("Export chart"), QStringLiteral("evaluation.png"), imageFileFilter(),
                  [this](const QString& f) { exportChart(f); });

    rebuildTable();
    cancelButton_->setEnabled(false);
}

void EvaluationPanel::clearModels() {
    models_.clear();
    modelList_->clear();
}

void EvaluationPanel::addModel(ModelSessionPtr session, const ModelInfo& info) {
    models_.push_back({std::move(session), info});
    auto* item = new QListWidgetItem(QStringLiteral("%1 (%2, %3)").arg(info.name, info.architecture, info.dtype), modelList_);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
    item->setToolTip(info.path);
}

void EvaluationPanel::updateModel(int index, const ModelInfo& info) {
    if (index < 0 || index >= models_.size()) return;
    models_[index].info = info;
    modelList_->item(index)->setText(QStringLiteral("%1 (%2, %3)").arg(info.name, info.architecture, info.dtype));
}

void EvaluationPanel::setModelChecked(int index, bool checked) {
    if (index >= 0 && index < modelList_->count())
        modelList_->item(index)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

void EvaluationPanel::setTask(const QString& t) {
    const int i = task_->findData(t);
    if (i >= 0) task_->setCurrentIndex(i);
}
QString EvaluationPanel::task() const { return task_->currentData().toString(); }
void EvaluationPanel::setDataPath(const QString& path) { data_->setText(path); }
QString EvaluationPanel::dataPath() const { return data_->text().trimmed(); }

void EvaluationPanel::setEvalParams(const EvalParams& p) {
    pooling_->setCurrentIndex(std::max(0, pooling_->findData(p.embed.pooling)));
    layer_->setValue(p.embed.layer);
    normalize_->setChecked(p.embed.normalize);
    seed_->setValue(static_cast<int>(p.seed));
    minScore_->setValue(p.minScore);
    maxScore_->setValue(p.maxScore);
    maxLength_->setValue(p.maxLength);
    stride_->setValue(p.stride);
}

EvalParams EvaluationPanel::evalParams() const {
    EvalParams p;
    p.embed.pooling = pooling_->currentData().toString();
    p.embed.layer = layer_->value();
    p.embed.normalize = normalize_->isChecked();
    p.seed = static_cast<quint64>(seed_->value());
    p.minScore = minScore_->value();
    p.maxScore = maxScore_->value();
    p.maxLength = maxLength_->value();
    p.stride = stride_->value();
    return p;
}

QJsonObject EvaluationPanel::saveSession() const {
    const EvalParams p = evalParams();
    return {{QStringLiteral("task"), task()},
            {QStringLiteral("data"), dataPath()},
            {QStringLiteral("pooling"), p.embed.pooling},
            {QStringLiteral("layer"), p.embed.layer},
            {QStringLiteral("normalize"), p.embed.normalize},
            {QStringLiteral("seed"), QString::number(p.seed)},
            {QStringLiteral("min_score"), p.minScore},
            {QStringLiteral("max_score"), p.maxScore},
            {QStringLiteral("max_length"), p.maxLength},
            {QStringLiteral("stride"), p.stride},
            {QStringLiteral("status"), status_->text()},
            {QStringLiteral("status_error"), !status_->styleSheet().isEmpty()},
            {QStringLiteral("progress"), progress_->value()},
            {QStringLiteral("progress_format"), progress_->format()}};
}

void EvaluationPanel::restoreSession(const QJsonObject& state, SessionReport& report) {
    cancel();
    if (state.isEmpty()) {
        setStatus(QString());
        progress_->setValue(0);
        progress_->setFormat(QStringLiteral("%p%"));
        return;
    }
    setTask(state.value(QStringLiteral("task")).toString(QStringLiteral("sts")));
    const QString data = state.value(QStringLiteral("data")).toString();
    setDataPath(data);
    if (!data.isEmpty() && !QFileInfo::exists(data)) report.missing << tr("evaluation data %1").arg(data);
    EvalParams p = evalParams();
    p.embed.pooling = state.value(QStringLiteral("pooling")).toString(p.embed.pooling);
    p.embed.layer = state.value(QStringLiteral("layer")).toInt(p.embed.layer);
    p.embed.normalize = state.value(QStringLiteral("normalize")).toBool(p.embed.normalize);
    p.seed = state.value(QStringLiteral("seed")).toString().toULongLong();
    p.minScore = state.value(QStringLiteral("min_score")).toDouble(p.minScore);
    p.maxScore = state.value(QStringLiteral("max_score")).toDouble(p.maxScore);
    p.maxLength = state.value(QStringLiteral("max_length")).toInt(p.maxLength);
    p.stride = state.value(QStringLiteral("stride")).toInt(p.stride);
    setEvalParams(p);
    // A session saved before the rows moved to the workspace keeps them here: nothing is evaluated again.
    if (rows_->size() == 0 && state.value(QStringLiteral("rows")).isArray())
        rows_->restore(state.value(QStringLiteral("rows")).toArray(), &report.problems);
    // The view as it was left: the status line and the progress bar of the last run.
    setStatus(state.value(QStringLiteral("status")).toString(), state.value(QStringLiteral("status_error")).toBool());
    progress_->setValue(state.value(QStringLiteral("progress")).toInt(0));
    progress_->setFormat(state.value(QStringLiteral("progress_format")).toString(QStringLiteral("%p%")));
}

QVector<JobId> EvaluationPanel::run() {
    QVector<JobId> ids;
    const QString data = dataPath();
    if (data.isEmpty()) {
        setStatus(tr("Choose the task's data file (a folder for retrieval)."), true);
        return ids;
    }
    if (!QFileInfo::exists(data)) {
        setStatus(tr("%1 does not exist.").arg(data), true);
        return ids;
    }
    int checked = 0;
    for (int i = 0; i < models_.size(); ++i) {
        if (modelList_->item(i)->checkState() != Qt::Checked) continue;
        ++checked;
        // Evaluations run in the long lane: the map, search and generation stay responsive meanwhile.
        auto job = std::make_shared<EvaluateJob>(models_[i].session, models_[i].info.name, task(), data, evalParams());
        const JobHandlePtr h = runner_->submit(job, {}, JobLane::Long);
        JobHandle* raw = h.get();
        connect(raw, &JobHandle::progress, this, [this](double f, const QString& msg, double) {
            progress_->setValue(static_cast<int>(std::clamp(f, 0.0, 1.0) * 1000));
            progress_->setFormat(msg);
        });
        connect(raw, &JobHandle::succeeded, this, [this, job] { rows_->add(job->row); });
        connect(raw, &JobHandle::failed, this, [this, name = h->name()](const QString& message) {
            ++failures_;
            setStatus(QStringLiteral("%1: %2").arg(name, message), true);
            Q_EMIT failed(message);
        });
        connect(raw, &JobHandle::cancelled, this, [this] { setStatus(tr("Evaluation cancelled.")); });
        connect(raw, &JobHandle::finished, this, [this, raw] { jobEnded(raw); });
        pending_.push_back(h);
        ids << h->id();
    }
    if (checked == 0) {
        setStatus(models_.isEmpty() ? tr("Load a model in the Models panel first.") : tr("Check at least one model."), true);
        return ids;
    }
    failures_ = 0;
    progress_->setValue(0);
    runButton_->setEnabled(false);
    cancelButton_->setEnabled(true);
    setStatus(tr("Evaluating %1 on %2 model(s)…").arg(task()).arg(checked));
    return ids;
}

void EvaluationPanel::cancel() {
    for (const JobHandlePtr& h : pending_) h->cancel();
}

void EvaluationPanel::jobEnded(JobHandle* handle) {
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(), [handle](const JobHandlePtr& h) { return h.get() == handle; }),
                   pending_.end());
    if (!pending_.isEmpty()) return;
    runButton_->setEnabled(true);
    cancelButton_->setEnabled(false);
    progress_->setValue(1000);
    progress_->setFormat(QStringLiteral("%p%"));
    if (failures_ == 0 && rows_->size() > 0) {
        const EvalRow& r = rows_->rows().last();
        setStatus(tr("Done: %1 %2 = %3 (%4).").arg(r.task, r.main, formatMetric(r.main, r.mainValue), r.model));
    }
    Q_EMIT runFinished();
}

void EvaluationPanel::rowAdded(int index) {
    // The columns follow the rows (a replaced row's metrics go with it), as after a restore.
    metricColumns_ = rows_->metricNames();
    rebuildTable();
    rebuildCharts();
    Q_EMIT resultAdded(index);
}

void EvaluationPanel::rowsReset() {
    metricColumns_ = rows_->metricNames();
    rebuildTable();
    rebuildCharts();
}

void EvaluationPanel::clearResults() { rows_->clear(); }

void EvaluationPanel::rebuildTable() {
    const QStringList headers = kFixed + metricColumns_ + kCompute;
    table_->clear();
    table_->setColumnCount(headers.size());
    table_->setHorizontalHeaderLabels(headers);
    table_->setRowCount(rows_->rows().size());
    for (int r = 0; r < rows_->rows().size(); ++r) {
        const EvalRow& e = rows_->rows()[r];
        int c = 0;
        auto set = [&](const QString& text, const QVariant& value = {}, bool bold = false) {
            auto* item = new QTableWidgetItem(text);
            if (value.isValid()) item->setData(Qt::UserRole, value);
            if (bold) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            table_->setItem(r, c++, item);
        };
        set(e.model);
        set(e.task);
        set(QFileInfo(e.data).fileName());
        table_->item(r, 2)->setToolTip(e.data);
        set(e.settings);
        for (const QString& m : metricColumns_) {
            bool has = false;
            double v = 0;
            for (const auto& kv : e.metrics)
                if (kv.first == m) {
                    has = true;
                    v = kv.second;
                }
            set(has ? formatMetric(m, v) : QString(), has ? QVariant(v) : QVariant(), has && m == e.main);
        }
        set(QString::number(e.sentences), e.sentences);
        set(QString::number(e.sentencesPerSecond, 'f', 1), e.sentencesPerSecond);
        set(e.peakRssBytes >= 0 ? QString::number(e.peakRssBytes / 1048576.0, 'f', 1) : tr("n/a"), e.peakRssBytes);
        set(QString::number(e.seconds, 'f', 3), e.seconds);
    }
}

void EvaluationPanel::rebuildCharts() {
    // One grouped bar chart of the main metrics in [0, 1] (one set per model, one category per
    // task), and perplexity on its own axis.
    QStringList models, tasks;
    bool anyPpl = false;
    for (const auto& r : rows_->rows()) {
        if (!models.contains(r.model)) models << r.model;
        if (r.task == QLatin1String("perplexity")) anyPpl = true;
        else if (!tasks.contains(r.task)) tasks << r.task;
    }
    auto build = [&](QChartView* view, const QStringList& cats, bool ppl) {
        auto* chart = new QChart;
        QStringList mains;
        for (const QString& t : cats) mains << t + QStringLiteral(": ") + EvaluateJob::mainMetric(t);
        chart->setTitle(ppl ? tr("Perplexity per model — lower is better")
                            : tr("Main metric per model") +
                                  (mains.isEmpty() ? QString() : QStringLiteral(" (") + mains.join(QStringLiteral(", ")) +
                                                                     QLatin1Char(')')));
        auto* series = new QBarSeries;
        double maxY = 1.0;
        for (const QString& m : models) {
            auto* set = new QBarSet(m);
            bool any = false;
            for (const QString& t : cats) {
                double v = 0;
                for (const auto& r : rows_->rows())
                    if (r.model == m && r.task == t) {
                        v = r.mainValue;
                        any = true;
                    }
                *set << v;
                maxY = std::max(maxY, v);
            }
            if (any) series->append(set);
            else delete set;
        }
        series->setLabelsVisible(true);
        series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
        series->setLabelsPrecision(ppl ? 5 : 3);
        for (QBarSet* s : series->barSets()) s->setLabelColor(palette().windowText().color());
        chart->addSeries(series);
        auto* x = new QBarCategoryAxis;
        QStringList labels;
        for (const QString& t : cats) labels << t;
        x->append(labels);
        auto* y = new QValueAxis;
        double lo = 0;
        for (const auto& r : rows_->rows())
            if ((r.task == QLatin1String("perplexity")) == ppl) lo = std::min(lo, r.mainValue);
        y->setRange(lo < 0 ? std::max(-1.0, lo * 1.15) : 0.0, ppl ? maxY * 1.15 : std::max(1.0, maxY));
        if (ppl) y->applyNiceNumbers();
        else y->setTickCount(lo < 0 ? 11 : 6);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        series->attachAxis(x);
        series->attachAxis(y);
        chart->legend()->setAlignment(Qt::AlignBottom);
        QChart* old = view->chart();
        view->setChart(chart);
        delete old;
    };
    build(metricView_, tasks, false);
    metricView_->setVisible(!tasks.isEmpty() || !anyPpl);
    if (anyPpl) build(perplexityView_, {QStringLiteral("perplexity")}, true);
    perplexityView_->setVisible(anyPpl);
}

bool EvaluationPanel::exportCsv(const QString& path, QString* error) {
    QStringList header = {QStringLiteral("model"), QStringLiteral("model_path"), QStringLiteral("task"),
                          QStringLiteral("data"), QStringLiteral("settings"), QStringLiteral("main_metric"),
                          QStringLiteral("main_value")};
    header += metricColumns_;
    header += {QStringLiteral("sentences"), QStringLiteral("sentences_per_second"), QStringLiteral("peak_rss_bytes"),
               QStringLiteral("seconds"), QStringLiteral("embed_seconds")};
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + "\n";
    for (const auto& r : rows_->rows()) {
        QStringList cells = {csvField(r.model), csvField(r.modelPath), r.task, csvField(r.data), csvField(r.settings),
                             r.main, QString::number(r.mainValue, 'g', 17)};
        for (const QString& m : metricColumns_) {
            QString v;
            for (const auto& kv : r.metrics)
                if (kv.first == m) v = QString::number(kv.second, 'g', 17);
            cells << v;
        }
        cells << QString::number(r.sentences) << QString::number(r.sentencesPerSecond, 'g', 10)
              << QString::number(r.peakRssBytes) << QString::number(r.seconds, 'g', 10)
              << QString::number(r.embedSeconds, 'g', 10);
        out += cells.join(QLatin1Char(',')).toUtf8() + "\n";
    }
    QString err;
    const bool ok = saveTextAtomically(path, out, &err);
    if (!ok) setStatus(err, true);
    if (error) *error = err;
    return ok;
}

bool EvaluationPanel::exportJson(const QString& path, QString* error) {
    QJsonArray rows;
    for (const auto& r : rows_->rows()) {
        QJsonObject metrics;
        for (const auto& kv : r.metrics) metrics.insert(kv.first, kv.second);
        rows.append(QJsonObject{{"model", r.model},
                                {"model_path", r.modelPath},
                                {"task", r.task},
                                {"data", r.data},
                                {"settings", r.settings},
                                {"main_metric", r.main},
                                {"main_value", r.mainValue},
                                {"metrics", metrics},
                                {"sentences", r.sentences},
                                {"sentences_per_second", r.sentencesPerSecond},
                                {"peak_rss_bytes", r.peakRssBytes},
                                {"seconds", r.seconds},
                                {"embed_seconds", r.embedSeconds}});
    }
    const QByteArray out = QJsonDocument(QJsonObject{{"format", "embedlab-evaluation"}, {"results", rows}}).toJson();
    QString err;
    const bool ok = saveTextAtomically(path, out, &err);
    if (!ok) setStatus(err, true);
    if (error) *error = err;
    return ok;
}

bool EvaluationPanel::exportChart(const QString& path, QString* error) {
    QString err;
    const bool ok = exportWidget(chartArea_, path, &err);
    if (!ok) setStatus(err, true);
    if (error) *error = err;
    return ok;
}

QString EvaluationPanel::statusText() const { return status_->text(); }

void EvaluationPanel::setStatus(const QString& text, bool error) {
    status_->setText(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

}  // namespace embedlab
