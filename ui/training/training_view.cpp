#include "ui/training/training_view.h"

#include "app/bridge/engine_info.h"
#include "ui/common/export.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace embedlab {

namespace {

QSpinBox* spin(QWidget* parent, const char* name, int lo, int hi, int value) {
    auto* s = new QSpinBox(parent);
    s->setObjectName(QString::fromLatin1(name));
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
}

QDoubleSpinBox* dspin(QWidget* parent, const char* name, double lo, double hi, double value, int decimals) {
    auto* s = new QDoubleSpinBox(parent);
    s->setObjectName(QString::fromLatin1(name));
    s->setDecimals(decimals);
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
}

QComboBox* combo(QWidget* parent, const char* name, const QStringList& items) {
    auto* c = new QComboBox(parent);
    c->setObjectName(QString::fromLatin1(name));
    c->addItems(items);
    return c;
}

QLineEdit* edit(QWidget* parent, const char* name, const QString& placeholder) {
    auto* e = new QLineEdit(parent);
    e->setObjectName(QString::fromLatin1(name));
    e->setPlaceholderText(placeholder);
    return e;
}

QString humanSeconds(double s) {
    if (s < 90) return QObject::tr("%1 s").arg(s, 0, 'f', 0);
    if (s < 5400) return QObject::tr("%1 min").arg(s / 60, 0, 'f', 0);
    return QObject::tr("%1 h").arg(s / 3600, 0, 'f', 1);
}

}  // namespace

