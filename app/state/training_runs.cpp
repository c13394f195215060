#include "app/state/training_runs.h"

#include <QFileInfo>
#include <QtEndian>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace embedlab {

namespace {

const char* const kStateNames[] = {"running", "done", "failed", "cancelled", "interrupted"};

// The trainer's log columns, in the order `embedlab-cli train` writes them.
const char* const kKnownColumns[] = {"loss", "lr", "grad_norm", "tokens_per_second", "eval_loss", "eval_ppl"};

QString pointsToBase64(const QVector<QPointF>& pts) {
    QByteArray raw;
    raw.reserve(pts.size() * 16);
    for (const QPointF& p : pts) {
        // float64, little-endian whatever the host.
        for (const double d : {p.x(), p.y()}) {
            quint64 bits;
            std::memcpy(&bits, &d, sizeof bits);
            bits = qToLittleEndian(bits);
            raw.append(reinterpret_cast<const char*>(&bits), sizeof bits);
        }
    }
    return QString::fromLatin1(raw.toBase64());
}

bool pointsFromBase64(const QString& text, QVector<QPointF>* out) {
    const auto decoded = QByteArray::fromBase64Encoding(text.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() % 16) return false;
    const QByteArray& raw = decoded.decoded;
    out->clear();
    out->reserve(raw.size() / 16);
    for (qsizetype i = 0; i < raw.size(); i += 16) {
        double xy[2];
        for (int k = 0; k < 2; ++k) {
            quint64 bits;
            std::memcpy(&bits, raw.constData() + i + 8 * k, sizeof bits);
            bits = qFromLittleEndian(bits);
            std::memcpy(&xy[k], &bits, sizeof bits);
        }
        if (!std::isfinite(xy[0]) || !std::isfinite(xy[1])) return false;
        out->push_back({xy[0], xy[1]});
    }
    return true;
}

}  // namespace

QString TrainingRun::stateName(State s) { return QString::fromLatin1(kStateNames[static_cast<int>(s)]); }

QString TrainingRun::label() const {
    const QString objective = params.value(QStringLiteral("objective")).toString();
    return QStringLiteral("#%1 %2 · %3 · %4")
        .arg(id)
        .arg(objective.isEmpty() ? QStringLiteral("run") : objective, stateName(state),
             outDir.isEmpty() ? QStringLiteral("(no folder)") : QFileInfo(outDir).fileName());
}

QByteArray TrainingRun::csv() const {
    QStringList cols;
    for (const char* c : kKnownColumns) cols << QString::fromLatin1(c);
    for (auto it = metrics.begin(); it != metrics.end(); ++it)
        if (!cols.contains(it.key())) cols << it.key();
    QMap<double, QMap<QString, double>> rows;  // the last value a step got, per metric
    for (auto it = metrics.begin(); it != metrics.end(); ++it)
        for (const QPointF& p : it.value()) rows[p.x()][it.key()] = p.y();
    QByteArray out = "step";
    for (const QString& c : cols) out += ',' + c.toUtf8();
    out += '\n';
    for (auto r = rows.begin(); r != rows.end(); ++r) {
        out += QByteArray::number(r.key(), 'g', 12);
        for (const QString& c : cols) {
            out += ',';
            const auto v = r.value().find(c);
            if (v != r.value().end()) out += QByteArray::number(v.value(), 'g', 10);
        }
        out += '\n';
    }
    return out;
}

int TrainingRuns::indexOf(int id) const {
    for (int i = 0; i < runs_.size(); ++i)
        if (runs_[i].id == id) return i;
    return -1;
}

const TrainingRun* TrainingRuns::find(int id) const {
    const int i = indexOf(id);
    return i < 0 ? nullptr : &runs_[i];
}

TrainingRun* TrainingRuns::findMutable(int id) {
    const int i = indexOf(id);
    return i < 0 ? nullptr : &runs_[i];
}

int TrainingRuns::begin(const QJsonObject& params, const QString& outDir, const QString& resumedFrom) {
    TrainingRun r;
    r.id = nextId_++;
    r.params = params;
    r.outDir = outDir;
    r.resumedFrom = resumedFrom;
    r.started = QDateTime::currentDateTimeUtc();
    runs_.push_back(r);
    Q_EMIT runAdded(r.id);
    return r.id;
}

void TrainingRuns::addMetric(int id, const QString& name, double step, double value) {
    if (!std::isfinite(step) || !std::isfinite(value)) return;
    TrainingRun* r = findMutable(id);
    if (!r) return;
    r->metrics[name].push_back({step, value});
    Q_EMIT metricAdded(id, name, step, value);
}

