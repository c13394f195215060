#include "ui/generation/lens_view.h"

#include "ui/generation/generation_view.h"

#include <QChart>
#include <QChartView>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace embedlab {

LensView::LensView(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("lensView"));
    auto* l = new QVBoxLayout(this);
    model_ = new QLabel(tr("No causal language model selected (load Gemma 3 or GPT-2 in the Models panel)."), this);
    model_->setWordWrap(true);
    l->addWidget(model_);
    auto* form = new QFormLayout;
    prompt_ = new QLineEdit(this);
    prompt_->setObjectName(QStringLiteral("lensPrompt"));
    prompt_->setPlaceholderText(tr("a prompt, e.g. Türkiye'nin başkenti"));
    topK_ = new QSpinBox(this);
    topK_->setRange(1, 50);
    topK_->setValue(5);
    zeroHeads_ = new QLineEdit(this);
    zeroHeads_->setPlaceholderText(tr("heads to zero, LAYER:HEAD,… (optional)"));
    skipLayers_ = new QLineEdit(this);
    skipLayers_->setPlaceholderText(tr("layers to skip, L,… (optional)"));
    form->addRow(tr("Prompt"), prompt_);
    form->addRow(tr("Top tokens on hover"), topK_);
    form->addRow(tr("Zero heads"), zeroHeads_);
    form->addRow(tr("Skip layers"), skipLayers_);
    l->addLayout(form);
    auto* row = new QHBoxLayout;
    run_ = new QPushButton(tr("Read every layer"), this);
    run_->setObjectName(QStringLiteral("lensRun"));
    run_->setEnabled(false);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    onMap_ = new QPushButton(tr("Trajectory on the map"), this);
    onMap_->setObjectName(QStringLiteral("lensOnMap"));
    onMap_->setToolTip(tr("Follow the selected column's token (else the last) through the layers on the embedding "
                          "map: the hidden states of the model as loaded, without zeroed heads or skipped layers"));
    onMap_->setEnabled(false);
    row->addWidget(run_);
    row->addWidget(onMap_);
    row->addWidget(status_, 1);
    l->addLayout(row);
    auto* split = new QSplitter(Qt::Vertical, this);
    grid_ = new QTableWidget(split);
    grid_->setObjectName(QStringLiteral("lensGrid"));
    grid_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    grid_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto* chart = new QChart;
    chart->setTitle(tr("Probability of the final next token, layer by layer"));
    chart->legend()->hide();
    chart_ = new QChartView(chart, split);
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumHeight(220);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    l->addWidget(split, 1);
    connect(run_, &QPushButton::clicked, this, [this] { run(); });
    connect(onMap_, &QPushButton::clicked, this, [this] { followOnMapNow(); });
    connect(prompt_, &QLineEdit::returnPressed, this, [this] { run(); });
}

void LensView::setModel(ModelSessionPtr session, const QString& name, bool causal) {
    if (session != session_) {
        // The grid was another model's: its columns are not this model's positions.
        grid_->clear();
        grid_->setRowCount(0);
        grid_->setColumnCount(0);
        shownPrompt_.clear();
        onMap_->setEnabled(false);
    }
    session_ = std::move(session);
    causal_ = causal;
    run_->setEnabled(session_ && causal_);
    if (!session_) model_->setText(tr("No causal language model selected (load Gemma 3 or GPT-2 in the Models panel)."));
    else if (!causal_) model_->setText(tr("%1 is an encoder: the logit lens needs a causal LM (Gemma 3, GPT-2).").arg(name));
    else model_->setText(tr("Model: %1").arg(name));
}

LensParams LensView::params() const {
    LensParams p;
    p.prompt = prompt_->text();
    p.topK = topK_->value();
    p.zeroHeads = zeroHeads_->text().trimmed();
    p.skipLayers = skipLayers_->text().trimmed();
    return p;
}

void LensView::setParams(const LensParams& p) {
    prompt_->setText(p.prompt);
    topK_->setValue(p.topK);
    zeroHeads_->setText(p.zeroHeads);
    skipLayers_->setText(p.skipLayers);
}

QString LensView::statusText() const { return status_->text(); }

JobId LensView::run() {
    if (!session_ || !causal_) {
        status_->setText(tr("Load a causal LM (Gemma 3, GPT-2) in the Models panel first."));
        return 0;
    }
    const LensParams p = params();
    if (p.prompt.trimmed().isEmpty()) {
        status_->setText(tr("Write a prompt."));
        return 0;
    }
    auto job = std::make_shared<LensJob>(session_, p);
    job_ = runner_->submit(job, {}, JobLane::Interactive);
    run_->setEnabled(false);
    status_->setText(tr("Reading every layer…"));
    connect(job_.get(), &JobHandle::succeeded, this, [this, job] {
        showResult(*job);
        status_->setText(tr("%1 tokens through %2 layers; the model's next token: %3")
                             .arg(job->tokens.size())
                             .arg(job->top.size() - 1)
                             .arg(job->nextToken.toHtmlEscaped()));
        Q_EMIT finished(true);
    });
    connect(job_.get(), &JobHandle::failed, this, [this](const QString& m) {
        status_->setText(tr("Failed: %1").arg(m));
        Q_EMIT finished(false);
    });
    connect(job_.get(), &JobHandle::finished, this, [this] { run_->setEnabled(session_ && causal_); });
    return job_->id();
}

