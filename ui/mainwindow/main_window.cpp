#include "ui/mainwindow/main_window.h"

#include "ui/jobs/jobs_panel.h"
#include "ui/log/log_panel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>

// The resources live in the static embedlab_ui library; register them once.
static void initEmbedlabResources() { Q_INIT_RESOURCE(resources); }

namespace embedlab {

namespace {

struct PanelSpec {
    const char* id;
    const char* title;
    const char* blurb;
};

// What each panel is for; shown until the feature installs its view with setPanel().
const PanelSpec kPanels[] = {
    {"models", QT_TRANSLATE_NOOP("MainWindow", "Models"),
     QT_TRANSLATE_NOOP("MainWindow", "Drop a Hugging Face model folder (config.json + safetensors) here or on the "
                                     "window. Loaded models, their architecture, parameters, device and dtype "
                                     "appear in this panel.")},
    {"tokenizers", QT_TRANSLATE_NOOP("MainWindow", "Tokenizer lab"),
     QT_TRANSLATE_NOOP("MainWindow", "Drop a tokenizer.json, a SentencePiece .model or a Turkish seed tokenizer "
                                     "folder to compare how tokenizers cut text.")},
    {"map", QT_TRANSLATE_NOOP("MainWindow", "Embedding map"),
     QT_TRANSLATE_NOOP("MainWindow", "Token embeddings, hidden states and corpus vectors projected with PCA, "
                                     "t-SNE and UMAP.")},
    {"similarity", QT_TRANSLATE_NOOP("MainWindow", "Similarity"),
     QT_TRANSLATE_NOOP("MainWindow", "Sentence × sentence heatmaps, semantic search and a pair scorer over a "
                                     "dropped corpus.")},
    {"evaluation", QT_TRANSLATE_NOOP("MainWindow", "Evaluation"),
     QT_TRANSLATE_NOOP("MainWindow", "STS, bitext mining, retrieval, clustering, classification and perplexity "
                                     "with MTEB's definitions.")},
    {"ablations", QT_TRANSLATE_NOOP("MainWindow", "Ablations"),
     QT_TRANSLATE_NOOP("MainWindow", "Dimensions, precision, vocabulary, layers and heads: their effect on the "
                                     "metrics, charted.")},
    {"training", QT_TRANSLATE_NOOP("MainWindow", "Transfer / training"),
     QT_TRANSLATE_NOOP("MainWindow", "Move an embedding layer onto a new tokenizer, adapt it, and train "
                                     "embedding models.")},
    {"generation", QT_TRANSLATE_NOOP("MainWindow", "Generation"),
     QT_TRANSLATE_NOOP("MainWindow", "Generate text with streaming per-token probabilities.")},
    {"workspace", QT_TRANSLATE_NOOP("MainWindow", "Workspace"),
     QT_TRANSLATE_NOOP("MainWindow", "Everything open: models, tokenizers, corpora, vector stores, the map's "
                                     "source and projection, evaluation rows and training runs.")},
};

QWidget* makeIntroPage(const QString& title, const QString& blurb) {
    auto* w = new QWidget;
    auto* l = new QVBoxLayout(w);
    auto* t = new QLabel(QStringLiteral("<h3>%1</h3><p>%2</p>").arg(title.toHtmlEscaped(), blurb.toHtmlEscaped()), w);
    t->setWordWrap(true);
    t->setTextFormat(Qt::RichText);
    t->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    l->addWidget(t);
    l->addStretch(1);
    return w;
}

constexpr int kMaxRecent = 10;

}  // namespace

MainWindow::MainWindow(JobRunner* runner, QWidget* parent) : QMainWindow(parent), runner_(runner) {
    initEmbedlabResources();
    setObjectName(QStringLiteral("embedlabMainWindow"));
    setWindowTitle(QStringLiteral("embedlab"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/embedlab.svg")));
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    resize(1400, 900);

    buildDocks();
    buildToolbar();
    buildMenus();
    status_ = new QLabel(engineVersionLine(), this);
    statusBar()->addPermanentWidget(status_);

    connect(runner_, &JobRunner::jobFailed, this, [this](JobId, const QString& name, const QString& message) {
        log_->append(LogPanel::Level::Error, QStringLiteral("%1: %2").arg(name, message));
    });
    connect(runner_, &JobRunner::jobCancelled, this, [this](JobId, const QString& name) {
        log_->append(LogPanel::Level::Info, tr("%1: cancelled").arg(name));
    });
    // Log lines of a running job (a checkpoint written, a sweep's setting skipped …).
    connect(runner_, &JobRunner::jobQueued, this,
            [this](JobId id, const QString& name, JobLane) { jobNames_.insert(id, name); });
    connect(runner_, &JobRunner::jobLog, this, [this](JobId id, const QString& line) {
        log_->append(LogPanel::Level::Info, QStringLiteral("%1: %2").arg(jobNames_.value(id), line));
    });
    auto forget = [this](JobId id) { jobNames_.remove(id); };
    connect(runner_, &JobRunner::jobSucceeded, this, [forget](JobId id, const QString&, const QString&) { forget(id); });
    connect(runner_, &JobRunner::jobFailed, this, [forget](JobId id, const QString&, const QString&) { forget(id); });
    connect(runner_, &JobRunner::jobCancelled, this, [forget](JobId id, const QString&) { forget(id); });
    restoreSettings();
    log_->append(LogPanel::Level::Info, engineVersionLine());
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
    // The central area holds the map once it exists; until then, a short welcome.
    auto* welcome = makeIntroPage(
        tr("embedlab"),
        tr("A lab for the embeddings of (above all Turkish) language models. Drop a model folder, a tokenizer, a "
           "corpus or a vectors file anywhere on this window."));
    welcome->setObjectName(QStringLiteral("welcomePage"));
    setCentralWidget(welcome);

    QDockWidget* first = nullptr;
    for (const auto& spec : kPanels) {
        const QString id = QString::fromLatin1(spec.id);
        auto* dock = new QDockWidget(tr(spec.title), this);
        dock->setObjectName(QStringLiteral("panel_") + id);
        dock->setWidget(makeIntroPage(tr(spec.title), tr(spec.blurb)));
        dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                          QDockWidget::DockWidgetClosable);
        addDockWidget(Qt::LeftDockWidgetArea, dock);
        if (first)
            tabifyDockWidget(first, dock);
        else
            first = dock;
        panels_.insert(id, dock);
        panelOrder_ << id;
    }
    if (first) first->raise();

    log_ = new LogPanel(this);
    auto* logDock = new QDockWidget(tr("Messages"), this);
    logDock->setObjectName(QStringLiteral("dock_messages"));
    logDock->setWidget(log_);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);

    jobs_ = new JobsPanel(runner_, this);
    auto* jobsDock = new QDockWidget(tr("Jobs"), this);
    jobsDock->setObjectName(QStringLiteral("dock_jobs"));
    jobsDock->setWidget(jobs_);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock);
    splitDockWidget(logDock, jobsDock, Qt::Horizontal);
}

