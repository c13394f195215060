#include "ui/training/static_view.h"

#include "ui/common/result_widgets.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace embedlab {

namespace {


QSpinBox* spin(QWidget* parent, int lo, int hi, int value) {
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
}

}  // namespace

StaticEmbeddingsView::StaticEmbeddingsView(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("staticEmbeddingsView"));
    auto* outer = new QHBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split);

    auto* box = new QGroupBox(tr("Static embeddings (skip-gram with character n-grams)"), split);
    auto* form = new QFormLayout(box);
    corpus_ = makePathEdit(box, tr("corpus: text, CSV/TSV or JSONL, one record per line"));
    units_ = new QComboBox(box);
    units_->addItem(tr("words"), QStringLiteral("words"));
    units_->addItem(tr("a tokenizer's pieces"), QStringLiteral("tokenizer"));
    tokenizer_ = makePathEdit(box, tr("tokenizer (for pieces): tokenizer.json, .model or a seed-format folder"));
    subwords_ = new QLineEdit(QStringLiteral("3-6"), box);
    subwords_->setToolTip(tr("character n-gram lengths MIN-MAX, or none"));
    dim_ = spin(box, 1, 4096, 100);
    epochs_ = spin(box, 1, 1000, 5);
    window_ = spin(box, 1, 100, 5);
    negatives_ = spin(box, 0, 100, 5);
    minCount_ = spin(box, 1, 1000000, 5);
    lr_ = new QDoubleSpinBox(box);
    lr_->setDecimals(4);
    lr_->setRange(0.0001, 10);
    lr_->setSingleStep(0.005);
    lr_->setValue(0.05);
    seed_ = spin(box, 0, std::numeric_limits<int>::max(), 1);
    oov_ = makePathEdit(box, tr("words to add from their n-grams (optional, one per line)"));
    out_ = makePathEdit(box, tr("output: FILE.vec (text), FILE.bin (binary) or …vectors.tsv (map, with metadata)"));
    gold_ = makePathEdit(box, tr("treebank: each word's part of speech in the .tsv metadata (optional)"));
    form->addRow(tr("Corpus"), corpus_);
    form->addRow(tr("Units"), units_);
    form->addRow(tr("Tokenizer"), tokenizer_);
    form->addRow(tr("Subwords"), subwords_);
    form->addRow(tr("Dimension"), dim_);
    form->addRow(tr("Epochs"), epochs_);
    form->addRow(tr("Window"), window_);
    form->addRow(tr("Negatives"), negatives_);
    form->addRow(tr("Min count"), minCount_);
    form->addRow(tr("Learning rate"), lr_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("Out-of-vocabulary words"), oov_);
    form->addRow(tr("Output"), out_);
    form->addRow(tr("POS from treebank"), gold_);
    auto* buttons = new QHBoxLayout;
    run_ = new QPushButton(tr("Train"), box);
    run_->setObjectName(QStringLiteral("staticRun"));
    cancel_ = new QPushButton(tr("Cancel"), box);
    cancel_->setEnabled(false);
    map_ = new QPushButton(tr("Show on the map"), box);
    map_->setEnabled(false);
    buttons->addWidget(run_);
    buttons->addWidget(cancel_);
    buttons->addWidget(map_);
    form->addRow(buttons);
    progress_ = new QProgressBar(box);
    progress_->setRange(0, 1000);
    status_ = new QLabel(tr("Choose a corpus and an output file."), box);
    status_->setWordWrap(true);
    result_ = new QLabel(box);
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(progress_);
    form->addRow(status_);
    form->addRow(result_);

    auto* chart = new QChart;
    chart->setTitle(tr("Training loss (mean logistic loss per target)"));
    chart->legend()->hide();
    series_ = new QLineSeries;
    chart->addSeries(series_);
    auto* ax = new QValueAxis;
    ax->setTitleText(tr("units processed"));
    ax->setLabelFormat(QStringLiteral("%.3g"));
    auto* ay = new QValueAxis;
    ay->setTitleText(tr("loss"));
    chart->addAxis(ax, Qt::AlignBottom);
    chart->addAxis(ay, Qt::AlignLeft);
    series_->attachAxis(ax);
    series_->attachAxis(ay);
    chart_ = new QChartView(chart, split);
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumWidth(360);
    split->setStretchFactor(1, 2);

    const auto unitsChanged = [this] { tokenizer_->setEnabled(units_->currentData().toString() == QLatin1String("tokenizer")); };
    connect(units_, qOverload<int>(&QComboBox::currentIndexChanged), this, unitsChanged);
    unitsChanged();
    connect(run_, &QPushButton::clicked, this, [this] { start(); });
    connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
    connect(map_, &QPushButton::clicked, this, [this] {
        if (!written_.isEmpty()) Q_EMIT showOnMap(written_);
    });
}