TrainingView::TrainingView(JobRunner* runner, TrainingRuns* runs, QWidget* parent)
    : QWidget(parent), runner_(runner), runs_(runs ? runs : new TrainingRuns(this)) {
    setObjectName(QStringLiteral("trainingView"));
    setAcceptDrops(true);
    auto* outer = new QHBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split);

    // ---- the form ----
    auto* scroll = new QScrollArea(split);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // the form wraps to the pane's width
    scroll->setMinimumWidth(360);
    auto* form = new QWidget(scroll);
    auto* fl = new QVBoxLayout(form);
    auto* what = new QGroupBox(tr("Model and data"), form);
    auto* wf = new QFormLayout(what);
    source_ = combo(what, "trainSource", {tr("Model folder"), tr("Preset (random init)"), tr("Config file (random init)")});
    modelPath_ = edit(what, "trainModelPath", tr("the Models panel's current model, or a folder"));
    preset_ = combo(what, "trainPreset", {});
    for (const QString& n : engineModelPresets()) preset_->addItem(n);
    configPath_ = edit(what, "trainConfigPath", tr("config.json of a new model"));
    tokenizer_ = edit(what, "trainTokenizer", tr("default: the model folder's"));
    data_ = edit(what, "trainData", tr("drop a corpus here (contrastive: anchor<TAB>positive)"));
    evalData_ = edit(what, "trainEvalData", tr("default: the corpus's last 5%"));
    outDir_ = edit(what, "trainOutDir", tr("where the model and checkpoints go"));
    wf->addRow(tr("Start from"), source_);
    wf->addRow(tr("Folder"), modelPath_);
    wf->addRow(tr("Preset"), preset_);
    wf->addRow(tr("Config"), configPath_);
    wf->addRow(tr("Tokenizer"), tokenizer_);
    wf->addRow(tr("Corpus"), data_);
    wf->addRow(tr("Held-out"), evalData_);
    wf->addRow(tr("Output"), outDir_);
    fl->addWidget(what);

    auto* how = new QGroupBox(tr("Objective and hyper-parameters"), form);
    auto* hf = new QFormLayout(how);
    objective_ = combo(how, "trainObjective", {QStringLiteral("lm"), QStringLiteral("mlm"), QStringLiteral("contrastive")});
    train_ = combo(how, "trainGroups", {QStringLiteral("all"), QStringLiteral("embeddings"), QStringLiteral("embeddings+head"),
                                        QStringLiteral("layers")});
    layers_ = edit(how, "trainLayers", tr("layers, e.g. 0,1 or 2-5"));
    steps_ = spin(how, "trainSteps", 1, 10000000, 200);
    batch_ = spin(how, "trainBatch", 1, 4096, 8);
    seqLen_ = spin(how, "trainSeqLen", 2, 131072, 128);
    accum_ = spin(how, "trainAccum", 1, 1024, 1);
    optimizer_ = combo(how, "trainOptimizer", {QStringLiteral("adamw"), QStringLiteral("sgd")});
    lr_ = dspin(how, "trainLr", 1e-7, 10.0, 5e-4, 7);
    weightDecay_ = dspin(how, "trainWeightDecay", 0, 10, 0.01, 4);
    warmup_ = spin(how, "trainWarmup", 0, 1000000, 10);
    schedule_ = combo(how, "trainSchedule", {QStringLiteral("cosine"), QStringLiteral("linear"), QStringLiteral("constant")});
    clip_ = dspin(how, "trainClip", 0, 1000, 1.0, 3);
    temperature_ = dspin(how, "trainTemperature", 0.001, 10, 0.05, 3);
    pooling_ = combo(how, "trainPooling", {QStringLiteral("mean"), QStringLiteral("cls"), QStringLiteral("last"), QStringLiteral("max")});
    matryoshka_ = edit(how, "trainMatryoshka", tr("e.g. 768,256,64 (contrastive)"));
    dtype_ = combo(how, "trainDtype", {QStringLiteral("f32"), QStringLiteral("bf16")});
    evalEvery_ = spin(how, "trainEvalEvery", 0, 1000000, 50);
    saveEvery_ = spin(how, "trainSaveEvery", 0, 1000000, 100);
    sampleEvery_ = spin(how, "trainSampleEvery", 0, 1000000, 50);
    // Local data-parallel ranks (embedlab-cli launch): lm and mlm on the CPU; the batch above stays
    // the global batch and must split evenly.
    ranks_ = spin(how, "trainRanks", 1, 64, 1);
    hf->addRow(tr("Objective"), objective_);
    hf->addRow(tr("Train"), train_);
    hf->addRow(tr("Layers"), layers_);
    hf->addRow(tr("Steps"), steps_);
    hf->addRow(tr("Batch size"), batch_);
    hf->addRow(tr("Sequence length"), seqLen_);
    hf->addRow(tr("Gradient accumulation"), accum_);
    hf->addRow(tr("Optimizer"), optimizer_);
    hf->addRow(tr("Learning rate"), lr_);
    hf->addRow(tr("Weight decay"), weightDecay_);
    hf->addRow(tr("Warmup steps"), warmup_);
    hf->addRow(tr("Schedule"), schedule_);
    hf->addRow(tr("Clip (0 = off)"), clip_);
    hf->addRow(tr("Temperature"), temperature_);
    hf->addRow(tr("Pooling"), pooling_);
    hf->addRow(tr("Matryoshka"), matryoshka_);
    hf->addRow(tr("Precision"), dtype_);
    hf->addRow(tr("Ranks"), ranks_);
    hf->addRow(tr("Evaluate every"), evalEvery_);
    hf->addRow(tr("Checkpoint every"), saveEvery_);
    hf->addRow(tr("Sample every"), sampleEvery_);
    fl->addWidget(how);

    estimate_ = new QLabel(tr("Estimate: —"), form);
    estimate_->setObjectName(QStringLiteral("trainEstimate"));
    estimate_->setWordWrap(true);
    fl->addWidget(estimate_);
    auto* buttons = new QHBoxLayout;
    start_ = new QPushButton(tr("Start"), form);
    start_->setObjectName(QStringLiteral("trainStart"));
    pause_ = new QPushButton(tr("Pause"), form);
    pause_->setObjectName(QStringLiteral("trainPause"));
    cancel_ = new QPushButton(tr("Cancel"), form);
    cancel_->setObjectName(QStringLiteral("trainCancel"));
    resumeCkpt_ = new QPushButton(tr("Resume from checkpoint…"), form);
    resumeCkpt_->setObjectName(QStringLiteral("trainResumeCheckpoint"));
    for (QPushButton* b : {start_, pause_, cancel_, resumeCkpt_}) buttons->addWidget(b);
    fl->addLayout(buttons);
    fl->addStretch(1);
    scroll->setWidget(form);
    split->addWidget(scroll);

    // ---- what a person watches ----
    auto* watch = new QWidget(split);
    auto* vl = new QVBoxLayout(watch);
    auto* runRow = new QHBoxLayout;
    runList_ = new QComboBox(watch);
    runList_->setObjectName(QStringLiteral("trainRuns"));
    runList_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    runList_->setToolTip(tr("The workspace's training runs; the charts, samples and log show the chosen one."));
    runRow->addWidget(new QLabel(tr("Run"), watch));
    runRow->addWidget(runList_, 1);
    vl->addLayout(runRow);
    status_ = new QLabel(tr("Not started."), watch);
    status_->setObjectName(QStringLiteral("trainStatus"));
    progress_ = new QProgressBar(watch);
    progress_->setObjectName(QStringLiteral("trainProgress"));
    progress_->setRange(0, 1000);
    auto* chart = new QChart;
    chart->setTitle(tr("Loss"));
    chart->legend()->setAlignment(Qt::AlignBottom);
    lossSeries_ = new QLineSeries;
    lossSeries_->setName(tr("training loss"));
    evalSeries_ = new QLineSeries;
    evalSeries_->setName(tr("held-out loss"));
    evalSeries_->setPointsVisible(true);
    auto* x = new QValueAxis;
    x->setTitleText(tr("step"));
    x->setLabelFormat(QStringLiteral("%g"));
    auto* y = new QValueAxis;
    y->setTitleText(tr("cross-entropy"));
    y->setLabelFormat(QStringLiteral("%.3g"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QLineSeries* s : {lossSeries_, evalSeries_}) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    chart_ = new QChartView(chart, watch);
    chart_->setObjectName(QStringLiteral("trainChart"));
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumHeight(260);
    samples_ = new QPlainTextEdit(watch);
    samples_->setObjectName(QStringLiteral("trainSamples"));
    samples_->setReadOnly(true);
    samples_->setPlaceholderText(tr("Sample generations (causal LMs) appear here."));
    auto* exports = new QHBoxLayout;
    exportChart_ = new QPushButton(tr("Export chart…"), watch);
    exportChart_->setObjectName(QStringLiteral("trainExportChart"));
    exportLog_ = new QPushButton(tr("Export log (CSV)…"), watch);
    exportLog_->setObjectName(QStringLiteral("trainExportLog"));
    exports->addWidget(exportChart_);
    exports->addWidget(exportLog_);
    exports->addStretch(1);
    vl->addWidget(status_);
    vl->addWidget(progress_);
    vl->addWidget(chart_, 3);
    vl->addWidget(new QLabel(tr("Samples"), watch));
    vl->addWidget(samples_, 1);
    vl->addLayout(exports);
    split->addWidget(watch);
    split->setStretchFactor(1, 1);

    auto sourceChanged = [this] {
        const int s = source_->currentIndex();
        modelPath_->setEnabled(s == 0);
        preset_->setEnabled(s == 1);
        configPath_->setEnabled(s == 2);
    };
    connect(source_, &QComboBox::currentIndexChanged, this, sourceChanged);
    sourceChanged();
    connect(train_, &QComboBox::currentIndexChanged, this, [this] { layers_->setEnabled(train_->currentText() == QLatin1String("layers")); });
    layers_->setEnabled(false);
    connect(runList_, &QComboBox::activated, this, [this](int i) { showRun(runList_->itemData(i).toInt()); });
    connect(runs_, &TrainingRuns::runAdded, this, [this] { refreshRunList(); });
    connect(runs_, &TrainingRuns::runFinished, this, [this](int id) {
        refreshRunList();
        if (id == shownRun_ && id != liveRun_) showRun(id);
    });
    connect(runs_, &TrainingRuns::metricAdded, this, &TrainingView::onMetric);
    connect(runs_, &TrainingRuns::sampleAdded, this, [this](int id, const QString& line) {
        if (id == shownRun_) samples_->appendPlainText(line);
    });
    connect(runs_, &TrainingRuns::runsReset, this, [this] {
        // The runs were replaced (a session opened, the workspace cleared): a run still training would
        // have nowhere to report, so it stops here (its checkpoints stay; Resume from checkpoint…).
        if (liveRun_ && job_ && job_->isActive()) job_->cancel();
        liveRun_ = 0;
        refreshRunList();
        showRun(runs_->count() ? runs_->at(runs_->count() - 1).id : 0);
    });
    refreshRunList();
    if (runs_->count()) showRun(runs_->at(runs_->count() - 1).id);
    connect(start_, &QPushButton::clicked, this, [this] { start(); });
    connect(pause_, &QPushButton::clicked, this, [this] { paused() ? resume() : pause(); });
    connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
    connect(resumeCkpt_, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Resume from a training folder or checkpoint"), outDir_->text());
        if (!dir.isEmpty()) resumeFrom(dir);
    });
    onClickSaveAs(exportChart_, this, tr("Export the loss chart"), QStringLiteral("training-loss.png"), imageFileFilter(),
                  [this](const QString& p) {
                      QString err;
                      if (!exportChart(p, &err)) status_->setText(err);
                  });
    onClickSaveAs(exportLog_, this, tr("Export the training log"), QStringLiteral("training-log.csv"), tr("CSV (*.csv)"),
                  [this](const QString& p) {
                      QString err;
                      if (!exportLog(p, &err)) status_->setText(err);
                  });
    // The estimate follows what changes it.
    for (QComboBox* c : {source_, preset_, objective_, train_, optimizer_})
        connect(c, &QComboBox::currentIndexChanged, this, [this] { refreshEstimate(); });
    connect(objective_, &QComboBox::currentIndexChanged, this, [this] { updateRanks(); });
    for (QSpinBox* s : {batch_, seqLen_, accum_, steps_, ranks_})
        connect(s, &QSpinBox::valueChanged, this, [this] { refreshEstimate(); });
    for (QLineEdit* e : {modelPath_, configPath_, layers_})
        connect(e, &QLineEdit::editingFinished, this, [this] { refreshEstimate(); });
    updateButtons();
}