void MainWindow::buildToolbar() {
    auto* tb = addToolBar(tr("Engine"));
    tb->setObjectName(QStringLiteral("toolbar_engine"));
    tb->addWidget(new QLabel(tr(" Device: "), tb));
    device_ = new QComboBox(tb);
    device_->setObjectName(QStringLiteral("deviceCombo"));
    for (const auto& d : engineDevices()) {
        QString label = d.name;
        if (d.name != QLatin1String("cpu")) label += QStringLiteral(" — ") + d.description;
        device_->addItem(label, d.name);
        device_->setItemData(device_->count() - 1, d.description, Qt::ToolTipRole);
    }
    tb->addWidget(device_);
    tb->addWidget(new QLabel(tr("  Threads: "), tb));
    threads_ = new QSpinBox(tb);
    threads_->setObjectName(QStringLiteral("threadsSpin"));
    threads_->setRange(1, std::max(1, engineHardwareThreads() * 2));
    threads_->setValue(engineHardwareThreads());
    tb->addWidget(threads_);

    connect(device_, &QComboBox::currentIndexChanged, this, [this](int) {
        const QString d = currentDevice();
        QSettings().setValue(QStringLiteral("engine/device"), d);
        log_->append(LogPanel::Level::Info, tr("Device: %1").arg(d));
        Q_EMIT deviceChanged(d);
    });
    connect(threads_, &QSpinBox::valueChanged, this, [this](int n) {
        // Thread settings apply to each lane's next operation (LibTorch keeps them per thread).
        const int now = engineSetThreads(n);
        runner_->setThreadCount(n);
        QSettings().setValue(QStringLiteral("engine/threads"), n);
        Q_EMIT threadsChanged(now);
    });
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    fileMenu_ = file;
    QAction* openModel = file->addAction(tr("Open &model folder…"));
    connect(openModel, &QAction::triggered, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"));
        if (!dir.isEmpty()) openPath(dir);
    });
    QAction* openFile = file->addAction(tr("&Open file…"));
    openFile->setShortcut(QKeySequence::Open);
    connect(openFile, &QAction::triggered, this, [this] {
        const QString f = QFileDialog::getOpenFileName(
            this, tr("Open a tokenizer, corpus or vectors file"), QString(),
            tr("Supported (*.json *.json.gz *.model *.txt *.md *.csv *.tsv *.jsonl *.npy *.safetensors *.vec *.bin);;"
               "All files (*)"));
        if (!f.isEmpty()) openPath(f);
    });
    recentMenu_ = file->addMenu(tr("&Recent"));
    rebuildRecentMenu();
    fileAnchor_ = file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (const QString& id : panelOrder_) view->addAction(panels_[id]->toggleViewAction());

    QMenu* jobs = menuBar()->addMenu(tr("&Jobs"));
    QAction* cancelAll = jobs->addAction(tr("Cancel all jobs"));
    connect(cancelAll, &QAction::triggered, runner_, &JobRunner::cancelAll);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About embedlab"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About embedlab"),
                           tr("<b>embedlab</b><br>%1<br>A native lab for embeddings of language models.")
                               .arg(engineVersionLine().toHtmlEscaped()));
    });
}

