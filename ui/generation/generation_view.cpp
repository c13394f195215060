#include "ui/generation/generation_view.h"

#include "ui/common/token_strip.h"

#include <QCheckBox>
#include <QJsonArray>
#include <QJsonObject>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

namespace embedlab {

QColor GenerationView::probabilityColor(double p) {
    // Low probability red, high green, through yellow (HSV hue 0 → 120).
    p = std::clamp(p, 0.0, 1.0);
    return QColor::fromHsvF(static_cast<float>(p / 3.0), 0.45f, 1.0f);
}

GenerationView::GenerationView(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("generationView"));
    auto* l = new QVBoxLayout(this);
    model_ = new QLabel(tr("No causal language model selected (load Gemma 3 or GPT-2 in the Models panel)."), this);
    model_->setWordWrap(true);
    l->addWidget(model_);
    prompt_ = new QPlainTextEdit(this);
    prompt_->setObjectName(QStringLiteral("promptEdit"));
    prompt_->setPlaceholderText(tr("Prompt"));
    prompt_->setMaximumHeight(90);
    l->addWidget(prompt_);

    auto* controls = new QGroupBox(tr("Sampling"), this);
    auto* form = new QFormLayout(controls);
    batch_ = new QCheckBox(tr("Batch: one prompt per line"), controls);
    maxTokens_ = new QSpinBox(controls);
    maxTokens_->setRange(1, 4096);
    maxTokens_->setValue(32);
    temperature_ = new QDoubleSpinBox(controls);
    temperature_->setRange(0.0, 5.0);
    temperature_->setSingleStep(0.1);
    temperature_->setValue(0.8);
    temperature_->setToolTip(tr("0 = greedy"));
    topK_ = new QSpinBox(controls);
    topK_->setRange(0, 100000);
    topK_->setValue(40);
    topK_->setToolTip(tr("0 = off"));
    topP_ = new QDoubleSpinBox(controls);
    topP_->setRange(0.01, 1.0);
    topP_->setSingleStep(0.05);
    topP_->setValue(0.95);
    seed_ = new QSpinBox(controls);
    seed_->setRange(0, 2147483647);
    seed_->setValue(42);
    repetition_ = new QDoubleSpinBox(controls);
    repetition_->setRange(0.5, 3.0);
    repetition_->setSingleStep(0.05);
    repetition_->setValue(1.0);
    alternatives_ = new QSpinBox(controls);
    alternatives_->setRange(0, 20);
    alternatives_->setValue(5);
    maxTokens_->setObjectName(QStringLiteral("maxTokens"));
    temperature_->setObjectName(QStringLiteral("temperature"));
    form->addRow(batch_);
    form->addRow(tr("Max new tokens"), maxTokens_);
    form->addRow(tr("Temperature"), temperature_);
    form->addRow(tr("Top-k"), topK_);
    form->addRow(tr("Top-p"), topP_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("Repetition penalty"), repetition_);
    form->addRow(tr("Alternatives shown"), alternatives_);
    zeroHeads_ = new QLineEdit(controls);
    zeroHeads_->setObjectName(QStringLiteral("generationZeroHeads"));
    zeroHeads_->setPlaceholderText(tr("heads to zero, LAYER:HEAD, e.g. 0:1, 3:2 (none: the plain model)"));
    skipLayers_ = new QLineEdit(controls);
    skipLayers_->setObjectName(QStringLiteral("generationSkipLayers"));
    skipLayers_->setPlaceholderText(tr("layers to skip, e.g. 2, 5"));
    form->addRow(tr("Zero heads"), zeroHeads_);
    form->addRow(tr("Skip layers"), skipLayers_);
    l->addWidget(controls);

    auto* buttons = new QHBoxLayout;
    generate_ = new QPushButton(tr("Generate"), this);
    generate_->setObjectName(QStringLiteral("generateButton"));
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setObjectName(QStringLiteral("stopButton"));
    stop_->setEnabled(false);
    generate_->setEnabled(false);
    buttons->addWidget(generate_);
    buttons->addWidget(stop_);
    buttons->addStretch(1);
    l->addLayout(buttons);
    status_ = new QLabel(this);
    l->addWidget(status_);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto* host = new QWidget;
    outputs_ = new QVBoxLayout(host);
    outputs_->addStretch(1);
    scroll->setWidget(host);
    l->addWidget(scroll, 1);

    connect(generate_, &QPushButton::clicked, this, [this] { generate(); });
    connect(stop_, &QPushButton::clicked, this, &GenerationView::stop);
}

void GenerationView::setModel(ModelSessionPtr session, const QString& name, bool causal) {
    session_ = causal ? std::move(session) : nullptr;
    model_->setText(causal ? tr("Model: %1").arg(name)
                           : tr("%1 is an encoder; generation needs a causal language model.").arg(name));
    generate_->setEnabled(session_ != nullptr && current_ == 0);
}

