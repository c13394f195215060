#include "ui/workspace/workspace.h"

#include "ui/ablation/ablation_view.h"
#include "ui/evaluation/evaluation_panel.h"
#include "ui/training/training_view.h"
#include "ui/workspace/workspace_overview.h"
#include "ui/training/static_view.h"
#include "ui/training/tokenizer_build_view.h"
#include "ui/transfer/transfer_view.h"

#include <QTabWidget>
#include "ui/generation/generation_view.h"
#include "ui/generation/lens_view.h"
#include "ui/common/gl_support.h"
#include "ui/log/log_panel.h"
#include "ui/map/map_workbench.h"
#include "ui/mainwindow/main_window.h"
#include "ui/models/models_panel.h"
#include "ui/similarity/similarity_panel.h"
#include "ui/tokenizers/tokenizer_lab.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QLabel>
#include <QDockWidget>
#include <QMessageBox>
#include <QFileDialog>
#include <QMenu>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace embedlab {

namespace {

// The window itself in a session: dock layout and sizes (QMainWindow::saveState) and the panel in front.
class WindowParticipant : public SessionParticipant {
public:
    explicit WindowParticipant(MainWindow* w) : w_(w) {}
    QString sessionKey() const override { return QStringLiteral("window"); }
    QJsonObject saveSession() const override {
        QString front;
        for (const QString& id : w_->panelIds()) {
            QDockWidget* d = w_->panelDock(id);
            if (d && d->isVisible() && !d->visibleRegion().isEmpty()) front = id;
        }
        return {{QStringLiteral("state"), QString::fromLatin1(w_->saveState().toBase64())},
                {QStringLiteral("front"), front}};
    }
    void restoreSession(const QJsonObject& state, SessionReport&) override {
        if (state.isEmpty()) return;
        w_->restoreState(QByteArray::fromBase64(state.value(QStringLiteral("state")).toString().toLatin1()));
        if (QDockWidget* d = w_->panelDock(state.value(QStringLiteral("front")).toString())) d->raise();
    }

private:
    MainWindow* w_;
};

}  // namespace

Workspace::~Workspace() = default;