StaticParams StaticEmbeddingsView::params() const {
    StaticParams p;
    p.corpus = corpus_->text().trimmed();
    p.units = units_->currentData().toString() == QLatin1String("tokenizer")
                  ? QStringLiteral("tokenizer:") + tokenizer_->text().trimmed()
                  : QStringLiteral("words");
    p.subwords = subwords_->text().trimmed();
    p.dim = dim_->value();
    p.epochs = epochs_->value();
    p.window = window_->value();
    p.negatives = negatives_->value();
    p.minCount = minCount_->value();
    p.lr = lr_->value();
    p.seed = static_cast<quint64>(seed_->value());
    p.oovWords = oov_->text().trimmed();
    p.outPath = out_->text().trimmed();
    p.gold = gold_->text().trimmed();
    p.buckets = buckets_;
    p.threads = threads_;
    return p;
}

void StaticEmbeddingsView::setParams(const StaticParams& p) {
    corpus_->setText(p.corpus);
    const bool tok = p.units.startsWith(QLatin1String("tokenizer:"));
    units_->setCurrentIndex(tok ? 1 : 0);
    tokenizer_->setText(tok ? p.units.mid(10) : QString());
    subwords_->setText(p.subwords);
    dim_->setValue(p.dim);
    epochs_->setValue(p.epochs);
    window_->setValue(p.window);
    negatives_->setValue(p.negatives);
    minCount_->setValue(static_cast<int>(std::min<qint64>(p.minCount, 1000000)));
    lr_->setValue(p.lr);
    seed_->setValue(static_cast<int>(p.seed));
    oov_->setText(p.oovWords);
    out_->setText(p.outPath);
    gold_->setText(p.gold);
    buckets_ = p.buckets;
    threads_ = p.threads;
}

void StaticEmbeddingsView::setStatus(const QString& s) { status_->setText(s); }
QString StaticEmbeddingsView::statusText() const { return status_->text(); }
QString StaticEmbeddingsView::resultText() const { return result_->text(); }
// The view's own state: true from start() until the job's outcome has been shown (the handle turns
// inactive on the job's thread a moment before its outcome signal arrives here).
bool StaticEmbeddingsView::running() const { return running_; }

void StaticEmbeddingsView::cancel() {
    if (running_ && job_) runner_->cancel(job_->id());
}

JobId StaticEmbeddingsView::start() {
    if (running()) return 0;
    const StaticParams p = params();
    if (p.corpus.isEmpty() || p.outPath.isEmpty()) {
        setStatus(tr("Choose a corpus and an output file (.vec or .bin)."));
        return 0;
    }
    if (p.units == QLatin1String("tokenizer:")) {
        setStatus(tr("Choose the tokenizer whose pieces are the units."));
        return 0;
    }
    auto job = std::make_shared<TrainStaticJob>(p);
    job_ = runner_->submit(job, {}, JobLane::Long);
    running_ = true;
    loss_.clear();
    redrawLoss();
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    progress_->setValue(0);
    result_->clear();
    setStatus(tr("Training…"));
    connect(job_.get(), &JobHandle::progress, this, [this](double f, const QString& msg, double) {
        if (!running()) return;  // a progress event that arrives after the outcome does not overwrite it
        progress_->setValue(static_cast<int>(std::lround(1000 * f)));
        setStatus(msg);
    });
    connect(job_.get(), &JobHandle::metric, this, [this](const QString& name, double step, double value) {
        if (name != QLatin1String("loss") || !std::isfinite(value)) return;
        loss_.push_back({step, value});
        series_->append(step, value);  // one point; the axes follow
        redrawLoss(false);
    });
    connect(job_.get(), &JobHandle::succeeded, this, [this, job] {
        progress_->setValue(1000);
        written_ = job->params().outPath;
        map_->setEnabled(true);
        setStatus(tr("Written to %1 in %2 s.").arg(written_).arg(job->seconds, 0, 'f', 1));
        result_->setText(tr("%1 words read, %2 units in the vocabulary%3; %4 words/s; final loss %5.")
                             .arg(job->words)
                             .arg(job->vocab)
                             .arg(job->oovWritten > 0 ? tr(" (+ %1 out-of-vocabulary words)").arg(job->oovWritten) : QString())
                             .arg(job->wordsPerSecond, 0, 'f', 0)
                             .arg(job->finalLoss, 0, 'f', 3));
        Q_EMIT trained(written_);
    });
    connect(job_.get(), &JobHandle::failed, this, [this](const QString& m) {
        setStatus(tr("Failed: %1").arg(m));
        Q_EMIT trainingFailed(m);
    });
    connect(job_.get(), &JobHandle::cancelled, this, [this] { setStatus(tr("Cancelled; nothing was written.")); });
    connect(job_.get(), &JobHandle::finished, this, [this] {
        running_ = false;
        run_->setEnabled(true);
        cancel_->setEnabled(false);
    });
    return job_->id();
}