int LensView::followColumn() const {
    if (shownPrompt_.isEmpty() || grid_->columnCount() == 0) return -1;
    const int c = grid_->currentColumn();
    return c >= 0 && c < grid_->columnCount() ? c : grid_->columnCount() - 1;
}

bool LensView::followOnMapNow() {
    const int c = followColumn();
    if (c < 0) return false;
    Q_EMIT followOnMap(shownPrompt_, c, shownAddSpecial_);
    return true;
}

void LensView::showResult(const LensJob& job) {
    const int layers = job.top.size(), positions = job.tokens.size();
    shownPrompt_ = job.params().prompt;
    shownAddSpecial_ = job.params().addSpecial;
    onMap_->setEnabled(positions > 0);
    grid_->clear();
    grid_->setRowCount(layers);
    grid_->setColumnCount(positions);
    grid_->setHorizontalHeaderLabels(job.tokens);
    QStringList rows;
    // The last layer on top, as the residual stream rises.
    for (int r = 0; r < layers; ++r) {
        const int layer = layers - 1 - r;
        rows << (layer == layers - 1 ? tr("%1 (logits)").arg(layer) : layer == 0 ? tr("0 (embeddings)") : QString::number(layer));
        for (int c = 0; c < positions; ++c) {
            const auto& top = job.top[layer][c];
            auto* item = new QTableWidgetItem(top.isEmpty() ? QString() : top.front().first);
            const double p = top.isEmpty() ? 0.0 : top.front().second;
            item->setBackground(GenerationView::probabilityColor(p));
            item->setData(Qt::UserRole, p);
            QString tip = tr("layer %1, after “%2”").arg(layer).arg(job.tokens[c].toHtmlEscaped());
            for (const auto& t : top) tip += QStringLiteral("<br>%1 · %2").arg(t.first.toHtmlEscaped()).arg(t.second, 0, 'f', 4);
            item->setToolTip(tip);
            grid_->setItem(r, c, item);
        }
    }
    grid_->setVerticalHeaderLabels(rows);
    nextProb_ = job.nextTokenProb;
    QChart* chart = chart_->chart();
    chart->removeAllSeries();
    for (QAbstractAxis* a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    auto* line = new QLineSeries;
    auto* dots = new QScatterSeries;
    dots->setMarkerSize(7);
    for (int l = 0; l < nextProb_.size(); ++l) {
        line->append(l, nextProb_[l]);
        dots->append(l, nextProb_[l]);
    }
    chart->addSeries(line);
    chart->addSeries(dots);
    auto* ax = new QValueAxis;
    ax->setTitleText(tr("layer"));
    ax->setRange(0, std::max(1, static_cast<int>(nextProb_.size()) - 1));
    ax->setTickCount(std::min(11, std::max(2, static_cast<int>(nextProb_.size()))));
    ax->setLabelFormat(QStringLiteral("%d"));
    auto* ay = new QValueAxis;
    ay->setTitleText(tr("p(%1)").arg(job.nextToken));
    double hi = 0;
    for (double v : nextProb_) hi = std::max(hi, v);
    ay->setRange(0, std::min(1.0, std::max(0.05, 1.15 * hi)));
    chart->addAxis(ax, Qt::AlignBottom);
    chart->addAxis(ay, Qt::AlignLeft);
    for (QAbstractSeries* s : chart->series()) {
        s->attachAxis(ax);
        s->attachAxis(ay);
    }
}

QJsonObject LensView::saveSession() const {
    const LensParams p = params();
    return {{QStringLiteral("prompt"), p.prompt},
            {QStringLiteral("top"), p.topK},
            {QStringLiteral("zero_heads"), p.zeroHeads},
            {QStringLiteral("skip_layers"), p.skipLayers}};
}

void LensView::restoreSession(const QJsonObject& st, SessionReport&) {
    LensParams p;
    p.prompt = st.value(QStringLiteral("prompt")).toString();
    p.topK = st.value(QStringLiteral("top")).toInt(5);
    p.zeroHeads = st.value(QStringLiteral("zero_heads")).toString();
    p.skipLayers = st.value(QStringLiteral("skip_layers")).toString();
    setParams(p);
}

}  // namespace embedlab