TrainParams TrainingView::params() const {
    TrainParams p;
    p.objective = objective_->currentText();
    switch (source_->currentIndex()) {
    case 0: p.modelDir = modelPath_->text().trimmed().isEmpty() ? currentModel_ : modelPath_->text().trimmed(); break;
    case 1: p.preset = preset_->currentText(); break;
    default: p.initConfig = configPath_->text().trimmed(); break;
    }
    p.tokenizer = tokenizer_->text().trimmed();
    p.data = data_->text().trimmed();
    p.evalData = evalData_->text().trimmed();
    p.outDir = outDir_->text().trimmed();
    p.steps = steps_->value();
    p.batchSize = batch_->value();
    p.seqLen = seqLen_->value();
    p.gradAccum = accum_->value();
    p.optimizer = optimizer_->currentText();
    p.lr = lr_->value();
    p.weightDecay = weightDecay_->value();
    p.warmup = warmup_->value();
    p.schedule = schedule_->currentText();
    p.clip = clip_->value();
    p.train = train_->currentText() == QLatin1String("layers") ? QStringLiteral("layers:") + layers_->text().trimmed()
                                                               : train_->currentText();
    p.temperature = temperature_->value();
    p.pooling = pooling_->currentText();
    p.matryoshka = matryoshka_->text().trimmed();
    p.dtype = dtype_->currentText();
    p.evalEvery = evalEvery_->value();
    p.saveEvery = saveEvery_->value();
    p.sampleEvery = sampleEvery_->value();
    p.device = device_.isEmpty() ? engineBestDevice() : device_;
    p.ranks = ranksApply() ? ranks_->value() : 1;
    return p;
}

