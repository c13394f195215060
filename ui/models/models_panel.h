// embedlab ui — the Models panel: load model folders (dialog or drop), list them, show architecture,
// parameter counts split into embedding and body, memory, device and dtype; move a model to another
// device or dtype at run time.
#pragma once

#include "bridge/job_runner.h"
#include "bridge/model_jobs.h"

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
    explicit ModelsPanel(JobRunner* runner, QWidget* parent = nullptr);

    JobId loadModel(const QString& path);
    int modelCount() const { return models_.size(); }
    ModelInfo info(int i) const { return models_.at(i).info; }
    ModelSessionPtr session(int i) const { return models_.at(i).session; }
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
    struct Entry {
        ModelSessionPtr session;
        ModelInfo info;
    };
    void refreshDetails();

    JobRunner* runner_;
    QListWidget* list_;
    QTextBrowser* details_;
    QComboBox* device_;
    QComboBox* dtype_;
    QPushButton* apply_;
    QVector<Entry> models_;
    QHash<JobId, QString> pendingLoads_;
    QHash<JobId, int> pendingMoves_;
    QString defaultDevice_ = QStringLiteral("cpu");
};

}  // namespace embedlab