Workspace::Workspace(MainWindow* window) : QObject(window), window_(window) {
    JobRunner* runner = window->runner();
    state_ = new WorkspaceState(runner, this);
    models_ = new ModelsPanel(runner, state_);
    lab_ = new TokenizerLab(runner);
    generation_ = new GenerationView(runner);
    // The map is an OpenGL view; without OpenGL (e.g. QT_QPA_PLATFORM=offscreen) the panel says so
    // instead of crashing, and `embedlab-cli project` remains available.
    map_ = openGLAvailable() ? new MapWorkbench(runner) : nullptr;
    if (map_) {
        window->setPanel(QStringLiteral("map"), map_);
    } else {
        auto* note = new QLabel(tr("The embedding map needs OpenGL, which this session does not have (platform "
                                   "'%1'). Run embedlab in a desktop session (or under xvfb-run); headless "
                                   "projections work with embedlab-cli project.")
                                    .arg(QGuiApplication::platformName()));
        note->setWordWrap(true);
        note->setAlignment(Qt::AlignTop | Qt::AlignLeft);
        window->setPanel(QStringLiteral("map"), note);
    }
    window->setPanel(QStringLiteral("models"), models_);
    window->setPanel(QStringLiteral("tokenizers"), lab_);
    // The Generation panel: generation and the logit lens, on the same model.
    lens_ = new LensView(runner);
    auto* genTabs = new QTabWidget;
    genTabs->setObjectName(QStringLiteral("generationTabs"));
    genTabs->addTab(generation_, tr("Generate"));
    genTabs->addTab(lens_, tr("Logit lens"));
    window->setPanel(QStringLiteral("generation"), genTabs);
    similarity_ = new SimilarityPanel(runner);
    evaluation_ = new EvaluationPanel(runner, state_->evaluationRows());
    window->setPanel(QStringLiteral("similarity"), similarity_);
    window->setPanel(QStringLiteral("evaluation"), evaluation_);
    ablation_ = new AblationView(runner);
    window->setPanel(QStringLiteral("ablations"), ablation_);
    // The Transfer / training panel: two tabs, one per view.
    training_ = new TrainingView(runner, state_->trainingRuns());
    transfer_ = new TransferView(runner);
    auto* tabs = new QTabWidget;
    tabs->setObjectName(QStringLiteral("transferTrainingTabs"));
    tabs->addTab(transfer_, tr("Transfer"));
    tabs->addTab(training_, tr("Training"));
    static_ = new StaticEmbeddingsView(runner);
    tabs->addTab(static_, tr("Static embeddings"));
    tokenizerBuild_ = new TokenizerBuildView(runner);
    tabs->addTab(tokenizerBuild_, tr("Tokenizer"));
    window->setPanel(QStringLiteral("training"), tabs);
    // A transferred or cut model opens in Models, where every other panel can use it.
    connect(transfer_, &TransferView::transferred, this, [this](const QString& dir) {
        window_->log()->append(LogPanel::Level::Info, tr("Transferred model written to %1").arg(dir));
        models_->loadModel(dir);
    });
    connect(transfer_, &TransferView::surgeryDone, this, [this](const QString& dir) {
        window_->log()->append(LogPanel::Level::Info, tr("Cut model written to %1").arg(dir));
        models_->loadModel(dir);
    });
    connect(static_, &StaticEmbeddingsView::trained, this, [this](const QString& path) {
        window_->log()->append(LogPanel::Level::Info, tr("Static vectors written to %1").arg(path));
    });
    connect(static_, &StaticEmbeddingsView::trainingFailed, this, [this](const QString& m) {
        window_->log()->append(LogPanel::Level::Error, tr("Static embeddings: %1").arg(m));
    });
    connect(static_, &StaticEmbeddingsView::showOnMap, window, &MainWindow::vectorsOpened);
    connect(tokenizerBuild_, &TokenizerBuildView::built, this, [this](const QString& path) {
        window_->log()->append(LogPanel::Level::Info, tr("Tokenizer written to %1").arg(path));
    });
    connect(tokenizerBuild_, &TokenizerBuildView::buildFailed, this, [this](const QString& m) {
        window_->log()->append(LogPanel::Level::Error, tr("Tokenizer: %1").arg(m));
    });
    connect(tokenizerBuild_, &TokenizerBuildView::openInLab, this, [this](const QString& path) { window_->openPath(path); });
    connect(transfer_, &TransferView::transferFailed, this, [this](const QString& m) {
        window_->log()->append(LogPanel::Level::Error, tr("Transfer: %1").arg(m));
    });
    connect(transfer_, &TransferView::surgeryFailed, this, [this](const QString& m) {
        window_->log()->append(LogPanel::Level::Error, tr("Surgery: %1").arg(m));
    });
    training_->setDevice(window->currentDevice());
    connect(window, &MainWindow::deviceChanged, training_, &TrainingView::setDevice);
    // A finished run's model opens in Models, where every other panel can use it.
    connect(training_, &TrainingView::modelTrained, this, [this](const QString& dir) {
        window_->log()->append(LogPanel::Level::Info, tr("Trained model written to %1").arg(dir));
        models_->loadModel(dir);
    });
    connect(training_, &TrainingView::trainingFailed, this, [this](const QString& m) {
        window_->log()->append(LogPanel::Level::Error, tr("Training: %1").arg(m));
    });
    models_->setDefaultDevice(window->currentDevice());

    connect(window, &MainWindow::modelFolderOpened, models_, &ModelsPanel::loadModel);
    connect(window, &MainWindow::tokenizerOpened, lab_, &TokenizerLab::loadTokenizer);
    connect(window, &MainWindow::deviceChanged, models_, &ModelsPanel::setDefaultDevice);
    connect(window, &MainWindow::vectorsOpened, this, [this](const QString& path) {
        window_->panelDock(QStringLiteral("map"))->raise();
        if (map_)
            map_->openVectors(path);
        else
            window_->log()->append(LogPanel::Level::Error,
                                   tr("Cannot show %1 on the map: this session has no OpenGL.").arg(path));
    });
    connect(window, &MainWindow::corpusOpened, similarity_, &SimilarityPanel::openCorpus);
    connect(window, &MainWindow::corpusOpened, this, [this](const QString& path) {
        if (lab_->tokenizerCount() > 0) {
            lab_->compareOnCorpus(path);
            window_->log()->append(LogPanel::Level::Info,
                                   tr("Comparing %1 tokenizer(s) on %2").arg(lab_->tokenizerCount()).arg(path));
        }
    });
    auto select = [this](int i) {
        if (i < 0 || i >= models_->modelCount()) return;
        const ModelInfo info = models_->info(i);
        generation_->setModel(models_->session(i), info.name, info.causal);
        lens_->setModel(models_->session(i), info.name, info.causal);
        similarity_->setModel(models_->session(i), info);
        if (map_) map_->setModel(models_->session(i), info.name, info.path);
        training_->setCurrentModelFolder(info.path);
        ablation_->setCurrentModelFolder(info.path);
        transfer_->setCurrentModelFolder(info.path);
    };
    connect(models_, &ModelsPanel::currentModelChanged, this, select);
    connect(models_, &ModelsPanel::infoChanged, evaluation_, [this](int i) { evaluation_->updateModel(i, models_->info(i)); });
    connect(models_, &ModelsPanel::modelLoaded, this, [this, select](int i) {
        const ModelInfo info = models_->info(i);
        window_->log()->append(LogPanel::Level::Info,
                               tr("Loaded %1: %2, %3 layers, %4 on %5 (%6 s)")
                                   .arg(info.name, info.architecture)
                                   .arg(info.layers)
                                   .arg(info.dtype, info.device)
                                   .arg(info.loadSeconds, 0, 'f', 2));
        for (const auto& w : info.warnings) window_->log()->append(LogPanel::Level::Warning, info.name + QStringLiteral(": ") + w);
        evaluation_->addModel(models_->session(i), info);
        select(i);
    });
    connect(state_, &WorkspaceState::modelsCleared, evaluation_, &EvaluationPanel::clearModels);

    // The Logit lens view's "Trajectory on the map": the map loads the prompt's hidden states on the
    // same (current) model and follows the chosen token.
    connect(lens_, &LensView::followOnMap, this, [this](const QString& prompt, int position, bool addSpecial) {
        if (!map_) {
            window_->log()->append(LogPanel::Level::Error, tr("Cannot draw the trajectory: this session has no OpenGL."));
            return;
        }
        window_->panelDock(QStringLiteral("map"))->show();
        window_->panelDock(QStringLiteral("map"))->raise();
        map_->followToken(prompt, position, addSpecial);
    });
    // What is open, in one place: the panels that open tokenizers, corpora, stores and map sources
    // list them in the state; the Workspace panel shows the state.
    lab_->setOpenItems(state_->openItems());
    similarity_->setOpenItems(state_->openItems());
    if (map_) map_->setOpenItems(state_->openItems());
    overview_ = new WorkspaceOverview(state_, [window](const QString& id) {
        const QDockWidget* d = window->panelDock(id);
        return d ? d->windowTitle() : id;
    });
    window->setPanel(QStringLiteral("workspace"), overview_);
    connect(overview_, &WorkspaceOverview::showPanel, window, [this, window, tabs](const QString& id) {
        if (QDockWidget* d = window->panelDock(id)) {
            d->show();
            d->raise();
        }
        if (id == QLatin1String("training")) tabs->setCurrentWidget(training_);  // runs live in the Training tab
    });

    // Sessions: every panel with a view takes part; models are the state's own.
    state_->addParticipant(lab_);
    state_->addParticipant(similarity_);
    state_->addParticipant(evaluation_);
    state_->addParticipant(training_);
    state_->addParticipant(transfer_);
    state_->addParticipant(static_);
    state_->addParticipant(tokenizerBuild_);
    if (map_) state_->addParticipant(map_);
    state_->addParticipant(generation_);
    state_->addParticipant(lens_);
    state_->addParticipant(ablation_);
    windowParticipant_ = std::make_unique<WindowParticipant>(window);
    state_->addParticipant(windowParticipant_.get());
    connect(state_, &WorkspaceState::sessionRestored, this, [this](const SessionReport& r) {
        lastMissing_ = r.missing;
        for (const QString& m : r.missing)
            window_->log()->append(LogPanel::Level::Warning, tr("Session: missing %1 (the rest was restored)").arg(m));
        for (const QString& p : r.problems) window_->log()->append(LogPanel::Level::Error, tr("Session: %1").arg(p));
        window_->log()->append(LogPanel::Level::Info, tr("Session restored%1.")
                                                          .arg(r.missing.isEmpty() ? QString()
                                                                                   : tr(" (%1 missing)").arg(r.missing.size())));
        Q_EMIT sessionRestored();
    });
    // Anything a job finished may be worth keeping: autosave writes within the minute.
    connect(runner, &JobRunner::jobSucceeded, state_, [this] { state_->markDirty(); });
    installSessionMenu();
    autosaveTimer_ = new QTimer(this);
    autosaveTimer_->setInterval(60 * 1000);
    connect(autosaveTimer_, &QTimer::timeout, this, [this] {
        if (state_->isDirty()) autosave();
    });
    autosaveTimer_->start();
    connect(window, &MainWindow::closing, this, [this] { autosave(); });
}

