#include "app/bridge/transfer_jobs.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tasks/model_surgery.h"
#include "engine/tasks/transfer_model.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <cstdio>

namespace embedlab {

namespace {

QJsonObject toQt(const nlohmann::json& j) {
    const std::string s = j.dump();
    return QJsonDocument::fromJson(QByteArray::fromStdString(s)).object();
}

}  // namespace

// Shows a token's invisible characters (a space, a newline) in the table.
QString visibleToken(QString s) {
    s.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    s.replace(QLatin1Char('\t'), QStringLiteral("\\t"));
    if (s == QLatin1String(" ")) s = QStringLiteral("␣");
    return s;
}

QVector<TransferReportRow> transferReportRows(const QJsonObject& report) {
    const QJsonArray tokens = report.value(QStringLiteral("tokens")).toArray();
    QVector<TransferReportRow> rows;
    rows.reserve(tokens.size());
    for (const QJsonValue& v : tokens) {
        const QJsonObject t = v.toObject();
        QStringList pieces;
        for (const QJsonValue& s : t.value(QStringLiteral("sources")).toArray()) {
            const QJsonObject o = s.toObject();
            const QJsonValue w = o.value(QStringLiteral("weight"));
            pieces << (w.isNull() ? visibleToken(o.value(QStringLiteral("token")).toString())
                                  : QStringLiteral("%1×%2").arg(w.toDouble(), 0, 'g', 3).arg(visibleToken(o.value(QStringLiteral("token")).toString())));
        }
        TransferReportRow r;
        r.id = t.value(QStringLiteral("id")).toInteger();
        r.token = visibleToken(t.value(QStringLiteral("token")).toString());
        r.method = t.value(QStringLiteral("method")).toString();
        r.surface = visibleToken(t.value(QStringLiteral("surface")).toString());
        r.sources = pieces.join(QStringLiteral("  "));
        rows.push_back(std::move(r));
    }
    return rows;
}

void TransferJob::run(Progress& progress) {
    if (p_.sourceDir.isEmpty()) throw Error::badInput("choose the source model folder");
    if (p_.targetTokenizer.isEmpty()) throw Error::badInput("choose the target tokenizer");
    if (p_.outDir.isEmpty()) throw Error::badInput("choose an output folder");
    tasks::TransferTaskOptions o;
    o.sourceDir = p_.sourceDir.toStdString();
    o.sourceTokenizer = p_.sourceTokenizer.toStdString();
    o.targetTokenizer = p_.targetTokenizer.toStdString();
    o.strategy = parseTransferStrategy(p_.strategy.toStdString());
    if (!p_.headStrategy.isEmpty()) o.headStrategy = parseTransferStrategy(p_.headStrategy.toStdString());
    o.auxVectors = p_.auxVectors.toStdString();
    o.corpus = p_.corpus.toStdString();
    o.ompK = p_.ompK;
    o.seed = p_.seed;
    o.outDir = p_.outDir.toStdString();
    o.force = p_.force;
    const tasks::TransferTaskResult r = tasks::transferModel(o, progress);
    report = toQt(r.report);
    rows = transferReportRows(report);
    seconds = r.seconds;
}

std::string TransferJob::summary() const {
    const QJsonObject s = report.value(QStringLiteral("summary")).toObject();
    char buf[200];
    std::snprintf(buf, sizeof buf, "%d tokens: %d exact, %d decomposed, %d variant, %d special, %d fallback",
                  s.value(QStringLiteral("target_tokens")).toInt(), s.value(QStringLiteral("exact")).toInt(),
                  s.value(QStringLiteral("decomposed")).toInt(), s.value(QStringLiteral("variant")).toInt(),
                  s.value(QStringLiteral("special")).toInt(), s.value(QStringLiteral("fallback")).toInt());
    return buf;
}

void ReadTransferReportJob::run(Progress& progress) {
    QString path = path_;
    if (QFileInfo(path).isDir()) path += QStringLiteral("/transfer_report.json");
    progress.report(0.1, "reading");
    const std::string text = readFile(path.toStdString(), 1ull << 31);
    QJsonParseError err;
    const QJsonDocument d = QJsonDocument::fromJson(QByteArray::fromStdString(text), &err);
    if (d.isNull() || !d.isObject() || !d.object().contains(QStringLiteral("tokens")))
        throw Error::badInput(path.toStdString() + " is not a transfer report" +
                              (d.isNull() ? " (" + err.errorString().toStdString() + ")" : std::string()));
    report = d.object();
    rows = transferReportRows(report);
}

void TransferNeighborsJob::run(Progress& progress) {
    progress.report(0.1, "loading");
    for (const auto& n : tasks::nearestSourceTokens(sourceDir_.toStdString(), modelDir_.toStdString(), targetId_, k_))
        result.push_back({n.id, QString::fromStdString(n.token), n.cosine});
}

void SurgeryJob::run(Progress& progress) {
    tasks::SurgeryOptions o;
    o.modelDir = p_.modelDir.toStdString();
    o.keepLayers = p_.keepLayers.toStdString();
    o.pruneCorpus = p_.pruneCorpus.toStdString();
    o.minCount = p_.minCount;
    o.force = p_.force;
    o.outDir = p_.outDir.toStdString();
    if (o.keepLayers.empty() && o.pruneCorpus.empty())
        throw Error::badInput("choose layers to keep and/or a corpus to prune the vocabulary to");
    result = toQt(tasks::modelSurgery(o, progress).toJson());
}

std::string SurgeryJob::summary() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.1fM → %.1fM parameters",
                  result.value(QStringLiteral("params_before")).toDouble() / 1e6,
                  result.value(QStringLiteral("params_after")).toDouble() / 1e6);
    return buf;
}

}  // namespace embedlab
