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

class Workspace : public QObject {
    Q_OBJECT
public:
    explicit Workspace(MainWindow* window);

    // Opens the default workspace if one is found; returns the folder used ("" if none).
    QString openDefault();
    static QString defaultWorkspaceDir();

private:
    MainWindow* window_;
};

}  // namespace embedlab
