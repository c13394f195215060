// embedlab app — engine jobs for the Similarity and Evaluation panels: opening a corpus (format,
// columns, detected encoding, statistics, a preview), embedding it into an on-disk vector store
// (progress, ETA, cancel), the cosine matrix of a subset (sorted or clustered order), semantic search,
// a pair scorer, and the MTEB-style evaluation tasks with compute figures (docs/similarity.md,
// docs/evaluation.md).
//
// An EmbeddingStore is an opened vector store (memory-mapped) plus the texts of its rows; like a
// ModelSession it is opaque to the UI and used only on the engine thread. Torch-free header.
#pragma once

#include "app/bridge/model_jobs.h"
#include "engine/jobs/job.h"
#include "engine/tasks/evaluate.h"

#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>

namespace embedlab {

class EmbeddingStore;
using EmbeddingStorePtr = std::shared_ptr<EmbeddingStore>;

// How a corpus file is read (engine/io/corpus.h in Qt types; "" = the engine's default/auto).
struct CorpusParams {
    QString format;    // "", "text", "csv", "tsv", "jsonl"
    QString encoding;  // "" or "auto" = detect; "utf-8", "utf-16le", "utf-16be", "windows-1254", "iso-8859-9"
    QString unit = QStringLiteral("lines");  // "lines", "paragraphs", "sentences"
    QString textColumn, labelColumn;         // .csv/.tsv column name or index; .jsonl field
    bool dedupe = false;
    qint64 maxRecords = 0;  // 0 = all
};

struct CorpusSummary {
    QString path, format;
    QString encoding, encodingReason;  // what was used and why
    bool encodingDetected = true;
    QStringList columns;               // .csv/.tsv header (or .jsonl fields of the first record)
    int textColumn = -1, labelColumn = -1;
    qint64 records = 0, lines = 0, bytes = 0, words = 0, uniqueWords = 0, duplicatesRemoved = 0, emptySkipped = 0;
    qint64 distinctLabels = 0;
    double meanChars = 0;
    QStringList preview;               // the first records (at most 200)
};

// Reads a corpus once (streaming) and reports what it found.
class OpenCorpusJob : public Job {
public:
    OpenCorpusJob(QString path, CorpusParams params) : path_(std::move(path)), params_(std::move(params)) {}
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;
    CorpusSummary result;

private:
    QString path_;
    CorpusParams params_;
};

// Sentence-embedding settings (engine/models/embedding.h).
struct EmbedParams {
    QString pooling = QStringLiteral("mean");  // mean, cls, last, max
    int layer = -1;                            // -1 = last
    bool normalize = true;
    int batchSize = 32;
    int maxLength = 0;  // 0 = the model's limit
};

struct StoreInfo {
    QString path;
    qint64 count = 0, dim = 0;
    QString model, pooling, source;  // from the manifest
    int layer = -1;
    bool normalized = false;
    QStringList texts;   // one per row (metadata "text", else the label)
    QStringList labels;  // one per row ("" without labels)
    double seconds = 0;  // embedding time (0 when reopened)
    double sentencesPerSecond = 0;
    bool reopened = false;  // opened from disk rather than embedded now
};

// Reads the corpus, embeds it in batches with the session's model into a vector store at storePath
// (PATH.vstore; written atomically — a cancelled run leaves no new store), then opens it.
// Cancellation is checked at every batch (within 200 ms for models of the fixtures' size).
class EmbedCorpusJob : public Job {
public:
    EmbedCorpusJob(ModelSessionPtr session, QString corpusPath, CorpusParams corpus, EmbedParams embed,
                   QString storePath);
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;
    EmbeddingStorePtr store;  // results
    StoreInfo info;

private:
    ModelSessionPtr session_;
    QString corpusPath_;
    CorpusParams corpus_;
    EmbedParams embed_;
    QString storePath_;
};

// Opens an existing vector store (instant: memory-mapped).
class OpenStoreJob : public Job {
public:
    explicit OpenStoreJob(QString path) : path_(std::move(path)) {}
    std::string name() const override;
    void run(Progress& progress) override;
    EmbeddingStorePtr store;
    StoreInfo info;

private:
    QString path_;
};

enum class MatrixOrder { Input, Sorted, Clustered };

// The cosine similarity of every pair of the given rows, n × n. Order: as given; Sorted = by each
// row's mean similarity to the others, descending; Clustered = the leaf order of average-linkage
// agglomerative clustering (cosine distance), so that similar sentences sit in blocks.
class SimilarityMatrixJob : public Job {
public:
    SimilarityMatrixJob(EmbeddingStorePtr store, QVector<qint64> rows, MatrixOrder order);
    std::string name() const override { return "Similarity matrix"; }
    void run(Progress& progress) override;
    QVector<qint64> rows;      // the store rows in display order
    QVector<float> matrix;     // rows.size()², row-major, in display order
    QStringList texts;         // per displayed row

private:
    EmbeddingStorePtr store_;
    MatrixOrder order_;
};

struct SearchHit {
    qint64 row = 0;
    double score = 0;
    QString text, label;
};

// Embeds the query with the store's settings and returns the k rows of highest cosine similarity.
class SearchJob : public Job {
public:
    SearchJob(ModelSessionPtr session, EmbeddingStorePtr store, QString query, int k);
    std::string name() const override { return "Semantic search"; }
    void run(Progress& progress) override;
    QVector<SearchHit> hits;

private:
    ModelSessionPtr session_;
    EmbeddingStorePtr store_;
    QString query_;
    int k_;
};

// The cosine similarity of two texts embedded with the given settings.
class PairScoreJob : public Job {
public:
    PairScoreJob(ModelSessionPtr session, QString a, QString b, EmbedParams params);
    std::string name() const override { return "Pair score"; }
    void run(Progress& progress) override;
    double cosine = 0;

private:
    ModelSessionPtr session_;
    QString a_, b_;
    EmbedParams params_;
};

// One evaluation run: a model on a task's data. Metrics in display order; `main` names the main one.
struct EvalRow {
    QString model, modelPath, task, data;
    QVector<QPair<QString, double>> metrics;
    QString main;
    double mainValue = 0;
    // compute figures
    double seconds = 0, embedSeconds = 0, sentencesPerSecond = 0;
    qint64 sentences = 0, peakRssBytes = -1;
    QString settings;  // "mean · layer 2 · normalized"

    double metric(const QString& name, double fallback = 0) const;
};

struct EvalParams {
    EmbedParams embed;
    double minScore = 0, maxScore = 5;  // sts
    quint64 seed = 42;                  // clustering, classification
    qint64 samplesPerLabel = 0, experiments = 10;  // classification: MTEB's undersampling
    int maxLength = 0, stride = 0;      // perplexity
    QString encoding;                   // perplexity data
};

// task: "sts", "bitext", "retrieval", "clustering", "classification", "perplexity". Runs the engine
// task (engine/tasks/evaluate.h) that `embedlab-cli eval` runs; `result` is its output, `row` the same
// in Qt types for the panel.
class EvaluateJob : public Job {
public:
    EvaluateJob(ModelSessionPtr session, QString modelName, QString task, QString dataPath, EvalParams params);
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;
    EvalRow row;
    tasks::EvalResult result;

    static QStringList tasks();
    static QString mainMetric(const QString& task);

private:
    ModelSessionPtr session_;
    QString modelName_, task_, data_;
    EvalParams params_;
};

}  // namespace embedlab
