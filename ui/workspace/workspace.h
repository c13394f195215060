// embedlab ui — the workspace: what is open (models, tokenizers, corpora, vectors) and the glue
// that routes opened paths to the panels that show them.
//
// What is open lives in the WorkspaceState (app/state/workspace_state.h); the panels observe it and
// take part in sessions: File ▸ Save session / Open session / Recent sessions, an autosave every
// minute and on quit (docs/sessions.md).
//
// The default workspace is a folder with a workspace.json ({"open": ["relative/or/absolute", ...]})
// found at $EMBEDLAB_WORKSPACE, else <exe>/../share/embedlab/workspace, else the source tree's
// data/workspace (made by packaging/setup-workspace.sh from Debian and npm packages; nothing is
// fetched at run time).
#pragma once

#include "app/state/workspace_state.h"

#include <QObject>
#include <QStringList>

#include <memory>

class QMenu;
class QTimer;

namespace embedlab {

class MainWindow;
class ModelsPanel;
class TokenizerLab;
class GenerationView;
class MapWorkbench;
class SimilarityPanel;
class EvaluationPanel;
class TrainingView;
class TransferView;
class StaticEmbeddingsView;
class TokenizerBuildView;
class LensView;
class AblationView;
class WorkspaceOverview;

class Workspace : public QObject {
    Q_OBJECT
public:
    // Installs the implemented panels into `window` and routes opened paths to them.
    explicit Workspace(MainWindow* window);
    ~Workspace() override;

    // Opens the default workspace if one is found; returns the folder used ("" if none).
    QString openDefault();
    static QString defaultWorkspaceDir();

    ModelsPanel* models() const { return models_; }
    TokenizerLab* tokenizerLab() const { return lab_; }
    GenerationView* generation() const { return generation_; }
    MapWorkbench* map() const { return map_; }  // null when this session has no OpenGL
    SimilarityPanel* similarity() const { return similarity_; }
    EvaluationPanel* evaluation() const { return evaluation_; }
    TrainingView* training() const { return training_; }
    TransferView* transfer() const { return transfer_; }
    StaticEmbeddingsView* staticEmbeddings() const { return static_; }
    TokenizerBuildView* tokenizerBuild() const { return tokenizerBuild_; }
    LensView* lens() const { return lens_; }
    AblationView* ablation() const { return ablation_; }
    WorkspaceState* state() const { return state_; }
    WorkspaceOverview* overview() const { return overview_; }

    // Sessions. Failures are a message in the log and the status bar; the workspace stays usable.
    bool saveSession(const QString& path);
    // Opening replaces the workspace: a training run still going is stopped (its checkpoints stay).
    // The menu's Open session… and Recent sessions ask first while one is going.
    bool openSession(const QString& path);
    // Restores the autosave if there is one (returns false when there is none or it cannot be read).
    bool restoreAutosave();
    void autosave();
    QStringList recentSessions() const;
    // The last restore's report, as shown in the log.
    QStringList lastMissing() const { return lastMissing_; }

Q_SIGNALS:
    void sessionRestored();

private:
    void installSessionMenu();
    bool confirmReplacingTheWorkspace();
    void addRecentSession(const QString& path);
    void rebuildRecentSessions();

    MainWindow* window_;
    WorkspaceState* state_;
    WorkspaceOverview* overview_ = nullptr;
    QMenu* recentSessions_ = nullptr;
    QTimer* autosaveTimer_ = nullptr;
    QStringList lastMissing_;
    std::unique_ptr<SessionParticipant> windowParticipant_;
    ModelsPanel* models_;
    TokenizerLab* lab_;
    GenerationView* generation_;
    MapWorkbench* map_;
    TrainingView* training_ = nullptr;
    TransferView* transfer_ = nullptr;
    StaticEmbeddingsView* static_ = nullptr;
    TokenizerBuildView* tokenizerBuild_ = nullptr;
    LensView* lens_ = nullptr;
    AblationView* ablation_ = nullptr;
    SimilarityPanel* similarity_;
    EvaluationPanel* evaluation_;
};

}  // namespace embedlab