void GenerationView::setPrompt(const QString& text) { prompt_->setPlainText(text); }
void GenerationView::setBatchMode(bool on) { batch_->setChecked(on); }

GenerationParams GenerationView::params() const {
    GenerationParams p;
    p.maxNewTokens = maxTokens_->value();
    p.temperature = temperature_->value();
    p.topK = topK_->value();
    p.topP = topP_->value();
    p.seed = static_cast<quint64>(seed_->value());
    p.repetitionPenalty = repetition_->value();
    p.topAlternatives = alternatives_->value();
    p.zeroHeads = zeroHeads_->text().trimmed();
    p.skipLayers = skipLayers_->text().trimmed();
    return p;
}

void GenerationView::setParams(const GenerationParams& p) {
    maxTokens_->setValue(p.maxNewTokens);
    temperature_->setValue(p.temperature);
    topK_->setValue(p.topK);
    topP_->setValue(p.topP);
    seed_->setValue(static_cast<int>(p.seed));
    repetition_->setValue(p.repetitionPenalty);
    alternatives_->setValue(p.topAlternatives);
    zeroHeads_->setText(p.zeroHeads);
    skipLayers_->setText(p.skipLayers);
}

QJsonObject GenerationView::saveSession() const {
    const GenerationParams p = params();
    return {{QStringLiteral("prompt"), prompt_->toPlainText()},
            {QStringLiteral("batch"), batch_->isChecked()},
            {QStringLiteral("max_new_tokens"), p.maxNewTokens},
            {QStringLiteral("temperature"), p.temperature},
            {QStringLiteral("top_k"), p.topK},
            {QStringLiteral("top_p"), p.topP},
            {QStringLiteral("seed"), QString::number(p.seed)},
            {QStringLiteral("repetition_penalty"), p.repetitionPenalty},
            {QStringLiteral("alternatives"), p.topAlternatives},
            {QStringLiteral("zero_heads"), p.zeroHeads},
            {QStringLiteral("skip_layers"), p.skipLayers},
            {QStringLiteral("outputs"), savedOutputs()},
            {QStringLiteral("status"), status_->text()}};
}

// What was generated, chip by chip (text, id, colour, the tooltip with its probabilities): a restored
// session shows it again without generating anything.
QJsonArray GenerationView::savedOutputs() const {
    QJsonArray outs;
    for (int i = 0; i < strips_.size(); ++i) {
        QJsonArray chips;
        for (const TokenChip& c : strips_[i]->chips())
            chips.append(QJsonObject{{QStringLiteral("text"), c.text},
                                     {QStringLiteral("id"), QString::number(c.id)},
                                     {QStringLiteral("color"), c.color.name(QColor::HexArgb)},
                                     {QStringLiteral("tooltip"), c.tooltip}});
        outs.append(QJsonObject{{QStringLiteral("prompt"), outputPrompts_.value(i)}, {QStringLiteral("chips"), chips}});
    }
    return outs;
}

void GenerationView::restoreSession(const QJsonObject& state, SessionReport&) {
    stop();
    resetOutputs(0, {});
    if (state.isEmpty()) {
        prompt_->clear();
        return;
    }
    prompt_->setPlainText(state.value(QStringLiteral("prompt")).toString());
    batch_->setChecked(state.value(QStringLiteral("batch")).toBool());
    GenerationParams p = params();
    p.maxNewTokens = state.value(QStringLiteral("max_new_tokens")).toInt(p.maxNewTokens);
    p.temperature = state.value(QStringLiteral("temperature")).toDouble(p.temperature);
    p.topK = state.value(QStringLiteral("top_k")).toInt(p.topK);
    p.topP = state.value(QStringLiteral("top_p")).toDouble(p.topP);
    p.seed = state.value(QStringLiteral("seed")).toString().toULongLong();
    p.repetitionPenalty = state.value(QStringLiteral("repetition_penalty")).toDouble(p.repetitionPenalty);
    p.topAlternatives = state.value(QStringLiteral("alternatives")).toInt(p.topAlternatives);
    p.zeroHeads = state.value(QStringLiteral("zero_heads")).toString();
    p.skipLayers = state.value(QStringLiteral("skip_layers")).toString();
    setParams(p);
    const QJsonArray outs = state.value(QStringLiteral("outputs")).toArray();
    QStringList prompts;
    for (const auto& o : outs) prompts << o.toObject().value(QStringLiteral("prompt")).toString();
    resetOutputs(outs.size(), prompts);
    for (int i = 0; i < outs.size(); ++i) {
        QVector<TokenChip> chips;
        for (const auto& v : outs[i].toObject().value(QStringLiteral("chips")).toArray()) {
            const QJsonObject c = v.toObject();
            TokenChip chip;
            chip.text = c.value(QStringLiteral("text")).toString();
            chip.id = c.value(QStringLiteral("id")).toString().toLongLong();
            chip.color = QColor(c.value(QStringLiteral("color")).toString());
            chip.tooltip = c.value(QStringLiteral("tooltip")).toString();
            texts_[i] += chip.text;
            chips.push_back(chip);
        }
        strips_[i]->setChips(chips);
    }
    if (state.contains(QStringLiteral("status"))) status_->setText(state.value(QStringLiteral("status")).toString());
}