void Workspace::installSessionMenu() {
    QMenu* file = window_->fileMenu();
    QAction* before = window_->fileMenuAnchor();
    auto* save = new QAction(tr("&Save session…"), file);
    save->setShortcut(QKeySequence::Save);
    connect(save, &QAction::triggered, this, [this] {
        QString f = QFileDialog::getSaveFileName(window_, tr("Save session"),
                                                 state_->sessionPath().isEmpty() ? QStringLiteral("session.embedlab.json")
                                                                                 : state_->sessionPath(),
                                                 tr("embedlab sessions (*.json)"));
        if (!f.isEmpty()) saveSession(f);
    });
    auto* open = new QAction(tr("Open session…"), file);
    connect(open, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(window_, tr("Open session"), QString(),
                                                       tr("embedlab sessions (*.json);;All files (*)"));
        if (!f.isEmpty() && confirmReplacingTheWorkspace()) openSession(f);
    });
    recentSessions_ = new QMenu(tr("Recent sessions"), file);
    recentSessions_->setObjectName(QStringLiteral("recentSessionsMenu"));
    file->insertAction(before, save);
    file->insertAction(before, open);
    file->insertMenu(before, recentSessions_);
    file->insertSeparator(before);
    rebuildRecentSessions();
}

bool Workspace::saveSession(const QString& path) {
    QString err;
    if (!state_->saveSession(path, &err)) {
        window_->log()->append(LogPanel::Level::Error, tr("Cannot save the session: %1").arg(err));
        window_->statusBar()->showMessage(tr("Session not saved: %1").arg(err), 8000);
        return false;
    }
    addRecentSession(path);
    window_->log()->append(LogPanel::Level::Info, tr("Session saved to %1").arg(path));
    window_->statusBar()->showMessage(tr("Session saved"), 4000);
    return true;
}

