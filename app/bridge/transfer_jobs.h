// embedlab app — engine jobs of the Transfer view: a vocabulary transfer (tasks::transferModel, the
// task `embedlab-cli transfer` runs, on the long lane), model surgery (tasks::modelSurgery, `embedlab-cli
// surgery`), reading a transfer_report.json written earlier, and a token's nearest source tokens in a
// transferred (or adapted) model. Results are Qt values (the report as JSON). Torch-free header.
#pragma once

#include "engine/jobs/job.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace embedlab {

struct TransferParams {
    QString sourceDir, sourceTokenizer, targetTokenizer;
    QString strategy = QStringLiteral("mean");
    QString headStrategy;  // "" = the same
    QString auxVectors, corpus;
    int ompK = 8;
    quint64 seed = 42;
    QString outDir;
    bool force = false;
};

// One row of the view's per-token table, built on the engine thread: turning a 32,768-token report
// into table rows on the UI thread held it ~0.35 s (tests/ui/tst_transfer.cpp measures the stall).
struct TransferReportRow {
    qint64 id = 0;
    QString token, method, surface, sources;  // invisible characters shown (\n, \t, ␣)
};
QVector<TransferReportRow> transferReportRows(const QJsonObject& report);
// A token with its invisible characters shown: a newline as \n, a tab as \t, a lone space as ␣.
QString visibleToken(QString s);

class TransferJob : public Job {
public:
    explicit TransferJob(TransferParams p) : p_(std::move(p)) {}
    std::string name() const override { return "Transfer (" + p_.strategy.toStdString() + ")"; }
    void run(Progress& progress) override;
    std::string summary() const override;
    const TransferParams& params() const { return p_; }
    QJsonObject report;  // transfer_report.json: {"summary":{…},"tokens":[…]}
    QVector<TransferReportRow> rows;  // report["tokens"] as table rows
    double seconds = 0;

private:
    TransferParams p_;
};

// Reads DIR/transfer_report.json (or the file itself).
class ReadTransferReportJob : public Job {
public:
    explicit ReadTransferReportJob(QString path) : path_(std::move(path)) {}
    std::string name() const override { return "Read transfer report"; }
    void run(Progress& progress) override;
    QJsonObject report;
    QVector<TransferReportRow> rows;

private:
    QString path_;
};

struct SourceNeighborRow {
    qint64 id = 0;
    QString token;
    double cosine = 0;
};

class TransferNeighborsJob : public Job {
public:
    TransferNeighborsJob(QString sourceDir, QString modelDir, qint64 targetId, int k)
        : sourceDir_(std::move(sourceDir)), modelDir_(std::move(modelDir)), targetId_(targetId), k_(k) {}
    std::string name() const override { return "Nearest source tokens"; }
    void run(Progress& progress) override;
    QVector<SourceNeighborRow> result;

private:
    QString sourceDir_, modelDir_;
    qint64 targetId_;
    int k_;
};

struct SurgeryParams {
    QString modelDir, keepLayers, pruneCorpus, outDir;
    int minCount = 1;
    bool force = false;
};

class SurgeryJob : public Job {
public:
    explicit SurgeryJob(SurgeryParams p) : p_(std::move(p)) {}
    std::string name() const override { return "Model surgery"; }
    void run(Progress& progress) override;
    std::string summary() const override;
    const SurgeryParams& params() const { return p_; }
    QJsonObject result;  // params_before/after, bytes_…, vocab_…, layers_…

private:
    SurgeryParams p_;
};

}  // namespace embedlab