void GenerationView::resetOutputs(int n, const QStringList& prompts) {
    for (auto* s : strips_) s->parentWidget()->deleteLater();
    strips_.clear();
    texts_ = QVector<QString>(n);
    outputPrompts_ = prompts.mid(0, n);
    for (int i = 0; i < n; ++i) {
        auto* box = new QGroupBox(prompts.value(i).left(80));
        auto* bl = new QVBoxLayout(box);
        auto* strip = new TokenStrip(box);
        bl->addWidget(strip);
        outputs_->insertWidget(outputs_->count() - 1, box);
        strips_.push_back(strip);
    }
}

JobId GenerationView::generate() {
    if (!session_) {
        status_->setText(tr("Load a causal language model first."));
        return 0;
    }
    QStringList prompts;
    if (batch_->isChecked()) {
        for (const QString& line : prompt_->toPlainText().split(QLatin1Char('\n')))
            if (!line.trimmed().isEmpty()) prompts << line;
    } else if (!prompt_->toPlainText().isEmpty()) {
        prompts << prompt_->toPlainText();
    }
    if (prompts.isEmpty()) {
        status_->setText(tr("Type a prompt first."));
        return 0;
    }
    resetOutputs(prompts.size(), prompts);
    QPointer<GenerationView> self(this);
    auto job = std::make_shared<GenerateJob>(session_, prompts, params(), [self](const GeneratedToken& t) {
        // Engine thread → UI thread.
        QMetaObject::invokeMethod(
            self.data(), [self, t] { if (self) self->onToken(t); }, Qt::QueuedConnection);
    });
    current_ = runner_->submit(job, QStringLiteral("generation"));
    JobHandle* raw = current_.get();
    // The end of this generation (unless a newer one took over): buttons back, finished(ok).
    auto end = [this, raw](bool ok) {
        if (current_.get() != raw) return;
        current_.reset();
        stop_->setEnabled(false);
        generate_->setEnabled(session_ != nullptr);
        Q_EMIT finished(ok);
    };
    connect(raw, &JobHandle::succeeded, this, [this, job, end] {
        const auto& outs = job->outputs;
        if (!outs.isEmpty()) {
            const auto& o = outs.last();
            status_->setText(tr("%1 prompt tokens · %2 new tokens · prefill %3 tok/s · decode %4 tok/s · stop: %5")
                                 .arg(o.promptTokens)
                                 .arg(o.newTokens)
                                 .arg(o.prefillTokensPerSecond, 0, 'f', 1)
                                 .arg(o.decodeTokensPerSecond, 0, 'f', 1)
                                 .arg(o.stopReason));
        }
        end(true);
    });
    connect(raw, &JobHandle::failed, this, [this, end](const QString& message) {
        status_->setText(message);
        end(false);
    });
    connect(raw, &JobHandle::cancelled, this, [this, end] {
        status_->setText(tr("stopped"));
        end(false);
    });
    generate_->setEnabled(false);
    stop_->setEnabled(true);
    status_->setText(tr("generating…"));
    return current_->id();
}

void GenerationView::stop() {
    if (current_) current_->cancel();
}

void GenerationView::onToken(const GeneratedToken& t) {
    if (t.prompt < 0 || t.prompt >= strips_.size()) return;
    TokenChip c;
    c.text = t.text;
    c.id = t.id;
    c.color = probabilityColor(t.prob);
    QString tip = QStringLiteral("<b>%1</b> id %2 · p = %3").arg(t.text.toHtmlEscaped()).arg(t.id).arg(t.prob, 0, 'f', 4);
    for (const auto& alt : t.alternatives)
        tip += QStringLiteral("<br>%1 &nbsp; %2").arg(alt.first.toHtmlEscaped()).arg(alt.second, 0, 'f', 4);
    c.tooltip = tip;
    strips_[t.prompt]->appendChip(c);
    texts_[t.prompt] += t.text;
}

QString GenerationView::outputText(int i) const { return texts_.value(i); }
QString GenerationView::statusText() const { return status_->text(); }

}  // namespace embedlab
