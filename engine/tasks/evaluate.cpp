#include "engine/tasks/evaluate.h"

#include "engine/core/error.h"
#include "engine/eval/bitext.h"
#include "engine/eval/classification.h"
#include "engine/eval/clustering.h"
#include "engine/eval/morphology.h"
#include "engine/eval/perplexity.h"
#include "engine/eval/retrieval.h"
#include "engine/eval/sts.h"
#include "engine/io/corpus.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace embedlab::tasks {
namespace {

template <typename T>
std::vector<T> concat(const std::vector<T>& a, const std::vector<T>& b) {
    std::vector<T> c(a);
    c.insert(c.end(), b.begin(), b.end());
    return c;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Embeds texts with the subject's model, or hands out its precomputed rows; counts sentences and time.
class VectorSource {
public:
    VectorSource(const EvalSubject& s, const EmbeddingOptions& o) : s_(s), o_(o) {}

    eval::Matrix embed(const std::vector<std::string>& texts, Progress& progress) {
        sentences_ += static_cast<int64_t>(texts.size());
        if (!s_.model) {
            if (s_.vectors->rows != static_cast<int64_t>(texts.size()))
                throw Error::badInput(s_.vectorsPath + " has " + std::to_string(s_.vectors->rows) +
                                      " rows but the task has " + std::to_string(texts.size()) +
                                      " texts (see docs/evaluation.md for the row order)");
            progress.report(1.0, "precomputed vectors");
            return o_.normalize ? eval::l2Normalized(*s_.vectors) : *s_.vectors;
        }
        const auto t0 = std::chrono::steady_clock::now();
        at::Tensor e = embedTexts(*s_.model, *s_.tokenizer, texts, o_, progress).to(at::kCPU, at::kFloat).contiguous();
        embedSeconds_ += secondsSince(t0);
        eval::Matrix m(e.size(0), e.size(1));
        if (!m.data.empty()) std::memcpy(m.data.data(), e.data_ptr<float>(), m.data.size() * sizeof(float));
        return m;
    }
    double embedSeconds() const { return embedSeconds_; }
    int64_t sentences() const { return sentences_; }

private:
    const EvalSubject& s_;
    const EmbeddingOptions& o_;
    double embedSeconds_ = 0.0;
    int64_t sentences_ = 0;
};

// Interventions on the model's forward, recorded in the result ("zero 0:1 · skip 2").
void noteInterventions(EvalResult& r, const Interventions& iv) {
    const std::string d = iv.describe();
    if (d.empty()) return;
    r.details["interventions"] = d;
    r.settings += " · " + d;
}

void checkSubject(const EvalSubject& s, const EvalOptions& o) {
    if (std::find(evalTasks().begin(), evalTasks().end(), o.task) == evalTasks().end())
        throw Error::badInput("unknown task '" + o.task +
                              "': sts, bitext, retrieval, clustering, classification, perplexity or morph");
    if (o.data.empty()) throw Error::badInput("choose the task's data file (or folder for retrieval)");
    if (!s.model && !s.vectors) throw Error::badInput("load a model (or give precomputed vectors) to evaluate");
    if (s.model && !s.tokenizer)
        throw Error::badInput("the model folder " + s.modelPath +
                              " has no tokenizer (tokenizer.json or tokenizer.model), so texts cannot be embedded");
    if (o.task == "perplexity" && !s.model) throw Error::badInput("perplexity needs a model, not precomputed vectors");
    if (o.task == "morph" && !s.tokenizer)
        throw Error::badInput("the morphology benchmark measures a tokenizer: load a model with one (or use "
                              "embedlab-cli morph boundaries --tokenizer PATH)");
    if (o.embed.batchSize <= 0) throw Error::badInput("the batch size must be positive");
    if (o.maxLength < 0 || o.stride < 0) throw Error::badInput("the window length and stride must not be negative");
}

}  // namespace

double EvalResult::metric(const std::string& name, double fallback) const {
    for (const auto& m : metrics)
        if (m.name == name) return m.value;
    return fallback;
}

const std::vector<std::string>& evalTasks() {
    static const std::vector<std::string> t = {"sts",        "bitext",     "retrieval", "clustering", "classification",
                                               "perplexity", "morph"};
    return t;
}

std::string evalMainMetric(const std::string& task) {
    if (task == "sts") return "spearman";
    if (task == "bitext") return "f1";
    if (task == "retrieval") return "ndcg@10";
    if (task == "clustering") return "v_measure";
    if (task == "classification") return "accuracy";
    if (task == "perplexity") return "perplexity";
    if (task == "morph") return "boundary_hit";
    return {};
}

EvalResult evaluate(const EvalSubject& subject, const EvalOptions& o, Progress& progress) {
    checkSubject(subject, o);
    eval::ComputeTimer timer;
    EvalResult r;
    r.task = o.task;
    r.data = o.data;
    r.main = evalMainMetric(o.task);
    auto put = [&r](std::string name, double v) { r.metrics.push_back({std::move(name), v, false}); };
    auto count = [&r](std::string name, int64_t v) { r.metrics.push_back({std::move(name), double(v), true}); };

    if (o.task == "perplexity") {
        Model& model = *subject.model;
        CorpusOptions co;
        co.encoding = parseEncoding(o.encoding.empty() ? "auto" : o.encoding);
        Corpus corpus;
        {
            Progress read(progress, 0.0, 0.1, "reading");
            corpus = readCorpus(o.data, co, read);
        }
        eval::PerplexityOptions po;
        po.maxLength = o.maxLength;
        po.stride = o.stride;
        po.interventions = o.embed.interventions;
        const auto t0 = std::chrono::steady_clock::now();
        eval::PerplexityResult p;
        {
            Progress stage(progress, 0.1, 1.0, "perplexity");
            p = eval::evaluatePerplexity(model, *subject.tokenizer, corpus.texts(), po, stage);
        }
        const double secs = secondsSince(t0);
        put("perplexity", p.perplexity);
        put("mean_nll", p.meanNll);
        put("bits_per_char", p.bitsPerChar);
        count("tokens", p.tokens);
        count("chars", p.chars);
        count("input_tokens", p.inputTokens);
        count("windows", p.windows);
        r.details["model"] = subject.modelPath;
        r.details["max_length"] = p.maxLength;
        r.details["stride"] = p.stride;
        r.details["encoding"] = encodingName(corpus.info.encoding);
        r.details["tokens_per_second"] = secs > 0 ? static_cast<double>(p.inputTokens) / secs : 0.0;
        r.settings = "max length " + std::to_string(p.maxLength) + " · stride " + std::to_string(p.stride);
        noteInterventions(r, po.interventions);
        r.compute = timer.finish(static_cast<int64_t>(corpus.records.size()), secs);
        progress.report(1.0, "done");
        return r;
    }

    if (o.task == "morph") {
        // The model's tokenizer on a gold treebank (engine/eval/morphology.h; docs/evaluation.md).
        eval::Treebank tb;
        {
            Progress read(progress, 0.0, 0.1, "treebank");
            tb = eval::readTreebank(o.data, read);
        }
        eval::BoundaryOptions bo;
        bo.seed = o.seed;
        const auto t0 = std::chrono::steady_clock::now();
        eval::BoundaryResult b;
        {
            Progress stage(progress, 0.1, 1.0, "boundaries");
            b = eval::morphBoundaries(*subject.tokenizer, tb, bo, stage);
        }
        put("boundary_hit", b.boundaryHit);
        put("root_intact", b.rootIntact);
        put("tokens_per_word", b.tokensPerWord);
        count("words", b.words);
        count("excluded", b.excluded);
        r.details["model"] = subject.modelPath;
        r.details["ci95"] = {{"boundary_hit", {b.boundaryHitCi.first, b.boundaryHitCi.second}},
                             {"root_intact", {b.rootIntactCi.first, b.rootIntactCi.second}}};
        r.details["malformed_lines"] = tb.malformedLines;
        r.settings = "tokenizer " + subject.tokenizer->name();
        r.compute = timer.finish(b.words, secondsSince(t0));
        progress.report(1.0, "done");
        return r;
    }

    VectorSource src(subject, o.embed);
    if (subject.model) {
        const int64_t layer = resolveLayer(*subject.model, o.embed.layer);
        r.details["model"] = subject.modelPath;
        r.details["pooling"] = poolingName(o.embed.pooling);
        r.details["layer"] = layer;
        r.settings = std::string(poolingName(o.embed.pooling)) + " · layer " + std::to_string(layer) +
                     (o.embed.normalize ? " · normalized" : "");
    } else {
        r.details["vectors"] = subject.vectorsPath;
        r.settings = std::string("precomputed vectors") + (o.embed.normalize ? " · normalized" : "");
    }
    r.details["normalize"] = o.embed.normalize;
    if (subject.model) noteInterventions(r, o.embed.interventions);
    progress.report(0.01, "reading the data");
    auto embed = [&](const std::vector<std::string>& texts, double f0, double f1) {
        Progress stage(progress, f0, f1, "embedding");
        eval::Matrix m = src.embed(texts, stage);
        if (o.onVectors) o.onVectors(m);
        return m;
    };
    if (o.task == "sts") {
        const auto d = eval::readStsData(o.data, o.minScore, o.maxScore);
        const eval::Matrix e = embed(concat(d.s1, d.s2), 0.02, 0.95);
        const int64_t n = static_cast<int64_t>(d.gold.size());
        const auto m = eval::evaluateSts(e.slice(0, n), e.slice(n, 2 * n), d.gold);
        put("spearman", m.spearman);
        put("pearson", m.pearson);
        count("pairs", m.pairs);
    } else if (o.task == "bitext") {
        const auto d = eval::readBitextData(o.data);
        const eval::Matrix e = embed(concat(d.src, d.tgt), 0.02, 0.9);
        const int64_t n = static_cast<int64_t>(d.src.size());
        Progress stage(progress, 0.9, 1.0, "mining");
        const auto m = eval::evaluateBitext(e.slice(0, n), e.slice(n, 2 * n), stage);
        put("f1", m.f1);
        put("accuracy", m.accuracy);
        put("precision", m.precision);
        put("recall", m.recall);
        count("pairs", m.pairs);
    } else if (o.task == "retrieval") {
        const auto d = eval::readRetrievalData(o.data);
        const eval::Matrix e = embed(concat(d.queryTexts, d.docTexts), 0.02, 0.9);
        const int64_t nq = static_cast<int64_t>(d.queryTexts.size());
        Progress stage(progress, 0.9, 1.0, "ranking");
        const auto m = eval::evaluateRetrieval(d, e.slice(0, nq), e.slice(nq, e.rows), stage);
        put("ndcg@10", m.ndcgAt10);
        put("mrr@10", m.mrrAt10);
        for (const auto& [k, v] : m.recall) put("recall@" + std::to_string(k), v);
        count("queries", m.queriesEvaluated);
        count("documents", m.documents);
        if (d.qrelsUnknownDocs) r.details["qrels_unknown_documents"] = d.qrelsUnknownDocs;
    } else if (o.task == "clustering") {
        const auto d = eval::readClusteringData(o.data);
        const eval::Matrix e = embed(d.texts, 0.02, 0.8);
        eval::ClusteringOptions co;
        co.seed = o.seed;
        Progress stage(progress, 0.8, 1.0, "k-means");
        const auto m = eval::evaluateClustering(e, d.labels, co, stage);
        put("v_measure", m.vMeasure);
        put("v_measure_std", m.vMeasureStd);
        put("v_measure_full", m.vMeasureFull);
        count("clusters", m.clusters);
        count("points", m.points);
    } else {  // classification
        const auto d = eval::readClassificationData(o.data);
        const eval::Matrix e = embed(concat(d.trainTexts, d.testTexts), 0.02, 0.8);
        const int64_t ntr = static_cast<int64_t>(d.trainTexts.size());
        eval::ClassificationOptions co;
        co.samplesPerLabel = o.samplesPerLabel;
        co.experiments = o.experiments;
        co.seed = o.seed;
        Progress stage(progress, 0.8, 1.0, "logistic regression");
        const auto m = eval::evaluateClassification(e.slice(0, ntr), d.trainLabels, e.slice(ntr, e.rows), d.testLabels,
                                                    static_cast<int64_t>(d.labelNames.size()), co, stage);
        put("accuracy", m.accuracy);
        put("f1", m.f1);
        put("f1_weighted", m.f1Weighted);
        count("train", m.train);
        count("test", m.test);
        count("classes", m.classes);
        if (o.samplesPerLabel > 0) {
            r.details["samples_per_label"] = o.samplesPerLabel;
            r.details["experiments"] = o.experiments;
        }
    }
    r.compute = timer.finish(src.sentences(), src.embedSeconds());
    progress.report(1.0, "done");
    return r;
}

nlohmann::json toJson(const EvalResult& r) {
    nlohmann::json j = {{"task", r.task}, {"data", r.data}};
    for (const auto& m : r.metrics) {
        if (m.integer) j[m.name] = static_cast<int64_t>(m.value);
        else j[m.name] = m.value;
    }
    j.update(r.details);
    j["seconds"] = r.compute.seconds;
    j["embed_seconds"] = r.compute.embedSeconds;
    j["sentences"] = r.compute.sentences;
    j["sentences_per_second"] = r.compute.sentencesPerSecond;
    j["peak_rss_bytes"] = r.compute.peakRssBytes;
    return j;
}

}  // namespace embedlab::tasks