bool Workspace::confirmReplacingTheWorkspace() {
    if (!training_->running()) return true;
    return QMessageBox::question(window_, tr("Open session"),
                                 tr("A training run is going. Opening a session replaces the workspace and stops "
                                    "the run; its checkpoints stay (Resume from checkpoint… continues it). Open "
                                    "the session?")) == QMessageBox::Yes;
}

bool Workspace::openSession(const QString& path) {
    QString err;
    lastMissing_.clear();
    if (!state_->openSession(path, &err)) {
        window_->log()->append(LogPanel::Level::Error, err);
        window_->statusBar()->showMessage(err, 10000);
        return false;
    }
    if (QFileInfo(path).absoluteFilePath() != QFileInfo(WorkspaceState::autosavePath()).absoluteFilePath())
        addRecentSession(path);
    window_->log()->append(LogPanel::Level::Info, tr("Opening session %1").arg(path));
    return true;
}

bool Workspace::restoreAutosave() {
    const QString a = WorkspaceState::autosavePath();
    if (!QFileInfo::exists(a)) return false;
    return openSession(a);
}

void Workspace::autosave() {
    if (state_->isRestoring()) return;
    QString err;
    if (!state_->saveSession(WorkspaceState::autosavePath(), &err))
        window_->log()->append(LogPanel::Level::Warning, tr("Autosave failed: %1").arg(err));
}

