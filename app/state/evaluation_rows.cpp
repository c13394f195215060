#include "app/state/evaluation_rows.h"

#include <cmath>

namespace embedlab {

QJsonObject evalRowToJson(const EvalRow& r) {
    QJsonArray metrics;
    for (const auto& m : r.metrics) metrics.append(QJsonArray{m.first, m.second});
    return {{QStringLiteral("model"), r.model},
            {QStringLiteral("model_path"), r.modelPath},
            {QStringLiteral("task"), r.task},
            {QStringLiteral("data"), r.data},
            {QStringLiteral("metrics"), metrics},
            {QStringLiteral("main"), r.main},
            {QStringLiteral("main_value"), r.mainValue},
            {QStringLiteral("seconds"), r.seconds},
            {QStringLiteral("embed_seconds"), r.embedSeconds},
            {QStringLiteral("sentences_per_second"), r.sentencesPerSecond},
            {QStringLiteral("sentences"), r.sentences},
            {QStringLiteral("peak_rss_bytes"), r.peakRssBytes},
            {QStringLiteral("settings"), r.settings}};
}

bool evalRowFromJson(const QJsonValue& v, EvalRow* out, QString* why) {
    auto fail = [&](const QString& m) {
        if (why) *why = m;
        return false;
    };
    if (!v.isObject()) return fail(QStringLiteral("an evaluation row is not an object"));
    const QJsonObject o = v.toObject();
    EvalRow r;
    r.model = o.value(QStringLiteral("model")).toString();
    r.modelPath = o.value(QStringLiteral("model_path")).toString();
    r.task = o.value(QStringLiteral("task")).toString();
    r.data = o.value(QStringLiteral("data")).toString();
    for (const QJsonValue& m : o.value(QStringLiteral("metrics")).toArray()) {
        const QJsonArray pair = m.toArray();
        // A metric that was NaN (a correlation over constant scores) is written as null by Qt.
        if (pair.size() != 2 || !pair.at(0).isString() || !(pair.at(1).isDouble() || pair.at(1).isNull()))
            return fail(QStringLiteral("evaluation row %1/%2: a metric is not [name, number]").arg(r.model, r.task));
        r.metrics.push_back({pair.at(0).toString(), pair.at(1).isNull() ? std::nan("") : pair.at(1).toDouble()});
    }
    r.main = o.value(QStringLiteral("main")).toString();
    r.mainValue = o.value(QStringLiteral("main_value")).isNull() ? std::nan("") : o.value(QStringLiteral("main_value")).toDouble();
    r.seconds = o.value(QStringLiteral("seconds")).toDouble();
    r.embedSeconds = o.value(QStringLiteral("embed_seconds")).toDouble();
    r.sentencesPerSecond = o.value(QStringLiteral("sentences_per_second")).toDouble();
    r.sentences = o.value(QStringLiteral("sentences")).toInteger();
    r.peakRssBytes = o.value(QStringLiteral("peak_rss_bytes")).toInteger(-1);
    r.settings = o.value(QStringLiteral("settings")).toString();
    if (r.task.isEmpty() || r.main.isEmpty())
        return fail(QStringLiteral("an evaluation row has no \"task\" or \"main\" metric"));
    *out = r;
    return true;
}

QStringList EvaluationRows::metricNames() const {
    QStringList names;
    for (const EvalRow& r : rows_)
        for (const auto& m : r.metrics)
            if (!names.contains(m.first)) names << m.first;
    return names;
}

int EvaluationRows::add(const EvalRow& row) {
    for (int i = 0; i < rows_.size(); ++i)
        if (rows_[i].modelPath == row.modelPath && rows_[i].task == row.task && rows_[i].data == row.data &&
            rows_[i].settings == row.settings) {
            rows_.remove(i);
            break;
        }
    rows_.push_back(row);
    Q_EMIT rowAdded(rows_.size() - 1);
    return rows_.size() - 1;
}

void EvaluationRows::clear() {
    rows_.clear();
    Q_EMIT rowsReset();
}

QJsonArray EvaluationRows::toJson() const {
    QJsonArray a;
    for (const EvalRow& r : rows_) a.append(evalRowToJson(r));
    return a;
}

void EvaluationRows::restore(const QJsonArray& rows, QStringList* problems) {
    rows_.clear();
    for (const QJsonValue& v : rows) {
        EvalRow r;
        QString why;
        if (evalRowFromJson(v, &r, &why)) rows_.push_back(r);
        else if (problems) *problems << why;
    }
    Q_EMIT rowsReset();
}

}  // namespace embedlab