void TrainingView::setParams(const TrainParams& p) {
    objective_->setCurrentText(p.objective);
    if (!p.preset.isEmpty()) {
        source_->setCurrentIndex(1);
        preset_->setCurrentText(p.preset);
    } else if (!p.initConfig.isEmpty()) {
        source_->setCurrentIndex(2);
        configPath_->setText(p.initConfig);
    } else {
        source_->setCurrentIndex(0);
        modelPath_->setText(p.modelDir);
    }
    tokenizer_->setText(p.tokenizer);
    data_->setText(p.data);
    evalData_->setText(p.evalData);
    outDir_->setText(p.outDir);
    steps_->setValue(p.steps);
    batch_->setValue(p.batchSize);
    seqLen_->setValue(p.seqLen);
    accum_->setValue(p.gradAccum);
    optimizer_->setCurrentText(p.optimizer);
    lr_->setValue(p.lr);
    weightDecay_->setValue(p.weightDecay);
    warmup_->setValue(p.warmup);
    schedule_->setCurrentText(p.schedule);
    clip_->setValue(p.clip);
    if (p.train.startsWith(QLatin1String("layers:"))) {
        train_->setCurrentText(QStringLiteral("layers"));
        layers_->setText(p.train.mid(7));
    } else {
        train_->setCurrentText(p.train);
    }
    temperature_->setValue(p.temperature);
    pooling_->setCurrentText(p.pooling);
    matryoshka_->setText(p.matryoshka);
    dtype_->setCurrentText(p.dtype);
    evalEvery_->setValue(p.evalEvery);
    saveEvery_->setValue(p.saveEvery);
    sampleEvery_->setValue(p.sampleEvery);
    ranks_->setValue(p.ranks);
    updateRanks();
}

