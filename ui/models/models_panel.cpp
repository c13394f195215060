#include "ui/models/models_panel.h"

#include "app/bridge/engine_info.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace embedlab {

QString ModelsPanel::formatCount(qint64 n) {
    if (n >= 1000000000) return QString::number(n / 1e9, 'f', 2) + QStringLiteral(" B");
    if (n >= 1000000) return QString::number(n / 1e6, 'f', 2) + QStringLiteral(" M");
    if (n >= 1000) return QString::number(n / 1e3, 'f', 1) + QStringLiteral(" k");
    return QString::number(n);
}

QString ModelsPanel::formatBytes(qint64 n) {
    if (n >= (1LL << 30)) return QString::number(n / double(1LL << 30), 'f', 2) + QStringLiteral(" GiB");
    if (n >= (1LL << 20)) return QString::number(n / double(1LL << 20), 'f', 1) + QStringLiteral(" MiB");
    if (n >= 1024) return QString::number(n / 1024.0, 'f', 1) + QStringLiteral(" KiB");
    return QString::number(n) + QStringLiteral(" B");
}

ModelsPanel::ModelsPanel(JobRunner* runner, WorkspaceState* state, QWidget* parent)
    : QWidget(parent), runner_(runner), state_(state ? state : new WorkspaceState(runner, this)) {
    setObjectName(QStringLiteral("modelsPanel"));
    auto* l = new QVBoxLayout(this);
    auto* open = new QPushButton(tr("Open model folder…"), this);
    open->setObjectName(QStringLiteral("openModelButton"));
    l->addWidget(open);
    list_ = new QListWidget(this);
    list_->setObjectName(QStringLiteral("modelList"));
    list_->setMaximumHeight(120);
    l->addWidget(list_);
    details_ = new QTextBrowser(this);
    details_->setObjectName(QStringLiteral("modelDetails"));
    l->addWidget(details_, 1);
    auto* move = new QHBoxLayout;
    device_ = new QComboBox(this);
    device_->setObjectName(QStringLiteral("modelDevice"));
    for (const auto& d : engineDevices()) device_->addItem(d.name);
    dtype_ = new QComboBox(this);
    dtype_->setObjectName(QStringLiteral("modelDtype"));
    dtype_->addItems({QStringLiteral("f32"), QStringLiteral("bf16")});
    apply_ = new QPushButton(tr("Move"), this);
    apply_->setObjectName(QStringLiteral("moveModelButton"));
    apply_->setEnabled(false);
    move->addWidget(new QLabel(tr("Device:"), this));
    move->addWidget(device_);
    move->addWidget(new QLabel(tr("dtype:"), this));
    move->addWidget(dtype_);
    move->addWidget(apply_);
    l->addLayout(move);

    connect(open, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"));
        if (!dir.isEmpty()) loadModel(dir);
    });
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        refreshDetails();
        state_->setCurrentModel(row);
    });
    // The list follows the state: models loaded from here, from a drop, or from a session.
    connect(state_, &WorkspaceState::modelAdded, this, [this](int i) {
        rebuildList();
        Q_EMIT modelLoaded(i);
    });
    connect(state_, &WorkspaceState::modelChanged, this, [this](int i) {
        rebuildList();
        refreshDetails();
        Q_EMIT infoChanged(i);
    });
    connect(state_, &WorkspaceState::modelsCleared, this, [this] { rebuildList(); });
    connect(state_, &WorkspaceState::currentModelChanged, this, [this](int i) {
        if (list_->currentRow() != i) {
            const QSignalBlocker block(list_);
            list_->setCurrentRow(i);
            refreshDetails();
        }
        Q_EMIT currentModelChanged(i);
    });
    connect(apply_, &QPushButton::clicked, this, [this] { moveCurrent(device_->currentText(), dtype_->currentText()); });

    refreshDetails();
}

JobId ModelsPanel::loadModel(const QString& path) { return state_->loadModel(path, defaultDevice_)->id(); }

