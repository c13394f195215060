#include "app/bridge/ablation_job.h"

#include "engine/tasks/ablation_study.h"

#include <QJsonDocument>

#include <cmath>
#include <cstdio>

namespace embedlab {

namespace {

QJsonObject toQt(const nlohmann::json& j) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(j.dump())).object();
}

}  // namespace

QString AblationJob::checkStudy(const QJsonObject& study, const QString& baseDir) {
    try {
        const nlohmann::json j = nlohmann::json::parse(QJsonDocument(study).toJson(QJsonDocument::Compact).toStdString());
        (void)tasks::parseStudy(j, baseDir.toStdString());
        return {};
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
}

QStringList AblationJob::metricTasks() {
    QStringList out;
    for (const auto& t : tasks::evalTasks()) out << QString::fromStdString(t);
    return out;
}

void AblationJob::run(Progress& progress) {
    const nlohmann::json j = nlohmann::json::parse(QJsonDocument(study_).toJson(QJsonDocument::Compact).toStdString());
    const tasks::AblationStudy study = tasks::parseStudy(j, baseDir_.toStdString());
    auto keep = [this](const tasks::AblationRow& row, const tasks::AblationResult& r) {
        AblationRowView v;
        v.index = static_cast<int>(row.index);
        v.setting = QString::fromStdString(row.setting);
        v.params = toQt(row.params);
        for (const auto& [k, x] : row.metrics) v.metrics.append({QString::fromStdString(k), x});
        v.delta = toQt(tasks::toJson(row, r)["delta"]);
        v.memoryBytes = row.memoryBytes;
        v.seconds = row.seconds;
        v.sentencesPerSecond = row.sentencesPerSecond;
        v.sample = QString::fromStdString(row.sample);
        std::lock_guard<std::mutex> lock(mu_);
        rows_.append(v);
        if (metricKeys_.isEmpty()) {
            for (const auto& k : r.metricKeys) metricKeys_ << QString::fromStdString(k);
            for (const auto& k : r.mainKeys) mainKeys_ << QString::fromStdString(k);
            model_ = toQt(r.model);
        }
    };
    const tasks::AblationResult r =
        tasks::runAblation(study, progress, [&](const tasks::AblationRow& row, const tasks::AblationResult& partial) {
            keep(row, partial);
            if (!outDir_.isEmpty()) {
                const auto written = tasks::writeAblationOutputs(partial, outDir_.toStdString());
                std::lock_guard<std::mutex> lock(mu_);
                files_.clear();
                for (const auto& f : written) files_ << QString::fromStdString(f);
            }
            progress.metric("row", double(row.index), row.metrics.empty() ? 0.0 : row.metrics.front().second);
        });
    std::vector<std::string> written;
    if (!outDir_.isEmpty()) written = tasks::writeAblationOutputs(r, outDir_.toStdString());
    std::lock_guard<std::mutex> lock(mu_);
    if (!outDir_.isEmpty()) {
        files_.clear();
        for (const auto& f : written) files_ << QString::fromStdString(f);
    }
    json_ = QString::fromStdString(tasks::toJson(r).dump(2));
    csv_ = QString::fromStdString(tasks::toCsv(r));
}

std::string AblationJob::summary() const {
    std::lock_guard<std::mutex> lock(mu_);
    char buf[160];
    std::snprintf(buf, sizeof buf, "%d settings after the baseline", rows_.isEmpty() ? 0 : int(rows_.size()) - 1);
    return buf;
}

QVector<AblationRowView> AblationJob::rows() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rows_;
}
QStringList AblationJob::metricKeys() const {
    std::lock_guard<std::mutex> lock(mu_);
    return metricKeys_;
}
QStringList AblationJob::mainKeys() const {
    std::lock_guard<std::mutex> lock(mu_);
    return mainKeys_;
}
QJsonObject AblationJob::model() const {
    std::lock_guard<std::mutex> lock(mu_);
    return model_;
}
QString AblationJob::resultJson() const {
    std::lock_guard<std::mutex> lock(mu_);
    return json_;
}
QString AblationJob::resultCsv() const {
    std::lock_guard<std::mutex> lock(mu_);
    return csv_;
}
QStringList AblationJob::filesWritten() const {
    std::lock_guard<std::mutex> lock(mu_);
    return files_;
}

}  // namespace embedlab