void StaticEmbeddingsView::redrawLoss(bool replaceSeries) {
    if (replaceSeries) series_->replace(QList<QPointF>(loss_.begin(), loss_.end()));
    auto* ax = qobject_cast<QValueAxis*>(chart_->chart()->axes(Qt::Horizontal).value(0));
    auto* ay = qobject_cast<QValueAxis*>(chart_->chart()->axes(Qt::Vertical).value(0));
    if (!ax || !ay) return;
    if (loss_.isEmpty()) {
        ax->setRange(0, 1);
        ay->setRange(0, 1);
        return;
    }
    if (replaceSeries || loss_.size() == 1) {
        lossLo_ = lossHi_ = loss_.front().y();
        for (const QPointF& p : loss_) {
            lossLo_ = std::min(lossLo_, p.y());
            lossHi_ = std::max(lossHi_, p.y());
        }
    } else {
        lossLo_ = std::min(lossLo_, loss_.back().y());
        lossHi_ = std::max(lossHi_, loss_.back().y());
    }
    const double lo = lossLo_, hi = lossHi_;
    const double pad = std::max(1e-3, 0.05 * (hi - lo));
    ax->setRange(0, std::max(1.0, loss_.back().x()));
    ay->setRange(std::max(0.0, lo - pad), hi + pad);
}

QJsonObject StaticEmbeddingsView::saveSession() const {
    const StaticParams p = params();
    return {{QStringLiteral("corpus"), p.corpus},       {QStringLiteral("units"), p.units},
            {QStringLiteral("subwords"), p.subwords},   {QStringLiteral("dim"), p.dim},
            {QStringLiteral("epochs"), p.epochs},       {QStringLiteral("window"), p.window},
            {QStringLiteral("negatives"), p.negatives}, {QStringLiteral("min_count"), p.minCount},
            {QStringLiteral("lr"), p.lr},               {QStringLiteral("seed"), static_cast<qint64>(p.seed)},
            {QStringLiteral("oov_words"), p.oovWords},  {QStringLiteral("out"), p.outPath},
            {QStringLiteral("buckets"), p.buckets},     {QStringLiteral("threads"), p.threads},
            {QStringLiteral("gold"), p.gold},
            {QStringLiteral("written"), written_}};
}

void StaticEmbeddingsView::restoreSession(const QJsonObject& st, SessionReport& report) {
    StaticParams p;
    p.corpus = st.value(QStringLiteral("corpus")).toString();
    p.units = st.value(QStringLiteral("units")).toString(QStringLiteral("words"));
    p.subwords = st.value(QStringLiteral("subwords")).toString(QStringLiteral("3-6"));
    p.dim = st.value(QStringLiteral("dim")).toInt(100);
    p.epochs = st.value(QStringLiteral("epochs")).toInt(5);
    p.window = st.value(QStringLiteral("window")).toInt(5);
    p.negatives = st.value(QStringLiteral("negatives")).toInt(5);
    p.minCount = st.value(QStringLiteral("min_count")).toInteger(5);
    p.lr = st.value(QStringLiteral("lr")).toDouble(0.05);
    p.seed = static_cast<quint64>(st.value(QStringLiteral("seed")).toInteger(1));
    p.oovWords = st.value(QStringLiteral("oov_words")).toString();
    p.outPath = st.value(QStringLiteral("out")).toString();
    p.buckets = st.value(QStringLiteral("buckets")).toInteger(2000000);
    p.gold = st.value(QStringLiteral("gold")).toString();
    p.threads = st.value(QStringLiteral("threads")).toInt(0);
    setParams(p);
    written_ = st.value(QStringLiteral("written")).toString();
    if (!written_.isEmpty() && !QFileInfo::exists(written_)) {
        report.missing << written_;
        written_.clear();
    }
    map_->setEnabled(!written_.isEmpty());
    loss_.clear();
    redrawLoss();
    result_->clear();
    setStatus(written_.isEmpty() ? tr("Choose a corpus and an output file.") : tr("Last written: %1").arg(written_));
}

}  // namespace embedlab
