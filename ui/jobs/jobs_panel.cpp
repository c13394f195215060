#include "ui/jobs/jobs_panel.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QValueAxis>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

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
    connect(runner_, &JobRunner::jobMetric, this, &JobsPanel::addPoint);
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
    // One line of controls; a chart of the job's metrics goes below it when points arrive.
    auto* v = new QVBoxLayout(r.widget);
    v->setContentsMargins(0, 0, 0, 0);
    auto* h = new QHBoxLayout;
    v->addLayout(h);
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
    const bool charted = it->chart != nullptr;
    finished_.insert(id, *it);
    rows_.erase(it);
    // A row with a chart of its metrics stays a minute, so its curves can be read after the end.
    QTimer::singleShot(charted ? 60000 : 4000, w, [this, w, id] {
        finished_.remove(id);
        w->deleteLater();
        if (rows_.isEmpty()) empty_->show();
    });
}

QPushButton* JobsPanel::cancelButton(JobId id) const {
    auto it = rows_.find(id);
    return it == rows_.end() ? nullptr : it->cancel;
}

void JobsPanel::addPoint(JobId id, const QString& name, double step, double value) {
    auto it = rows_.find(id);
    if (it == rows_.end() || !std::isfinite(value) || !std::isfinite(step)) return;
    Row& r = *it;
    if (!r.chart) {
        auto* chart = new QChart;
        chart->setMargins(QMargins(2, 2, 2, 2));
        chart->legend()->setAlignment(Qt::AlignRight);
        auto* x = new QValueAxis;
        x->setTitleText(tr("step"));
        x->setLabelFormat(QStringLiteral("%g"));
        auto* y = new QValueAxis;
        y->setLabelFormat(QStringLiteral("%.3g"));
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        r.chart = new QChartView(chart, r.widget);
        r.chart->setObjectName(QStringLiteral("metricChart%1").arg(id));
        r.chart->setRenderHint(QPainter::Antialiasing);
        r.chart->setMinimumHeight(160);
        static_cast<QBoxLayout*>(r.widget->layout())->addWidget(r.chart);
    }
    QLineSeries*& series = r.series[name];
    QChart* chart = r.chart->chart();
    if (!series) {
        series = new QLineSeries;
        series->setName(name);
        chart->addSeries(series);
        for (QAbstractAxis* a : chart->axes()) series->attachAxis(a);
    }
    series->append(step, value);
    // Axes follow the data of every series.
    double x0 = step, x1 = step, y0 = value, y1 = value;
    for (QLineSeries* s : std::as_const(r.series))
        for (const QPointF& p : s->points()) {
            x0 = std::min(x0, p.x());
            x1 = std::max(x1, p.x());
            y0 = std::min(y0, p.y());
            y1 = std::max(y1, p.y());
        }
    const auto xs = chart->axes(Qt::Horizontal), ys = chart->axes(Qt::Vertical);
    if (!xs.isEmpty()) xs.first()->setRange(x0, x1 > x0 ? x1 : x0 + 1);
    const double pad = y1 > y0 ? 0.05 * (y1 - y0) : 0.5;
    if (!ys.isEmpty()) ys.first()->setRange(y0 - pad, y1 + pad);
}

QChartView* JobsPanel::metricChart(JobId id) const {
    auto it = rows_.find(id);
    if (it != rows_.end()) return it->chart;
    auto f = finished_.find(id);
    return f == finished_.end() ? nullptr : f->chart;
}

QVector<QPointF> JobsPanel::metricPoints(JobId id, const QString& name) const {
    const Row* r = nullptr;
    if (auto it = rows_.find(id); it != rows_.end()) r = &*it;
    else if (auto f = finished_.find(id); f != finished_.end()) r = &*f;
    if (!r || !r->series.contains(name)) return {};
    const QList<QPointF> pts = r->series.value(name)->points();
    return QVector<QPointF>(pts.begin(), pts.end());
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