bool TrainingView::ranksApply() const {
    // Ranks cover lm and mlm (a token mean the ranks split exactly) on the CPU (c10d's Gloo).
    const QString dev = device_.isEmpty() ? engineBestDevice() : device_;
    return objective_->currentText() != QLatin1String("contrastive") && dev == QLatin1String("cpu");
}

void TrainingView::updateRanks() {
    const bool can = ranksApply();
    ranks_->setEnabled(can && !running());  // a run's ranks stay what it started with
    ranks_->setToolTip(can ? tr("Run as N local processes, data parallel: each takes batch ÷ N rows of every step and 1/N "
                                "of the cores; the result equals one process's run")
                           : tr("Data-parallel ranks run lm and mlm on the CPU"));
}

void TrainingView::setCurrentModelFolder(const QString& dir) {
    currentModel_ = dir;
    modelPath_->setPlaceholderText(dir.isEmpty() ? tr("a model folder") : dir);
    refreshEstimate();
}

void TrainingView::setCorpus(const QString& path) {
    data_->setText(path);
    if (outDir_->text().isEmpty())
        outDir_->setText(QFileInfo(path).absolutePath() + QStringLiteral("/") + QFileInfo(path).completeBaseName() +
                         QStringLiteral("-trained"));
}

void TrainingView::refreshEstimate() {
    TrainParams p = params();
    if (p.modelDir.isEmpty() && p.preset.isEmpty() && p.initConfig.isEmpty()) return;
    auto job = std::make_shared<EstimateTrainingJob>(p);
    estimateJob_ = runner_->submit(job, QStringLiteral("training-estimate"));
    const int steps = p.steps;
    connect(estimateJob_.get(), &JobHandle::succeeded, this, [this, job, steps] {
        lastEstimate_ = job->result;
        haveEstimate_ = true;
        const TrainEstimate& e = job->result;
        QString text = tr("Estimate: %1 parameters (%2 trained); memory %3%4; about %5 per step, %6 for %7 steps")
                           .arg(e.parameters)
                           .arg(e.trainable)
                           .arg(e.describe)
                           .arg(e.availableMb > 0 ? tr(" of %1 MB available").arg(e.availableMb, 0, 'f', 0) : QString())
                           .arg(humanSeconds(e.secondsPerStep))
                           .arg(humanSeconds(e.secondsPerStep * steps))
                           .arg(steps);
        if (!e.fits) text += tr(" — does not fit: lower the batch size or sequence length, or train fewer groups");
        estimate_->setText(text);
        Q_EMIT estimateReady();
    });
    connect(estimateJob_.get(), &JobHandle::failed, this, [this](const QString& m) {
        haveEstimate_ = false;
        estimate_->setText(tr("Estimate: %1").arg(m));
        Q_EMIT estimateReady();
    });
}

QString TrainingView::estimateText() const { return estimate_->text(); }

JobId TrainingView::start() {
    TrainParams p = params();
    if (p.ranks > 1 && p.batchSize % p.ranks != 0) {
        status_->setText(tr("Refused: the batch of %1 does not split over %2 ranks — choose a multiple of %2").arg(p.batchSize).arg(p.ranks));
        return 0;
    }
    if (haveEstimate_ && !lastEstimate_.fits) {
        status_->setText(tr("Refused: %1").arg(lastEstimate_.describe) + tr(" does not fit in %1 MB").arg(lastEstimate_.availableMb, 0, 'f', 0));
        return 0;
    }
    return launch(p);
}

