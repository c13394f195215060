// embedlab ui — the jobs area: one row per queued/running job with a progress bar, ETA and a
// cancel button. Rows of finished jobs fade out of the list after a few seconds.
#pragma once

#include "bridge/job_runner.h"

#include <QHash>
#include <QWidget>

class QVBoxLayout;
class QProgressBar;
class QLabel;
class QPushButton;

namespace embedlab {

class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobRunner* runner, QWidget* parent = nullptr);
    int rowCount() const { return rows_.size(); }
    // For tests: the cancel button of a job's row (nullptr if none).
    QPushButton* cancelButton(JobId id) const;
    QProgressBar* progressBar(JobId id) const;

private:
    struct Row {
        QWidget* widget = nullptr;
        QLabel* label = nullptr;
        QProgressBar* bar = nullptr;
        QPushButton* cancel = nullptr;
    };
    void addRow(JobId id, const QString& name);
    void finishRow(JobId id, const QString& status);

    JobRunner* runner_;
    QVBoxLayout* list_;
    QLabel* empty_;
    QHash<JobId, Row> rows_;
};

}  // namespace embedlab
