// embedlab app — the engine job of the Ablation view: tasks::runAblation (the task `embedlab-cli ablate`
// runs) on a study given as its JSON (the study file format, checked by the same parser), on the long
// lane. Rows stream: each finished setting is kept here (under a lock) and announced as the metric point
// "row" (step = its index), so the view can show it while the sweep goes on. Torch-free header.
#pragma once

#include "engine/jobs/job.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <mutex>

namespace embedlab {

struct AblationRowView {
    int index = 0;
    QString setting;
    QJsonObject params;                 // layer, head, dims, bits, keep, coverage ...
    QVector<QPair<QString, double>> metrics;  // "sts.spearman" → value (NaN = not applicable)
    QJsonObject delta;                  // main metric → change from the baseline (null when none)
    qint64 memoryBytes = 0;
    double seconds = 0, sentencesPerSecond = 0;
    QString sample;
};

class AblationJob : public Job {
public:
    // `study`: the study file's JSON; relative paths are taken from `baseDir`; when `outDir` is not empty
    // results.json, results.csv and the charts are written there after every row (as the CLI does).
    AblationJob(QJsonObject study, QString baseDir, QString outDir = {})
        : study_(std::move(study)), baseDir_(std::move(baseDir)), outDir_(std::move(outDir)) {}
    std::string name() const override { return "Ablation study"; }
    // What the engine's study parser says of `study` ("" when it accepts it): unknown fields, missing
    // ones, values out of range — the errors `embedlab-cli ablate` gives for the same file.
    static QString checkStudy(const QJsonObject& study, const QString& baseDir);
    // The evaluation tasks a study's metrics may name (the engine's list).
    static QStringList metricTasks();
    void run(Progress& progress) override;
    std::string summary() const override;

    // Thread-safe: the rows finished so far, the metric columns and the main metrics (known once the
    // baseline is done), and the model's shape.
    QVector<AblationRowView> rows() const;
    QStringList metricKeys() const;
    QStringList mainKeys() const;
    QJsonObject model() const;
    QString resultJson() const;  // results.json's text (complete after success)
    QString resultCsv() const;
    QStringList filesWritten() const;

private:
    QJsonObject study_;
    QString baseDir_, outDir_;
    mutable std::mutex mu_;
    QVector<AblationRowView> rows_;
    QStringList metricKeys_, mainKeys_, files_;
    QJsonObject model_;
    QString json_, csv_;
};

}  // namespace embedlab
