#include "workspace/workspace.h"

#include "evaluation/evaluation_panel.h"
#include "generation/generation_view.h"
#include "common/gl_support.h"
#include "log/log_panel.h"
#include "map/map_workbench.h"
#include "mainwindow/main_window.h"
#include "models/models_panel.h"
#include "similarity/similarity_panel.h"
#include "tokenizers/tokenizer_lab.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QLabel>
#include <QDockWidget>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace embedlab {

Workspace::Workspace(MainWindow* window) : QObject(window), window_(window) {
    JobRunner* runner = window->runner();
    models_ = new ModelsPanel(runner);
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
    window->setPanel(QStringLiteral("generation"), generation_);
    similarity_ = new SimilarityPanel(runner);
    evaluation_ = new EvaluationPanel(runner);
    window->setPanel(QStringLiteral("similarity"), similarity_);
    window->setPanel(QStringLiteral("evaluation"), evaluation_);
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
        similarity_->setModel(models_->session(i), info);
        if (map_) map_->setModel(models_->session(i), info.name);
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