void ModelsPanel::rebuildList() {
    const QSignalBlocker block(list_);
    list_->clear();
    for (int i = 0; i < state_->modelCount(); ++i) {
        const ModelInfo& inf = state_->model(i).info;
        list_->addItem(QStringLiteral("%1 (%2, %3)").arg(inf.name, inf.architecture, inf.dtype));
    }
    list_->setCurrentRow(state_->currentModel());
    refreshDetails();
}

int ModelsPanel::currentIndex() const { return list_->currentRow(); }
void ModelsPanel::setCurrentIndex(int i) { list_->setCurrentRow(i); }

JobId ModelsPanel::moveCurrent(const QString& device, const QString& dtype) {
    const int i = currentIndex();
    if (i < 0) return 0;
    const ModelSessionPtr session = state_->model(i).session;
    auto job = std::make_shared<MoveModelJob>(session, device, dtype);
    const JobHandlePtr h = runner_->submit(job, QStringLiteral("move-model-%1").arg(i));
    connect(h.get(), &JobHandle::succeeded, this, [this, job, session] {
        for (int k = 0; k < state_->modelCount(); ++k)
            if (state_->model(k).session == session) state_->setModelInfo(k, job->info);
    });
    return h->id();
}

QString ModelsPanel::detailsText() const { return details_->toPlainText(); }

void ModelsPanel::refreshDetails() {
    const int i = currentIndex();
    apply_->setEnabled(i >= 0);
    if (i < 0) {
        details_->setHtml(tr("<p>No model loaded. Drop a Hugging Face model folder (config.json and "
                             "model.safetensors) on the window, or use <i>Open model folder…</i>.</p>"));
        return;
    }
    const ModelInfo& m = state_->model(i).info;
    const qint64 total = m.paramsEmbedding + m.paramsBody;
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing=4>").arg(m.name.toHtmlEscaped());
    auto row = [&html](const QString& k, const QString& v) {
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(k, v.toHtmlEscaped());
    };
    row(tr("Architecture"), QStringLiteral("%1 (%2)").arg(m.architecture, m.modelType));
    row(tr("Layers"), QString::number(m.layers));
    row(tr("Hidden size"), QString::number(m.hidden));
    row(tr("Heads"), m.kvHeads && m.kvHeads != m.heads ? QStringLiteral("%1 (KV %2)").arg(m.heads).arg(m.kvHeads)
                                                        : QString::number(m.heads));
    row(tr("Vocabulary"), QString::number(m.vocab));
    row(tr("Parameters"), QStringLiteral("%1 total · %2 embedding (%3%) · %4 body")
                              .arg(formatCount(total), formatCount(m.paramsEmbedding))
                              .arg(total ? 100.0 * m.paramsEmbedding / total : 0.0, 0, 'f', 1)
                              .arg(formatCount(m.paramsBody)));
    row(tr("LM head"), m.causal ? (m.tiedHead ? tr("tied to the embeddings")
                                              : tr("separate, %1 parameters").arg(formatCount(m.paramsLmHead)))
                                : tr("— (encoder)"));
    row(tr("Memory"), formatBytes(m.weightBytes));
    row(tr("Device"), m.device);
    row(tr("dtype"), m.dtype);
    row(tr("Tokenizer"), m.tokenizer.isEmpty() ? tr("none in the folder") : m.tokenizer);
    row(tr("Loaded in"), QStringLiteral("%1 s").arg(m.loadSeconds, 0, 'f', 2));
    html += QStringLiteral("</table>");
    if (!m.warnings.isEmpty()) {
        html += QStringLiteral("<p style='color:#9a6700'><b>%1</b><br>").arg(tr("Warnings"));
        for (const auto& w : m.warnings) html += w.toHtmlEscaped() + QStringLiteral("<br>");
        html += QStringLiteral("</p>");
    }
    details_->setHtml(html);
    const int di = device_->findText(m.device);
    if (di >= 0) device_->setCurrentIndex(di);
    const int ti = dtype_->findText(m.dtype);
    if (ti >= 0) dtype_->setCurrentIndex(ti);
}

}  // namespace embedlab
