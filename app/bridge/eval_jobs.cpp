#include "app/bridge/eval_jobs.h"

#include "engine/analysis/hierarchical.h"
#include "engine/analysis/similarity_matrix.h"
#include "engine/tasks/embed_corpus.h"
#include "engine/tasks/evaluate.h"
#include "app/bridge/model_session_p.h"

#include "engine/core/error.h"
#include "engine/eval/bitext.h"
#include "engine/eval/classification.h"
#include "engine/eval/clustering.h"
#include "engine/eval/compute.h"
#include "engine/eval/matrix.h"
#include "engine/eval/perplexity.h"
#include "engine/eval/retrieval.h"
#include "engine/eval/sts.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "engine/io/vector_store.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QDateTime>
#include <QFileInfo>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>

namespace embedlab {

// An opened vector store and what the panels need from it; used only on the engine thread.
class EmbeddingStore {
public:
    VectorStore store;
    EmbeddingOptions options;
    std::string modelPath;
    StoreInfo info;
    // The whole matrix as an eval::Matrix, built on first search.
    const eval::Matrix& matrix() {
        if (matrix_.rows != store.size()) {
            matrix_ = eval::Matrix(store.size(), store.dim());
            if (!matrix_.data.empty())
                std::memcpy(matrix_.data.data(), store.data(), matrix_.data.size() * sizeof(float));
        }
        return matrix_;
    }

private:
    eval::Matrix matrix_;
};

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }
std::string ss(const QString& s) { return s.toStdString(); }

CorpusOptions toOptions(const CorpusParams& p) {
    CorpusOptions o;
    if (!p.format.isEmpty()) o.format = parseCorpusFormat(ss(p.format));
    if (!p.encoding.isEmpty()) o.encoding = parseEncoding(ss(p.encoding));
    o.unit = parseTextUnit(ss(p.unit.isEmpty() ? QStringLiteral("lines") : p.unit));
    o.textColumn = ss(p.textColumn);
    o.labelColumn = ss(p.labelColumn);
    o.dedupe = p.dedupe;
    o.maxRecords = p.maxRecords;
    return o;
}

EmbeddingOptions toOptions(const EmbedParams& p) {
    EmbeddingOptions o;
    o.pooling = parsePooling(ss(p.pooling));
    o.layer = p.layer;
    o.normalize = p.normalize;
    if (p.batchSize <= 0) throw Error::badInput("batch size must be positive");
    o.batchSize = p.batchSize;
    o.maxLength = p.maxLength;
    return o;
}

void requireTokenizer(const ModelSession& s) {
    if (!s.model) throw Error::badInput("no model is loaded");
    if (!s.tokenizer)
        throw Error::badInput("the model folder " + s.path +
                              " has no tokenizer (tokenizer.json or tokenizer.model), so texts cannot be embedded");
}

eval::Matrix toMatrix(const at::Tensor& t0) {
    at::Tensor t = t0.to(at::kCPU, at::kFloat).contiguous();
    eval::Matrix m(t.size(0), t.size(1));
    if (!m.data.empty()) std::memcpy(m.data.data(), t.data_ptr<float>(), m.data.size() * sizeof(float));
    return m;
}

StoreInfo describeStore(const VectorStore& vs) {
    StoreInfo info;
    info.path = qs(vs.path());
    info.count = vs.size();
    info.dim = vs.dim();
    const nlohmann::json meta = vs.manifest().value("metadata", nlohmann::json::object());
    info.model = qs(meta.value("model", std::string()));
    info.pooling = qs(meta.value("pooling", std::string("mean")));
    info.layer = meta.value("layer", -1);
    info.normalized = meta.value("normalize", false);
    info.source = qs(meta.value("source", std::string()));
    const auto& labels = vs.labels();
    const auto& rows = vs.metadataRows();
    info.texts.reserve(static_cast<int>(labels.size()));
    bool anyLabel = false;
    for (size_t i = 0; i < labels.size(); ++i) {
        const nlohmann::json& m = rows[i];
        const bool hasText = m.is_object() && m.contains("text") && m["text"].is_string();
        info.texts << (hasText ? qs(m["text"].get<std::string>()) : qs(labels[i]));
        // With a "text" in the metadata, the label is the corpus label ("" when the corpus had none).
        const QString label = hasText ? qs(m.value("label", std::string())) : qs(labels[i]);
        anyLabel |= !label.isEmpty();
        info.labels << label;
    }
    if (!anyLabel) info.labels = QStringList();
    return info;
}