void MainWindow::setPanel(const QString& id, QWidget* w) {
    QDockWidget* dock = panels_.value(id);
    Q_ASSERT(dock);
    if (!dock) return;
    QWidget* old = dock->widget();
    dock->setWidget(w);
    if (old) old->deleteLater();
}

QDockWidget* MainWindow::panelDock(const QString& id) const { return panels_.value(id); }
QStringList MainWindow::panelIds() const { return panelOrder_; }

QString MainWindow::currentDevice() const {
    return device_->currentData().toString().isEmpty() ? QStringLiteral("cpu") : device_->currentData().toString();
}
int MainWindow::currentThreads() const { return threads_->value(); }

PathKind MainWindow::openPath(const QString& path) {
    QString why;
    const PathKind kind = classifyDroppedPath(path, &why);
    const QString shown = QFileInfo(path).fileName().isEmpty() ? path : QFileInfo(path).fileName();
    switch (kind) {
    case PathKind::ModelFolder:
        addRecent(path);
        log_->append(LogPanel::Level::Info, tr("Opening model folder %1").arg(path));
        panels_[QStringLiteral("models")]->raise();
        Q_EMIT modelFolderOpened(path);
        break;
    case PathKind::Tokenizer:
        addRecent(path);
        log_->append(LogPanel::Level::Info, tr("Opening tokenizer %1").arg(path));
        panels_[QStringLiteral("tokenizers")]->raise();
        Q_EMIT tokenizerOpened(path);
        break;
    case PathKind::Corpus:
        addRecent(path);
        log_->append(LogPanel::Level::Info, tr("Opening corpus %1").arg(path));
        Q_EMIT corpusOpened(path);
        break;
    case PathKind::Vectors:
        addRecent(path);
        log_->append(LogPanel::Level::Info, tr("Opening vectors %1").arg(path));
        Q_EMIT vectorsOpened(path);
        break;
    case PathKind::Missing:
        log_->append(LogPanel::Level::Error, tr("Cannot open %1: it does not exist or cannot be read.").arg(path));
        break;
    case PathKind::Unknown:
        log_->append(LogPanel::Level::Error,
                     tr("Cannot open %1: %2").arg(shown, why.isEmpty() ? tr("unsupported kind of file") : why));
        break;
    }
    statusBar()->showMessage(tr("%1: %2").arg(pathKindName(kind), shown), 5000);
    return kind;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
    if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
    const auto urls = e->mimeData()->urls();
    for (const QUrl& u : urls) {
        if (!u.isLocalFile()) {
            log_->append(LogPanel::Level::Error,
                         tr("Cannot open %1: only local files and folders can be dropped (embedlab never downloads).")
                             .arg(u.toString()));
            continue;
        }
        openPath(u.toLocalFile());
    }
    e->acceptProposedAction();
}

QStringList MainWindow::recentFiles() const {
    return QSettings().value(QStringLiteral("recentFiles")).toStringList();
}

void MainWindow::addRecent(const QString& path) {
    QStringList r = recentFiles();
    const QString abs = QFileInfo(path).absoluteFilePath();
    r.removeAll(abs);
    r.prepend(abs);
    while (r.size() > kMaxRecent) r.removeLast();
    QSettings().setValue(QStringLiteral("recentFiles"), r);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    if (!recentMenu_) return;
    recentMenu_->clear();
    const QStringList r = recentFiles();
    for (const QString& p : r) {
        QAction* a = recentMenu_->addAction(p);
        connect(a, &QAction::triggered, this, [this, p] { openPath(p); });
    }
    recentMenu_->setEnabled(!r.isEmpty());
}

void MainWindow::restoreSettings() {
    QSettings s;
    const QString dev = s.value(QStringLiteral("engine/device"), engineBestDevice()).toString();
    const int idx = device_->findData(dev);
    if (idx >= 0) device_->setCurrentIndex(idx);
    const int t = s.value(QStringLiteral("engine/threads"), engineHardwareThreads()).toInt();
    threads_->setValue(std::clamp(t, threads_->minimum(), threads_->maximum()));
    engineSetThreads(threads_->value());
    runner_->setThreadCount(threads_->value());
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::closeEvent(QCloseEvent* e) {
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    Q_EMIT closing();
    runner_->cancelAll();
    QMainWindow::closeEvent(e);
}

}  // namespace embedlab
