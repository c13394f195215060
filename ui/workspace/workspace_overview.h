// embedlab ui — the Workspace panel: everything the workspace has open, read from WorkspaceState
// and kept current by its signals — models (architecture, layers, device, dtype), tokenizers,
// corpora, vector stores, the map's vector space and projection, evaluation rows and training runs
// (with their state and last loss). A row names the panel that shows the item; double-clicking it
// raises that panel (showPanel). It is a view only: nothing here loads or computes.
#pragma once

#include "app/state/workspace_state.h"

#include <QStringList>

#include <functional>
#include <QWidget>

class QTreeWidget;
class QTreeWidgetItem;
class QLabel;
class QTimer;

namespace embedlab {

class WorkspaceOverview : public QWidget {
    Q_OBJECT
public:
    // `panelTitle` names a panel id for the "Shown in" column (the main window's dock titles).
    WorkspaceOverview(WorkspaceState* state, std::function<QString(const QString&)> panelTitle, QWidget* parent = nullptr);

    QTreeWidget* tree() const { return tree_; }
    // The tree as text, one line per item: "Group\tname\tdetail\tpanel" (groups with no items omitted).
    QStringList lines() const;

Q_SIGNALS:
    void showPanel(const QString& panelId);

private:
    void rebuild();
    void scheduleRebuild(int delayMs);

    WorkspaceState* state_;
    std::function<QString(const QString&)> panelTitle_;
    QTreeWidget* tree_;
    QLabel* summary_;
    QTimer* timer_;
};

}  // namespace embedlab
