// embedlab ui — the jobs area: one row per queued/running job of either lane (interactive, long) with
// its lane, a progress bar, ETA, a pause/resume button for long jobs and a cancel button; a long job
// held for the interactive lane says so. A job that streams metric points (a training loss, a sweep's
// scores) gets a live line chart in its row, one series per metric. Rows of finished jobs fade out of
// the list after a few seconds (a row with a chart stays until the next job of its lane finishes).
#pragma once

#include "app/bridge/job_runner.h"

#include <QHash>
#include <QWidget>

class QVBoxLayout;
class QProgressBar;
class QLabel;
class QPushButton;
class QChartView;
class QLineSeries;

namespace embedlab {

class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobRunner* runner, QWidget* parent = nullptr);
    int rowCount() const { return rows_.size(); }
    // For tests: the cancel button of a job's row (nullptr if none).
    QPushButton* cancelButton(JobId id) const;
    QProgressBar* progressBar(JobId id) const;
    QPushButton* pauseButton(JobId id) const;  // long-lane jobs only
    QString rowText(JobId id) const;
    // The chart of a job's metric points (nullptr until its first point).
    QChartView* metricChart(JobId id) const;
    // Points of one metric of a job, in arrival order.
    QVector<QPointF> metricPoints(JobId id, const QString& name) const;

private:
    struct Row {
        QWidget* widget = nullptr;
        QLabel* label = nullptr;
        QProgressBar* bar = nullptr;
        QPushButton* cancel = nullptr;
        QPushButton* pause = nullptr;
        QLabel* lane = nullptr;
        QChartView* chart = nullptr;
        QHash<QString, QLineSeries*> series;
    };
    void addPoint(JobId id, const QString& name, double step, double value);
    void addRow(JobId id, const QString& name, JobLane lane);
    void finishRow(JobId id, const QString& status);

    JobRunner* runner_;
    QVBoxLayout* list_;
    QLabel* empty_;
    QHash<JobId, Row> rows_;
    QHash<JobId, Row> finished_;  // rows shown after their job ended (until they fade)
};

}  // namespace embedlab