JobId TrainingView::resumeFrom(const QString& checkpointDir) {
    TrainParams p = params();
    p.resumeDir = checkpointDir;
    if (p.outDir.isEmpty()) p.outDir = QFileInfo(checkpointDir).fileName().startsWith(QLatin1String("checkpoint-"))
                                           ? QFileInfo(checkpointDir).absolutePath()
                                           : checkpointDir;
    outDir_->setText(p.outDir);
    return launch(p);
}

JobId TrainingView::launch(TrainParams p) {
    if (running()) return 0;
    auto job = std::make_shared<TrainJob>(p);
    job_ = runner_->submit(job, {}, JobLane::Long);
    QJsonObject form = saveSession();
    form.remove(QStringLiteral("shown_run"));
    const int run = runs_->begin(form, p.outDir, p.resumeDir);
    liveStatus_ = tr("Starting…");
    liveProgress_ = 0;
    liveRun_ = run;
    showRun(run);
    connect(job_.get(), &JobHandle::progress, this, [this, run](double f, const QString& msg, double eta) {
        if (liveRun_ != run) return;
        liveProgress_ = static_cast<int>(std::lround(1000 * f));
        liveStatus_ = eta >= 0 ? tr("%1 — ETA %2").arg(msg, humanSeconds(eta)) : msg;
        if (shownRun_ != run) return;
        progress_->setValue(liveProgress_);
        status_->setText(liveStatus_);
    });
    connect(job_.get(), &JobHandle::metric, this,
            [this, run](const QString& name, double step, double value) { runs_->addMetric(run, name, step, value); });
    connect(job_.get(), &JobHandle::logLine, this, [this, run](const QString& line) {
        // Lines come prefixed with the task's stage ("training: sample at step 20: …").
        const int at = line.indexOf(QLatin1String("sample at step"));
        if (at >= 0) runs_->addSample(run, line.mid(at));
    });
    auto end = [this, run](TrainingRun::State state, const QString& text) {
        if (liveRun_ == run) liveRun_ = 0;
        runs_->finish(run, state, text);
        if (shownRun_ == run) {
            status_->setText(text);
            if (state == TrainingRun::State::Done) progress_->setValue(1000);
        }
    };
    connect(job_.get(), &JobHandle::succeeded, this, [this, job, end] {
        const TrainSummary& r = job->result;
        end(TrainingRun::State::Done, tr("Done: %1 steps, loss %2%3, %4 tokens/s — %5")
                                          .arg(r.steps)
                                          .arg(r.finalLoss, 0, 'f', 4)
                                          .arg(r.evalPpl > 0 ? tr(", held-out perplexity %1").arg(r.evalPpl, 0, 'f', 2) : QString())
                                          .arg(r.tokensPerSecond, 0, 'f', 0)
                                          .arg(r.outDir));
        Q_EMIT modelTrained(r.outDir);
    });
    connect(job_.get(), &JobHandle::failed, this, [this, end](const QString& m) {
        end(TrainingRun::State::Failed, tr("Failed: %1").arg(m));
        Q_EMIT trainingFailed(m);
    });
    connect(job_.get(), &JobHandle::cancelled, this, [this, end] {
        end(TrainingRun::State::Cancelled, tr("Cancelled; the last checkpoint is kept (Resume from checkpoint… continues it)."));
        Q_EMIT trainingCancelled();
    });
    connect(job_.get(), &JobHandle::finished, this, [this] { updateButtons(); });
    updateButtons();
    Q_EMIT started(job_->id());
    return job_->id();
}

void TrainingView::onMetric(int run, const QString& name, double step, double value) {
    if (run != shownRun_) return;
    QLineSeries* s = name == QLatin1String("loss") ? lossSeries_ : name == QLatin1String("eval_loss") ? evalSeries_ : nullptr;
    if (!s) return;
    s->append(step, value);
    fitAxes();
}

void TrainingView::fitAxes() {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    bool any = false;
    for (const QLineSeries* s : {lossSeries_, evalSeries_})
        for (const QPointF& p : s->points()) {
            x0 = any ? std::min(x0, p.x()) : p.x();
            x1 = any ? std::max(x1, p.x()) : p.x();
            y0 = any ? std::min(y0, p.y()) : p.y();
            y1 = any ? std::max(y1, p.y()) : p.y();
            any = true;
        }
    QChart* c = chart_->chart();
    c->axes(Qt::Horizontal).first()->setRange(x0, x1 > x0 ? x1 : x0 + 1);
    const double pad = y1 > y0 ? 0.05 * (y1 - y0) : 0.5;
    c->axes(Qt::Vertical).first()->setRange(y0 - pad, y1 + pad);
}