QStringList Workspace::recentSessions() const {
    return QSettings().value(QStringLiteral("recentSessions")).toStringList();
}

void Workspace::addRecentSession(const QString& path) {
    QStringList r = recentSessions();
    const QString abs = QFileInfo(path).absoluteFilePath();
    r.removeAll(abs);
    r.prepend(abs);
    while (r.size() > 10) r.removeLast();
    QSettings().setValue(QStringLiteral("recentSessions"), r);
    rebuildRecentSessions();
}

void Workspace::rebuildRecentSessions() {
    if (!recentSessions_) return;
    recentSessions_->clear();
    const QStringList r = recentSessions();
    for (const QString& p : r) {
        QAction* a = recentSessions_->addAction(p);
        connect(a, &QAction::triggered, this, [this, p] {
            if (confirmReplacingTheWorkspace()) openSession(p);
        });
    }
    recentSessions_->setEnabled(!r.isEmpty());
}

QString Workspace::defaultWorkspaceDir() {
    QStringList candidates;
    const QString env = qEnvironmentVariable("EMBEDLAB_WORKSPACE");
    if (!env.isEmpty()) candidates << env;
    const QString exeDir = QCoreApplication::applicationDirPath();
    candidates << exeDir + QStringLiteral("/../share/embedlab/workspace");
    candidates << exeDir + QStringLiteral("/../../data/workspace");  // build/bin → source/data
    for (const QString& c : candidates)
        if (QFileInfo::exists(c + QStringLiteral("/workspace.json"))) return QDir(c).canonicalPath();
    return {};
}

QString Workspace::openDefault() {
    const QString dir = defaultWorkspaceDir();
    if (dir.isEmpty()) {
        window_->log()->append(LogPanel::Level::Info,
                               tr("No default workspace found; drop files to start (run packaging/setup-workspace.sh "
                                  "to build the offline default workspace)."));
        return {};
    }
    QFile f(dir + QStringLiteral("/workspace.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        window_->log()->append(LogPanel::Level::Error,
                               tr("The default workspace %1 has an invalid workspace.json: %2").arg(dir, err.errorString()));
        return {};
    }
    // The map's projection for what the workspace opens (e.g. PCA over cosine for word vectors).
    const QJsonObject mapSettings = doc.object().value(QStringLiteral("map")).toObject();
    if (map_ && !mapSettings.isEmpty()) {
        ProjectionParams p = map_->projectionParams();
        p.method = mapSettings.value(QStringLiteral("method")).toString(p.method);
        p.metric = mapSettings.value(QStringLiteral("metric")).toString(p.metric);
        p.dims = mapSettings.value(QStringLiteral("dims")).toInt(p.dims);
        map_->setProjectionParams(p);
    }
    const QJsonArray open = doc.object().value(QStringLiteral("open")).toArray();
    for (const auto& v : open) {
        QString p = v.toString();
        if (QFileInfo(p).isRelative()) p = dir + QLatin1Char('/') + p;
        window_->openPath(p);
    }
    window_->log()->append(LogPanel::Level::Info, tr("Default workspace: %1").arg(dir));
    return dir;
}

}  // namespace embedlab
