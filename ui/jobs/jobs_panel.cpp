#include "ui/jobs/jobs_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>

namespace embedlab {

static QString formatEta(double s) {
    if (s < 0) return {};
    if (s < 60) return QStringLiteral("%1 s left").arg(static_cast<int>(s + 0.5));
    if (s < 3600) return QStringLiteral("%1 min left").arg(static_cast<int>(s / 60 + 0.5));
    return QStringLiteral("%1 h %2 min left").arg(static_cast<int>(s / 3600)).arg(static_cast<int>(s / 60) % 60);
}

JobsPanel::JobsPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(2, 2, 2, 2);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto* inner = new QWidget;
    list_ = new QVBoxLayout(inner);
    list_->setContentsMargins(4, 4, 4, 4);
    empty_ = new QLabel(tr("No jobs running."), inner);
    empty_->setObjectName(QStringLiteral("noJobsLabel"));
    list_->addWidget(empty_);
    list_->addStretch(1);
    scroll->setWidget(inner);
    outer->addWidget(scroll);

    connect(runner_, &JobRunner::jobQueued, this, &JobsPanel::addRow);
    connect(runner_, &JobRunner::jobStarted, this, [this](JobId id, const QString& name) {
        if (!rows_.contains(id)) addRow(id, name, JobLane::Interactive);
        rows_[id].label->setText(name);
    });
    connect(runner_, &JobRunner::jobHeld, this, [this](JobId id, bool held) {
        auto it = rows_.find(id);
        if (it == rows_.end()) return;
        it->lane->setText(held ? tr("long · waiting for interactive") : tr("long"));
    });
    connect(runner_, &JobRunner::jobProgress, this, [this](JobId id, double f, const QString& msg, double eta) {
        auto it = rows_.find(id);
        if (it == rows_.end()) return;
        if (f < 0) {
            it->bar->setRange(0, 0);
        } else {
            it->bar->setRange(0, 1000);
            it->bar->setValue(static_cast<int>(f * 1000));
        }
        QString text = it->widget->property("jobName").toString();
        if (!msg.isEmpty()) text += QStringLiteral(" — ") + msg;
        const QString e = formatEta(eta);
        if (!e.isEmpty()) text += QStringLiteral(" (") + e + QLatin1Char(')');
        it->label->setText(text);
    });
    connect(runner_, &JobRunner::jobSucceeded, this,
            [this](JobId id, const QString&, const QString&) { finishRow(id, tr("done")); });
    connect(runner_, &JobRunner::jobFailed, this,
            [this](JobId id, const QString&, const QString&) { finishRow(id, tr("failed")); });
    connect(runner_, &JobRunner::jobCancelled, this,
            [this](JobId id, const QString&) { finishRow(id, tr("cancelled")); });
}

void JobsPanel::addRow(JobId id, const QString& name, JobLane lane) {
    if (rows_.contains(id)) return;
    Row r;
    r.widget = new QWidget;
    r.widget->setProperty("jobName", name);
    auto* h = new QHBoxLayout(r.widget);
    h->setContentsMargins(0, 0, 0, 0);
    r.label = new QLabel(name, r.widget);
    r.label->setMinimumWidth(160);
    r.bar = new QProgressBar(r.widget);
    r.bar->setRange(0, 1000);
    r.bar->setTextVisible(false);
    r.lane = new QLabel(jobLaneName(lane), r.widget);
    r.lane->setObjectName(QStringLiteral("jobLane%1").arg(id));
    r.cancel = new QPushButton(tr("Cancel"), r.widget);
    r.cancel->setObjectName(QStringLiteral("cancelJob%1").arg(id));
    connect(r.cancel, &QPushButton::clicked, this, [this, id] { runner_->cancel(id); });
    h->addWidget(r.lane);
    h->addWidget(r.label, 2);
    h->addWidget(r.bar, 3);
    if (lane == JobLane::Long) {
        // Long jobs wait at their next step while paused (Progress::pause), keeping all they hold.
        r.pause = new QPushButton(tr("Pause"), r.widget);
        r.pause->setObjectName(QStringLiteral("pauseJob%1").arg(id));
        r.pause->setCheckable(true);
        connect(r.pause, &QPushButton::toggled, this, [this, id](bool on) {
            if (on) runner_->pause(id);
            else runner_->resume(id);
            auto it = rows_.find(id);
            if (it != rows_.end()) it->pause->setText(on ? tr("Resume") : tr("Pause"));
        });
        h->addWidget(r.pause);
    }
    h->addWidget(r.cancel);
    list_->insertWidget(list_->count() - 1, r.widget);
    rows_.insert(id, r);
    empty_->hide();
}

void JobsPanel::finishRow(JobId id, const QString& status) {
    auto it = rows_.find(id);
    if (it == rows_.end()) return;
    it->cancel->setEnabled(false);
    if (it->pause) it->pause->setEnabled(false);
    it->bar->setRange(0, 1000);
    if (status == tr("done")) it->bar->setValue(1000);
    it->label->setText(it->widget->property("jobName").toString() + QStringLiteral(" — ") + status);
    QWidget* w = it->widget;
    rows_.erase(it);
    QTimer::singleShot(4000, w, [this, w] {
        w->deleteLater();
        if (rows_.isEmpty()) empty_->show();
    });
}

QPushButton* JobsPanel::cancelButton(JobId id) const {
    auto it = rows_.find(id);
    return it == rows_.end() ? nullptr : it->cancel;
}

QPushButton* JobsPanel::pauseButton(JobId id) const {
    auto it = rows_.find(id);
    return it == rows_.end() ? nullptr : it->pause;
}

QString JobsPanel::rowText(JobId id) const {
    auto it = rows_.find(id);
    return it == rows_.end() ? QString() : it->lane->text() + QStringLiteral(" | ") + it->label->text();
}

QProgressBar* JobsPanel::progressBar(JobId id) const {
    auto it = rows_.find(id);
    return it == rows_.end() ? nullptr : it->bar;
}

}  // namespace embedlab