EmbeddingStorePtr openEmbeddingStore(const std::string& path) {
    auto st = std::make_shared<EmbeddingStore>();
    st->store = VectorStore::open(path);
    st->info = describeStore(st->store);
    const nlohmann::json meta = st->store.manifest().value("metadata", nlohmann::json::object());
    st->modelPath = meta.value("model", std::string());
    st->options.pooling = parsePooling(meta.value("pooling", std::string("mean")));
    st->options.layer = meta.value("layer", -1);
    st->options.normalize = meta.value("normalize", false);
    st->options.maxLength = meta.value("max_length", 0);
    st->options.batchSize = 32;
    return st;
}

std::string canonical(const std::string& p) {
    const QString c = QFileInfo(qs(p)).canonicalFilePath();
    return c.isEmpty() ? p : ss(c);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// OpenCorpusJob

std::string OpenCorpusJob::name() const { return "Open corpus " + baseName(ss(path_)); }

void OpenCorpusJob::run(Progress& progress) {
    const std::string path = ss(path_);
    CorpusOptions o = toOptions(params_);
    // The engine chooses a JSONL file's text field as the CLI's tasks do (engine/io/corpus.h) and lists
    // the fields as columns.
    // Streamed: only the preview is kept, so a 1 GB file is never held in memory here.
    const CorpusInfo i = streamCorpus(
        path, o,
        [this](CorpusRecord&& r) {
            // The preview shows the start of each record (a record may hold up to 1 MiB).
            if (result.preview.size() >= 200) return;
            size_t n = r.text.size();
            if (n > 4096) {
                n = 4096;
                while (n > 0 && (static_cast<unsigned char>(r.text[n]) & 0xC0) == 0x80) --n;  // a whole character
            }
            result.preview << qs(n < r.text.size() ? r.text.substr(0, n) + "…" : r.text);
        },
        progress);
    result.path = path_;
    result.format = QString::fromLatin1(corpusFormatName(i.format));
    result.encoding = QString::fromLatin1(encodingName(i.encoding));
    result.encodingReason = qs(i.encodingReason);
    result.encodingDetected = i.encodingDetected;
    for (const auto& col : i.columns) result.columns << qs(col);
    result.textColumn = static_cast<int>(i.textColumn);
    result.labelColumn = static_cast<int>(i.labelColumn);
    const CorpusStats& s = i.stats;
    result.records = s.records;
    result.lines = s.lines;
    result.bytes = s.bytes;
    result.words = s.words;
    result.uniqueWords = s.uniqueWords;
    result.duplicatesRemoved = s.duplicatesRemoved;
    result.emptySkipped = s.emptySkipped;
    result.distinctLabels = s.distinctLabels;
    result.meanChars = s.meanChars;
    progress.report(1.0, "read");
}

std::string OpenCorpusJob::summary() const {
    return std::to_string(result.records) + " records, " + ss(result.encoding);
}

// ---------------------------------------------------------------------------------------------
// EmbedCorpusJob

EmbedCorpusJob::EmbedCorpusJob(ModelSessionPtr session, QString corpusPath, CorpusParams corpus, EmbedParams embed,
                               QString storePath)
    : session_(std::move(session)), corpusPath_(std::move(corpusPath)), corpus_(std::move(corpus)),
      embed_(std::move(embed)), storePath_(std::move(storePath)) {}

std::string EmbedCorpusJob::name() const { return "Embed corpus " + baseName(ss(corpusPath_)); }

void EmbedCorpusJob::run(Progress& progress) {
    if (!session_) throw Error::badInput("load a model first (Models panel) to embed a corpus");
    SessionLock lock(*session_);
    requireTokenizer(*session_);
    Model& model = *session_->model;
    const Tokenizer& tok = *session_->tokenizer;
    const EmbeddingOptions eo = toOptions(embed_);
    const int64_t layer = resolveLayer(model, eo.layer);
    const auto t0 = std::chrono::steady_clock::now();

    CorpusOptions co = toOptions(corpus_);
    const std::string path = ss(corpusPath_);

    nlohmann::json meta = {{"model", session_->path},
                           {"model_name", baseName(session_->path)},
                           {"pooling", poolingName(eo.pooling)},
                           {"layer", layer},
                           {"normalize", eo.normalize},
                           {"max_length", eo.maxLength},
                           {"source", path},
                           {"unit", textUnitName(co.unit)},
                           {"text_column", co.textColumn},
                           {"label_column", co.labelColumn},
                           {"created", ss(QDateTime::currentDateTimeUtc().toString(Qt::ISODate))}};
    // The engine task (engine/tasks/embed_corpus.h, which `embedlab-cli embed` runs too) streams the
    // records in chunks; each chunk is appended to the store, so memory holds one chunk whatever the
    // corpus size. Progress follows the bytes read.
    std::unique_ptr<VectorStoreWriter> writer;
    CorpusInfo corpusInfo;
    const tasks::TextReader read = [&](const std::function<void(tasks::TextRecord&&)>& emit, Progress& p) {
        corpusInfo = streamCorpus(
            path, co, [&](CorpusRecord&& r) { emit({std::move(r.text), std::move(r.label), r.line}); }, p);
    };
    const tasks::EmbeddingSink sink = [&](const at::Tensor& v, const std::vector<tasks::TextRecord>& records) {
        std::vector<std::string> labels;
        std::vector<nlohmann::json> rows;
        for (const tasks::TextRecord& r : records) {
            labels.push_back(r.label.empty() ? r.text : r.label);
            nlohmann::json m = {{"text", r.text}, {"line", r.line}};
            if (!r.label.empty()) m["label"] = r.label;
            rows.push_back(std::move(m));
        }
        if (!writer) writer = std::make_unique<VectorStoreWriter>(ss(storePath_), v.size(1), meta);
        writer->append(v, labels, rows);
    };
    tasks::EmbedCorpusOptions eco;
    eco.embed = eo;
    eco.source = path;
    const tasks::EmbedCorpusResult embedded = tasks::embedCorpus(model, tok, read, sink, eco, progress);
    writer->setMetadata("encoding", encodingName(corpusInfo.encoding));
    progress.report(0.99, "writing the vector store");
    writer->commit();
    writer.reset();
    store = openEmbeddingStore(ss(storePath_));
    info = store->info;
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    info.sentencesPerSecond = embedded.sentencesPerSecond();
    store->info = info;
    progress.report(1.0, "embedded");
}

std::string EmbedCorpusJob::summary() const {
    return std::to_string(info.count) + " × " + std::to_string(info.dim) + ", " +
           std::to_string(static_cast<int>(info.sentencesPerSecond)) + " sentences/s";
}

std::string OpenStoreJob::name() const { return "Open vector store " + baseName(ss(path_)); }

void OpenStoreJob::run(Progress& progress) {
    progress.report(0.1, "opening");
    store = openEmbeddingStore(ss(path_));
    info = store->info;
    info.reopened = true;
    store->info = info;
    progress.report(1.0, "opened");
}

// ---------------------------------------------------------------------------------------------
// SimilarityMatrixJob

SimilarityMatrixJob::SimilarityMatrixJob(EmbeddingStorePtr store, QVector<qint64> rows0, MatrixOrder order)
    : rows(std::move(rows0)), store_(std::move(store)), order_(order) {}

void SimilarityMatrixJob::run(Progress& progress) {
    if (!store_) throw Error::badInput("embed a corpus first");
    const int n = rows.size();
    if (n == 0) throw Error::badInput("the subset is empty: choose at least one sentence");
    const VectorStore& vs = store_->store;
    const int64_t d = vs.dim();
    for (qint64 r : rows)
        if (r < 0 || r >= vs.size())
            throw Error::badInput("row " + std::to_string(r) + " is not in the vector store (" +
                                  std::to_string(vs.size()) + " rows)");
    std::vector<const float*> vecs;
    for (int i = 0; i < n; ++i) vecs.push_back(vs.row(rows[i]));
    std::vector<float> sim;
    {
        Progress stage(progress, 0.0, 0.8);
        sim = cosineSimilarityMatrix(vecs, d, stage);
    }
    std::vector<int> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    if (order_ == MatrixOrder::Sorted) {
        order = meanSimilarityOrder(sim, n);
    } else if (order_ == MatrixOrder::Clustered) {
        Progress stage(progress, 0.8, 1.0);
        order = averageLinkage(sim, n, stage).leafOrder;
    }
    QVector<qint64> outRows(n);
    matrix.resize(n * n);
    for (int i = 0; i < n; ++i) {
        outRows[i] = rows[order[size_t(i)]];
        for (int j = 0; j < n; ++j) matrix[i * n + j] = sim[size_t(order[size_t(i)]) * size_t(n) + size_t(order[size_t(j)])];
    }
    rows = outRows;
    texts.clear();
    for (qint64 r : rows) texts << store_->info.texts.value(static_cast<int>(r));
    progress.report(1.0, "done");
}

// ---------------------------------------------------------------------------------------------
// SearchJob, PairScoreJob

SearchJob::SearchJob(ModelSessionPtr session, EmbeddingStorePtr store, QString query, int k)
    : session_(std::move(session)), store_(std::move(store)), query_(std::move(query)), k_(k) {}

void SearchJob::run(Progress& progress) {
    if (!store_) throw Error::badInput("embed a corpus first");
    if (query_.trimmed().isEmpty()) throw Error::badInput("type a query to search for");
    if (!session_) throw Error::badInput("load the model that embedded the corpus to search it");
    if (k_ <= 0) throw Error::badInput("k must be positive");
    SessionLock lock(*session_);
    requireTokenizer(*session_);
    if (!store_->modelPath.empty() && canonical(store_->modelPath) != canonical(session_->path))
        throw Error::badInput("the vector store was embedded with " + store_->modelPath +
                              "; select that model to search it (this one is " + session_->path + ")");
    progress.report(0.1, "embedding the query");
    EmbeddingOptions o = store_->options;
    const eval::Matrix q = toMatrix(embedTexts(*session_->model, *session_->tokenizer, {ss(query_)}, o));
    progress.report(0.4, "searching");
    const auto nn = eval::cosineTopK(q, store_->matrix(), k_, {}, progress);
    for (const auto& h : nn.front()) {
        SearchHit hit;
        hit.row = h.index;
        hit.score = h.score;
        hit.text = store_->info.texts.value(static_cast<int>(h.index));
        hit.label = store_->info.labels.value(static_cast<int>(h.index));
        hits.push_back(hit);
    }
    progress.report(1.0, "done");
}

PairScoreJob::PairScoreJob(ModelSessionPtr session, QString a, QString b, EmbedParams params)
    : session_(std::move(session)), a_(std::move(a)), b_(std::move(b)), params_(std::move(params)) {}

void PairScoreJob::run(Progress& progress) {
    if (!session_) throw Error::badInput("load a model first (Models panel) to score a pair");
    if (a_.trimmed().isEmpty() || b_.trimmed().isEmpty()) throw Error::badInput("type two texts to compare");
    SessionLock lock(*session_);
    requireTokenizer(*session_);
    progress.report(0.1, "embedding");
    const eval::Matrix m = toMatrix(
        embedTexts(*session_->model, *session_->tokenizer, {ss(a_), ss(b_)}, toOptions(params_), progress));
    cosine = eval::pairedCosine(m.slice(0, 1), m.slice(1, 2)).front();
    progress.report(1.0, "done");
}

// ---------------------------------------------------------------------------------------------
// EvaluateJob

double EvalRow::metric(const QString& name, double fallback) const {
    for (const auto& m : metrics)
        if (m.first == name) return m.second;
    return fallback;
}

QStringList EvaluateJob::tasks() {
    QStringList out;
    for (const auto& t : tasks::evalTasks()) out << qs(t);
    return out;
}

QString EvaluateJob::mainMetric(const QString& task) { return qs(tasks::evalMainMetric(ss(task))); }

EvaluateJob::EvaluateJob(ModelSessionPtr session, QString modelName, QString task, QString dataPath, EvalParams params)
    : session_(std::move(session)), modelName_(std::move(modelName)), task_(std::move(task)), data_(std::move(dataPath)),
      params_(std::move(params)) {}

std::string EvaluateJob::name() const { return "Evaluate " + ss(task_) + " · " + ss(modelName_); }

// The Qt adaptation of the engine task (engine/tasks/evaluate.h), which `embedlab-cli eval` runs too.
void EvaluateJob::run(Progress& progress) {
    if (!session_) throw Error::badInput("load a model first (Models panel) to evaluate it");
    tasks::EvalOptions o;
    o.task = ss(task_);
    o.data = ss(data_);
    o.embed = toOptions(params_.embed);
    o.minScore = params_.minScore;
    o.maxScore = params_.maxScore;
    o.seed = params_.seed;
    o.samplesPerLabel = params_.samplesPerLabel;
    o.experiments = params_.experiments;
    o.maxLength = params_.maxLength;
    o.stride = params_.stride;
    o.encoding = params_.encoding.isEmpty() ? std::string("auto") : ss(params_.encoding);
    SessionLock lock(*session_);
    tasks::EvalSubject subject;
    subject.model = session_->model.get();
    subject.tokenizer = session_->tokenizer.get();
    subject.modelPath = session_->path;
    if (!subject.model) throw Error::badInput("no model is loaded");
    result = tasks::evaluate(subject, o, progress);

    row.model = modelName_.isEmpty() ? qs(baseName(session_->path)) : modelName_;
    row.modelPath = qs(session_->path);
    row.task = task_;
    row.data = data_;
    row.main = qs(result.main);
    for (const auto& m : result.metrics) row.metrics.push_back({qs(m.name), m.value});
    row.mainValue = result.mainValue();
    row.settings = qs(result.settings);
    row.seconds = result.compute.seconds;
    row.embedSeconds = result.compute.embedSeconds;
    row.sentences = result.compute.sentences;
    row.sentencesPerSecond = result.compute.sentencesPerSecond;
    row.peakRssBytes = result.compute.peakRssBytes;
}

std::string EvaluateJob::summary() const {
    return ss(row.task) + " " + ss(row.main) + " = " + std::to_string(row.mainValue);
}

}  // namespace embedlab
