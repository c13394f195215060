#include "ui/workspace/workspace_overview.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace embedlab {

namespace {

constexpr int kPanelRole = Qt::UserRole + 1;

QString nameOf(const QString& path) {
    const QFileInfo fi(path);
    return fi.fileName().isEmpty() ? path : fi.fileName();
}

}  // namespace

WorkspaceOverview::WorkspaceOverview(WorkspaceState* state, std::function<QString(const QString&)> panelTitle, QWidget* parent)
    : QWidget(parent), state_(state), panelTitle_(std::move(panelTitle)) {
    setObjectName(QStringLiteral("workspaceOverview"));
    auto* l = new QVBoxLayout(this);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("workspaceSummary"));
    summary_->setWordWrap(true);
    tree_ = new QTreeWidget(this);
    tree_->setObjectName(QStringLiteral("workspaceTree"));
    tree_->setColumnCount(3);
    tree_->setHeaderLabels({tr("Item"), tr("Details"), tr("Shown in")});
    tree_->setRootIsDecorated(true);
    tree_->setUniformRowHeights(true);
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    tree_->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    l->addWidget(summary_);
    l->addWidget(tree_, 1);
    connect(tree_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        const QString id = item->data(0, kPanelRole).toString();
        if (!id.isEmpty()) Q_EMIT showPanel(id);
    });
    // Every change of what is open redraws the tree at the next event-loop turn; a training run's
    // points (one per step) at most twice a second (the tree shows its last loss).
    timer_ = new QTimer(this);
    timer_->setSingleShot(true);
    connect(timer_, &QTimer::timeout, this, &WorkspaceOverview::rebuild);
    auto later = [this] { scheduleRebuild(0); };
    connect(state_, &WorkspaceState::modelAdded, this, later);
    connect(state_, &WorkspaceState::modelChanged, this, later);
    connect(state_, &WorkspaceState::modelsCleared, this, later);
    connect(state_, &WorkspaceState::currentModelChanged, this, later);
    OpenItems* items = state_->openItems();
    connect(items, &OpenItems::itemAdded, this, later);
    connect(items, &OpenItems::itemChanged, this, later);
    connect(items, &OpenItems::itemRemoved, this, later);
    connect(items, &OpenItems::itemsCleared, this, later);
    connect(state_->evaluationRows(), &EvaluationRows::rowAdded, this, later);
    connect(state_->evaluationRows(), &EvaluationRows::rowsReset, this, later);
    TrainingRuns* runs = state_->trainingRuns();
    connect(runs, &TrainingRuns::runAdded, this, later);
    connect(runs, &TrainingRuns::runFinished, this, later);
    connect(runs, &TrainingRuns::runsReset, this, later);
    connect(runs, &TrainingRuns::metricAdded, this, [this] { scheduleRebuild(500); });
    rebuild();
}

void WorkspaceOverview::scheduleRebuild(int delayMs) {
    if (timer_->isActive() && timer_->remainingTime() <= delayMs) return;
    timer_->start(delayMs);
}

void WorkspaceOverview::rebuild() {
    tree_->clear();
    int total = 0;
    auto group = [this](const QString& title) {
        auto* g = new QTreeWidgetItem(tree_, {title});
        QFont f = g->font(0);
        f.setBold(true);
        g->setFont(0, f);
        g->setFirstColumnSpanned(true);
        return g;
    };
    auto row = [this, &total](QTreeWidgetItem* g, const QString& name, const QString& detail, const QString& panel,
                        const QString& tip) {
        auto* it = new QTreeWidgetItem(g, {name, detail, panelTitle_ ? panelTitle_(panel) : panel});
        it->setData(0, kPanelRole, panel);
        it->setToolTip(0, tip);
        it->setToolTip(1, detail);
        ++total;
    };
    auto finish = [](QTreeWidgetItem* g) {
        if (g->childCount() == 0) delete g;
        else g->setText(0, QStringLiteral("%1 (%2)").arg(g->text(0)).arg(g->childCount()));
    };

    QTreeWidgetItem* g = group(tr("Models"));
    for (int i = 0; i < state_->modelCount(); ++i) {
        const ModelInfo& m = state_->model(i).info;
        row(g, m.name + (i == state_->currentModel() ? tr(" (current)") : QString()),
            tr("%1, %2 layers, hidden %3, vocabulary %4 · %5 %6").arg(m.architecture).arg(m.layers).arg(m.hidden).arg(m.vocab).arg(m.device, m.dtype),
            QStringLiteral("models"), m.path);
    }
    finish(g);
    const OpenItems* items = state_->openItems();
    const struct {
        OpenItem::Kind kind;
        QString title;
    } kinds[] = {{OpenItem::Kind::Tokenizer, tr("Tokenizers")},
                 {OpenItem::Kind::Corpus, tr("Corpora")},
                 {OpenItem::Kind::VectorStore, tr("Vector stores")},
                 {OpenItem::Kind::VectorSpace, tr("Map source")},
                 {OpenItem::Kind::Projection, tr("Projections")}};
    for (const auto& k : kinds) {
        g = group(k.title);
        for (const OpenItem& it : items->ofKind(k.kind)) row(g, nameOf(it.path), it.summary, it.owner, it.path);
        finish(g);
    }
    g = group(tr("Evaluation rows"));
    for (const EvalRow& r : state_->evaluationRows()->rows())
        row(g, QStringLiteral("%1 · %2").arg(r.model, r.task), QStringLiteral("%1 = %2 · %3").arg(r.main).arg(r.mainValue, 0, 'g', 5).arg(nameOf(r.data)),
            QStringLiteral("evaluation"), r.data);
    finish(g);
    g = group(tr("Training runs"));
    const TrainingRuns* runs = state_->trainingRuns();
    for (int i = 0; i < runs->count(); ++i) {
        const TrainingRun& r = runs->at(i);
        const QVector<QPointF> loss = r.series(QStringLiteral("loss"));
        const QVector<QPointF> held = r.series(QStringLiteral("eval_loss"));
        QString detail = TrainingRun::stateName(r.state);
        if (!loss.isEmpty()) detail += tr(" · step %1, loss %2").arg(loss.last().x()).arg(loss.last().y(), 0, 'f', 4);
        if (!held.isEmpty()) detail += tr(" · held-out %1").arg(held.last().y(), 0, 'f', 4);
        row(g, r.label(), detail, QStringLiteral("training"), r.outDir);
    }
    finish(g);
    tree_->expandAll();
    summary_->setText(total ? tr("%1 item(s) open. Double-click one to show its panel.").arg(total)
                            : tr("Nothing is open yet: drop a model folder, a tokenizer, a corpus or a vectors file on the window."));
}

QStringList WorkspaceOverview::lines() const {
    QStringList out;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* g = tree_->topLevelItem(i);
        const QString title = g->text(0).section(QStringLiteral(" ("), 0, 0);
        for (int c = 0; c < g->childCount(); ++c) {
            const QTreeWidgetItem* it = g->child(c);
            out << QStringList{title, it->text(0), it->text(1), it->data(0, kPanelRole).toString()}.join(QLatin1Char('\t'));
        }
    }
    return out;
}

}  // namespace embedlab