void TrainingView::showRun(int id) {
    const TrainingRun* r = runs_->find(id);
    shownRun_ = r ? id : 0;
    lossSeries_->replace(r ? r->series(QStringLiteral("loss")) : QList<QPointF>());
    evalSeries_->replace(r ? r->series(QStringLiteral("eval_loss")) : QList<QPointF>());
    fitAxes();
    samples_->setPlainText(r ? r->samples.join(QLatin1Char('\n')) : QString());
    if (!r) {
        status_->setText(tr("Not started."));
        progress_->setValue(0);
    } else if (id != liveRun_) {
        status_->setText(r->status);
        progress_->setValue(r->state == TrainingRun::State::Done ? 1000 : 0);
    } else {
        status_->setText(liveStatus_);
        progress_->setValue(liveProgress_);
    }
    const int i = runList_->findData(shownRun_);
    if (i >= 0) runList_->setCurrentIndex(i);
}

void TrainingView::refreshRunList() {
    runList_->clear();
    for (int i = 0; i < runs_->count(); ++i) runList_->addItem(runs_->at(i).label(), runs_->at(i).id);
    runList_->setEnabled(runs_->count() > 0);
    const int i = runList_->findData(shownRun_);
    if (i >= 0) runList_->setCurrentIndex(i);
}

QVector<QPointF> TrainingView::lossPoints() const {
    const TrainingRun* r = runs_->find(shownRun_);
    return r ? r->series(QStringLiteral("loss")) : QVector<QPointF>();
}

QVector<QPointF> TrainingView::evalPoints() const {
    const TrainingRun* r = runs_->find(shownRun_);
    return r ? r->series(QStringLiteral("eval_loss")) : QVector<QPointF>();
}

void TrainingView::pause() {
    if (job_ && job_->isActive()) job_->pause();
    updateButtons();
}

void TrainingView::resume() {
    if (job_ && job_->isActive()) job_->resume();
    updateButtons();
}

void TrainingView::cancel() {
    if (job_ && job_->isActive()) job_->cancel();
}

bool TrainingView::running() const { return job_ && job_->isActive(); }
bool TrainingView::paused() const { return running() && job_->isPaused(); }

void TrainingView::updateButtons() {
    const bool on = running();
    start_->setEnabled(!on);
    resumeCkpt_->setEnabled(!on);
    updateRanks();
    pause_->setEnabled(on);
    cancel_->setEnabled(on);
    pause_->setText(paused() ? tr("Resume") : tr("Pause"));
}

QStringList TrainingView::samples() const {
    const TrainingRun* r = runs_->find(shownRun_);
    return r ? r->samples : QStringList();
}

QString TrainingView::statusText() const { return status_->text(); }

QByteArray TrainingView::logCsv() const {
    const TrainingRun* r = runs_->find(shownRun_);
    return r ? r->csv() : QByteArray("step,loss,lr,grad_norm,tokens_per_second,eval_loss,eval_ppl\n");
}

bool TrainingView::exportChart(const QString& path, QString* error) { return exportWidget(chart_, path, error); }
bool TrainingView::exportLog(const QString& path, QString* error) { return saveTextAtomically(path, logCsv(), error); }

