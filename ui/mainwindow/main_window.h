// embedlab ui — the main window: a dock-based workspace.
//
// Panels (models, tokenizers, embedding map, similarity, evaluation, ablations, transfer/training,
// generation) are dock widgets that features install with setPanel(); a jobs area, a messages/log
// panel, device and thread selectors in the toolbar, drag-and-drop routed by kind, recent files,
// and settings kept with QSettings (organisation "embedlab", application "embedlab").
#pragma once

#include "app/bridge/engine_info.h"
#include "app/bridge/job_runner.h"

#include <QHash>
#include <QMainWindow>
#include <QStringList>

class QComboBox;
class QSpinBox;
class QDockWidget;
class QMenu;
class QLabel;
class QAction;

namespace embedlab {

class LogPanel;
class JobsPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(JobRunner* runner, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Panel ids: "models", "tokenizers", "map", "similarity", "evaluation", "ablations", "training",
    // "generation". Replaces the panel's content with `w` (the window takes ownership).
    void setPanel(const QString& id, QWidget* w);
    QDockWidget* panelDock(const QString& id) const;
    QStringList panelIds() const;

    // Opens a file or folder as if it had been dropped: classifies it and emits the matching signal,
    // or writes a clear message to the log. Returns the kind it was routed as.
    PathKind openPath(const QString& path);

    QStringList recentFiles() const;
    QString currentDevice() const;
    int currentThreads() const;
    LogPanel* log() const { return log_; }
    JobsPanel* jobs() const { return jobs_; }
    JobRunner* runner() const { return runner_; }
    // The File menu, and the action before which features insert their own (session actions ...).
    QMenu* fileMenu() const { return fileMenu_; }
    QAction* fileMenuAnchor() const { return fileAnchor_; }

Q_SIGNALS:
    void modelFolderOpened(const QString& path);
    void tokenizerOpened(const QString& path);
    void corpusOpened(const QString& path);
    void vectorsOpened(const QString& path);
    void deviceChanged(const QString& device);
    void threadsChanged(int threads);
    void closing();  // the window is closing (autosave)

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;
    void closeEvent(QCloseEvent* e) override;

private:
    void buildMenus();
    void buildToolbar();
    void buildDocks();
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void restoreSettings();

    JobRunner* runner_;
    LogPanel* log_ = nullptr;
    JobsPanel* jobs_ = nullptr;
    QComboBox* device_ = nullptr;
    QSpinBox* threads_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QMenu* fileMenu_ = nullptr;
    QAction* fileAnchor_ = nullptr;
    QLabel* status_ = nullptr;
    QHash<QString, QDockWidget*> panels_;
    QHash<JobId, QString> jobNames_;  // queued or running, for their log lines
    QStringList panelOrder_;
};

}  // namespace embedlab