void TrainingRuns::addSample(int id, const QString& line) {
    TrainingRun* r = findMutable(id);
    if (!r) return;
    r->samples << line;
    Q_EMIT sampleAdded(id, line);
}

void TrainingRuns::finish(int id, TrainingRun::State state, const QString& status) {
    TrainingRun* r = findMutable(id);
    if (!r) return;
    r->state = state;
    r->status = status;
    r->ended = QDateTime::currentDateTimeUtc();
    Q_EMIT runFinished(id);
}

void TrainingRuns::clear() {
    runs_.clear();  // ids are never reused: a job still reporting to a cleared run cannot reach a new one
    Q_EMIT runsReset();
}

QJsonArray TrainingRuns::toJson() const {
    QJsonArray out;
    for (const TrainingRun& r : runs_) {
        QJsonObject metrics;
        for (auto it = r.metrics.begin(); it != r.metrics.end(); ++it)
            metrics[it.key()] = QJsonObject{{QStringLiteral("points"), it.value().size()},
                                            {QStringLiteral("step_value_f64_base64"), pointsToBase64(it.value())}};
        out.append(QJsonObject{{QStringLiteral("id"), r.id},
                               {QStringLiteral("params"), r.params},
                               {QStringLiteral("out"), r.outDir},
                               {QStringLiteral("resumed_from"), r.resumedFrom},
                               {QStringLiteral("state"), TrainingRun::stateName(r.state)},
                               {QStringLiteral("status"), r.status},
                               {QStringLiteral("started"), r.started.toString(Qt::ISODateWithMs)},
                               {QStringLiteral("ended"), r.ended.isValid() ? r.ended.toString(Qt::ISODateWithMs) : QString()},
                               {QStringLiteral("metrics"), metrics},
                               {QStringLiteral("samples"), QJsonArray::fromStringList(r.samples)}});
    }
    return out;
}

void TrainingRuns::restore(const QJsonArray& runs, QStringList* problems) {
    runs_.clear();
    // The runs get new ids, in the file's order, after every id this workspace has given out: a job
    // still reporting to an earlier run never reaches these, and ids never grow with reopening.
    int skipped = 0, index = 0;
    for (const QJsonValue& v : runs) {
        const QJsonObject o = v.toObject();
        TrainingRun r;
        const QString where = tr("training run %1 of the session").arg(++index);
        if (!v.isObject() || runs_.size() >= kMaxRuns) {
            if (problems && ++skipped <= 10)
                *problems << tr("%1: not an object, or more than %2 runs; skipped").arg(where).arg(kMaxRuns);
            continue;
        }
        r.params = o.value(QStringLiteral("params")).toObject();
        r.outDir = o.value(QStringLiteral("out")).toString();
        r.resumedFrom = o.value(QStringLiteral("resumed_from")).toString();
        const QString state = o.value(QStringLiteral("state")).toString();
        r.state = TrainingRun::State::Interrupted;
        for (int s = 0; s < 5; ++s)
            if (state == QLatin1String(kStateNames[s])) r.state = static_cast<TrainingRun::State>(s);
        r.status = o.value(QStringLiteral("status")).toString();
        if (r.state == TrainingRun::State::Running) {
            // It was saved while it ran: the job did not survive the session; its checkpoints did.
            r.state = TrainingRun::State::Interrupted;
            r.status = tr("Interrupted: the session was saved while this run was going; Resume from checkpoint… "
                          "continues it from %1.")
                           .arg(r.outDir);
        }
        r.started = QDateTime::fromString(o.value(QStringLiteral("started")).toString(), Qt::ISODateWithMs);
        r.ended = QDateTime::fromString(o.value(QStringLiteral("ended")).toString(), Qt::ISODateWithMs);
        const QJsonObject metrics = o.value(QStringLiteral("metrics")).toObject();
        bool ok = true;
        for (auto it = metrics.begin(); it != metrics.end() && ok; ++it) {
            QVector<QPointF> pts;
            const QJsonObject m = it.value().toObject();
            ok = pointsFromBase64(m.value(QStringLiteral("step_value_f64_base64")).toString(), &pts) &&
                 pts.size() == m.value(QStringLiteral("points")).toInteger(-1);
            if (ok) r.metrics[it.key()] = pts;
            else if (problems) *problems << tr("%1: the curve \"%2\" is damaged; the run is skipped").arg(where, it.key());
        }
        if (!ok) continue;
        for (const QJsonValue& s : o.value(QStringLiteral("samples")).toArray()) r.samples << s.toString();
        r.id = nextId_++;
        runs_.push_back(r);
    }
    if (problems && skipped > 10) *problems << tr("… and %1 more training runs skipped").arg(skipped - 10);
    Q_EMIT runsReset();
}

}  // namespace embedlab