void TrainingView::dragEnterEvent(QDragEnterEvent* e) {
    if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void TrainingView::dropEvent(QDropEvent* e) {
    const auto urls = e->mimeData()->urls();
    if (urls.isEmpty()) return;
    const QString path = urls.first().toLocalFile();
    if (QFileInfo(path).isDir()) {
        if (QFileInfo::exists(path + QStringLiteral("/trainer_state.json")) || QDir(path).entryList({QStringLiteral("checkpoint-*")}, QDir::Dirs).size())
            outDir_->setText(path);  // a training folder: ready for "Resume from checkpoint…"
        else {
            source_->setCurrentIndex(0);
            modelPath_->setText(path);
            refreshEstimate();
        }
    } else {
        setCorpus(path);
    }
    e->acceptProposedAction();
}

QJsonObject TrainingView::saveSession() const {
    const TrainParams p = params();
    QJsonObject o;
    o[QStringLiteral("objective")] = p.objective;
    o[QStringLiteral("source")] = source_->currentIndex();
    o[QStringLiteral("model")] = modelPath_->text();
    o[QStringLiteral("preset")] = p.preset;
    o[QStringLiteral("config")] = configPath_->text();
    o[QStringLiteral("tokenizer")] = p.tokenizer;
    o[QStringLiteral("data")] = p.data;
    o[QStringLiteral("eval_data")] = p.evalData;
    o[QStringLiteral("out")] = p.outDir;
    o[QStringLiteral("steps")] = p.steps;
    o[QStringLiteral("batch_size")] = p.batchSize;
    o[QStringLiteral("seq_len")] = p.seqLen;
    o[QStringLiteral("grad_accum")] = p.gradAccum;
    o[QStringLiteral("optimizer")] = p.optimizer;
    o[QStringLiteral("lr")] = p.lr;
    o[QStringLiteral("weight_decay")] = p.weightDecay;
    o[QStringLiteral("warmup")] = p.warmup;
    o[QStringLiteral("schedule")] = p.schedule;
    o[QStringLiteral("clip")] = p.clip;
    o[QStringLiteral("train")] = p.train;
    o[QStringLiteral("dtype")] = p.dtype;
    o[QStringLiteral("ranks")] = p.ranks;  // what a run uses (1 where the box does not apply)
    // The run the charts show, by its place in the workspace's runs (ids are renumbered on restore).
    const int shown = runs_->indexOf(shownRun_);
    if (shown >= 0) o[QStringLiteral("shown_run")] = shown;
    return o;
}

void TrainingView::restoreSession(const QJsonObject& s, SessionReport& report) {
    if (s.isEmpty()) return;
    TrainParams p = params();
    p.objective = s.value(QStringLiteral("objective")).toString(p.objective);
    p.modelDir = s.value(QStringLiteral("model")).toString();
    p.preset = s.value(QStringLiteral("source")).toInt() == 1 ? s.value(QStringLiteral("preset")).toString() : QString();
    p.initConfig = s.value(QStringLiteral("source")).toInt() == 2 ? s.value(QStringLiteral("config")).toString() : QString();
    p.tokenizer = s.value(QStringLiteral("tokenizer")).toString();
    p.data = s.value(QStringLiteral("data")).toString();
    p.evalData = s.value(QStringLiteral("eval_data")).toString();
    p.outDir = s.value(QStringLiteral("out")).toString();
    p.steps = s.value(QStringLiteral("steps")).toInt(p.steps);
    p.batchSize = s.value(QStringLiteral("batch_size")).toInt(p.batchSize);
    p.seqLen = s.value(QStringLiteral("seq_len")).toInt(p.seqLen);
    p.gradAccum = s.value(QStringLiteral("grad_accum")).toInt(p.gradAccum);
    p.optimizer = s.value(QStringLiteral("optimizer")).toString(p.optimizer);
    p.lr = s.value(QStringLiteral("lr")).toDouble(p.lr);
    p.weightDecay = s.value(QStringLiteral("weight_decay")).toDouble(p.weightDecay);
    p.warmup = s.value(QStringLiteral("warmup")).toInt(p.warmup);
    p.schedule = s.value(QStringLiteral("schedule")).toString(p.schedule);
    p.clip = s.value(QStringLiteral("clip")).toDouble(p.clip);
    p.train = s.value(QStringLiteral("train")).toString(p.train);
    p.dtype = s.value(QStringLiteral("dtype")).toString(p.dtype);
    p.ranks = std::clamp(s.value(QStringLiteral("ranks")).toInt(1), 1, 64);
    for (const QString& f : {p.data, p.evalData, p.modelDir, p.initConfig, p.tokenizer})
        if (!f.isEmpty() && !QFileInfo::exists(f)) report.missing << f;
    setParams(p);
    const int shown = s.value(QStringLiteral("shown_run")).toInt(-1);
    if (shown >= 0 && shown < runs_->count()) showRun(runs_->at(shown).id);
}

}  // namespace embedlab
