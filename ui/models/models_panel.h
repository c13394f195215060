// embedlab ui — the Models panel: load model folders (dialog or drop), list them, show architecture,
// parameter counts split into embedding and body, memory, device and dtype; move a model to another
// device or dtype at run time. The models themselves live in the WorkspaceState (app/state), which
// this panel observes and which every other panel shares.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/model_jobs.h"
#include "app/state/workspace_state.h"

#include <QHash>
#include <QVector>
#include <QWidget>

class QListWidget;
class QLabel;
class QComboBox;
class QPushButton;
class QTextBrowser;

namespace embedlab {

class ModelsPanel : public QWidget {
    Q_OBJECT
public:
    // Without a state the panel keeps one of its own (tests, tools).
    explicit ModelsPanel(JobRunner* runner, WorkspaceState* state = nullptr, QWidget* parent = nullptr);

    JobId loadModel(const QString& path);
    int modelCount() const { return state_->modelCount(); }
    ModelInfo info(int i) const { return state_->model(i).info; }
    ModelSessionPtr session(int i) const { return state_->model(i).session; }
    WorkspaceState* state() const { return state_; }
    int currentIndex() const;
    void setCurrentIndex(int i);
    // Moves the current model (a job); infoChanged follows.
    JobId moveCurrent(const QString& device, const QString& dtype);
    QString detailsText() const;

    void setDefaultDevice(const QString& device) { defaultDevice_ = device; }

    static QString formatCount(qint64 n);
    static QString formatBytes(qint64 n);

Q_SIGNALS:
    void modelLoaded(int index);
    void infoChanged(int index);
    void currentModelChanged(int index);

private:
    void refreshDetails();
    void rebuildList();

    JobRunner* runner_;
    WorkspaceState* state_;
    QListWidget* list_;
    QTextBrowser* details_;
    QComboBox* device_;
    QComboBox* dtype_;
    QPushButton* apply_;
    QString defaultDevice_ = QStringLiteral("cpu");
};

}  // namespace embedlab
