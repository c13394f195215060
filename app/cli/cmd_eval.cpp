// `embedlab-cli eval (sts|bitext|retrieval|clustering|classification|perplexity)`: MTEB-style metrics
// of sentence embeddings from a model (or precomputed vectors), and perplexity of a causal LM.
// Data formats and metric definitions: docs/evaluation.md.
#include "cli.h"

#include "core/error.h"
#include "eval/bitext.h"
#include "eval/classification.h"
#include "eval/clustering.h"
#include "eval/compute.h"
#include "eval/matrix.h"
#include "eval/perplexity.h"
#include "eval/retrieval.h"
#include "eval/sts.h"
#include "io/corpus.h"
#include "io/npy.h"
#include "models/dtype.h"
#include "models/embedding.h"
#include "models/model.h"
#include "models/model_loader.h"
#include "tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

namespace embedlab::cli {
namespace {

using eval::Matrix;

// Where sentence vectors come from: a model (+ tokenizer) or a .npy file with one row per text.
class VectorSource {
public:
    explicit VectorSource(const Args& a) : args_(a) {
        if (a.has("vectors") == a.has("model"))
            throw UsageError("give either --model DIR or --vectors FILE.npy");
        opts_.pooling = parsePooling(a.get("pooling", "mean"));
        opts_.layer = a.getInt("layer", -1);
        opts_.normalize = a.has("normalize");
        opts_.batchSize = a.getInt("batch-size", 32);
        opts_.maxLength = a.getInt("max-length", 0);
        if (opts_.batchSize <= 0) throw UsageError("--batch-size must be positive");
        if (a.has("vectors")) {
            NpyArray arr = readNpy(a.get("vectors"));
            if (arr.shape.size() != 2)
                throw Error::badInput(a.get("vectors") + ": expected a 2-D array [texts, dim], got " +
                                      std::to_string(arr.shape.size()) + "-D");
            vectors_.rows = arr.shape[0];
            vectors_.cols = arr.shape[1];
            vectors_.data = std::move(arr.data);
        } else {
            const std::string dir = a.get("model");
            tokenizer_ = loadTokenizer(a.get("tokenizer", dir));
            const c10::Device device(deviceFromArgs(a));
            std::vector<std::string> warnings;
            model_ = loadModel(dir, device, parseDtype(dtypeFromArgs(a)), &warnings);
            for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        }
    }

    // The vectors of `texts`, in order (a .npy file must hold exactly these rows).
    Matrix embed(const std::vector<std::string>& texts, Progress& progress) {
        sentences_ = static_cast<int64_t>(texts.size());
        if (!model_) {
            if (vectors_.rows != static_cast<int64_t>(texts.size()))
                throw Error::badInput(args_.get("vectors") + " has " + std::to_string(vectors_.rows) +
                                      " rows but the task has " + std::to_string(texts.size()) +
                                      " texts (see docs/evaluation.md for the row order)");
            Matrix m = vectors_;
            if (opts_.normalize) m = eval::l2Normalized(m);
            return m;
        }
        const auto t0 = std::chrono::steady_clock::now();
        at::Tensor e = embedTexts(*model_, *tokenizer_, texts, opts_, progress).to(at::kCPU, at::kFloat).contiguous();
        embedSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        Matrix m(e.size(0), e.size(1));
        std::memcpy(m.data.data(), e.data_ptr<float>(), m.data.size() * sizeof(float));
        return m;
    }

    nlohmann::json describe() const {
        nlohmann::json j;
        if (model_) {
            j["model"] = args_.get("model");
            j["pooling"] = poolingName(opts_.pooling);
            j["layer"] = resolveLayer(*model_, opts_.layer);
        } else {
            j["vectors"] = args_.get("vectors");
        }
        j["normalize"] = opts_.normalize;
        return j;
    }
    double embedSeconds() const { return embedSeconds_; }
    int64_t sentences() const { return sentences_; }

private:
    const Args& args_;
    EmbeddingOptions opts_;
    Matrix vectors_;
    std::unique_ptr<Tokenizer> tokenizer_;
    std::unique_ptr<Model> model_;
    double embedSeconds_ = 0;
    int64_t sentences_ = 0;
};

void addCompute(nlohmann::json& j, const eval::ComputeFigures& c) {
    j["seconds"] = c.seconds;
    j["embed_seconds"] = c.embedSeconds;
    j["sentences"] = c.sentences;
    j["sentences_per_second"] = c.sentencesPerSecond;
    j["peak_rss_bytes"] = c.peakRssBytes;
}

template <typename T>
std::vector<T> concat(const std::vector<T>& a, const std::vector<T>& b) {
    std::vector<T> c(a);
    c.insert(c.end(), b.begin(), b.end());
    return c;
}

int runEval(Args& a) {
    if (a.positional.size() != 1)
        throw UsageError("name one task: sts, bitext, retrieval, clustering, classification or perplexity");
    const std::string task = a.positional[0];
    const std::string data = a.require("data");
    eval::ComputeTimer timer;
    StderrProgress progress("eval " + task);
    nlohmann::json out = {{"task", task}, {"data", data}};

    if (task == "perplexity") {
        if (!a.has("model")) throw UsageError("perplexity needs --model DIR (a causal language model)");
        if (a.has("vectors")) throw UsageError("perplexity needs a model, not --vectors");
        const std::string dir = a.get("model");
        auto tok = loadTokenizer(a.get("tokenizer", dir));
        auto model = loadModel(dir, c10::Device(deviceFromArgs(a)), parseDtype(dtypeFromArgs(a)));
        CorpusOptions co;
        co.encoding = parseEncoding(a.get("encoding", "auto"));
        Corpus corpus = readCorpus(data, co, progress);
        eval::PerplexityOptions po;
        po.maxLength = a.getInt("max-length", 0);
        po.stride = a.getInt("stride", 0);
        if (po.maxLength < 0 || po.stride < 0) throw UsageError("--max-length and --stride must not be negative");
        const auto t0 = std::chrono::steady_clock::now();
        auto r = eval::evaluatePerplexity(*model, *tok, corpus.texts(), po, progress);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["model"] = dir;
        out["perplexity"] = r.perplexity;
        out["tokens"] = r.tokens;
        out["mean_nll"] = r.meanNll;
        out["input_tokens"] = r.inputTokens;
        out["windows"] = r.windows;
        out["max_length"] = r.maxLength;
        out["stride"] = r.stride;
        out["encoding"] = encodingName(corpus.info.encoding);
        auto c = timer.finish(static_cast<int64_t>(corpus.records.size()), secs);
        addCompute(out, c);
        out["tokens_per_second"] = secs > 0 ? static_cast<double>(r.inputTokens) / secs : 0.0;
        printJson(out);
        return 0;
    }

    VectorSource src(a);
    if (task == "sts") {
        const auto d = eval::readStsData(data, a.getDouble("min-score", 0.0), a.getDouble("max-score", 5.0));
        const Matrix e = src.embed(concat(d.s1, d.s2), progress);
        const int64_t n = static_cast<int64_t>(d.gold.size());
        const auto r = eval::evaluateSts(e.slice(0, n), e.slice(n, 2 * n), d.gold);
        out["spearman"] = r.spearman;
        out["pearson"] = r.pearson;
        out["pairs"] = r.pairs;
    } else if (task == "bitext") {
        const auto d = eval::readBitextData(data);
        const Matrix e = src.embed(concat(d.src, d.tgt), progress);
        const int64_t n = static_cast<int64_t>(d.src.size());
        const auto r = eval::evaluateBitext(e.slice(0, n), e.slice(n, 2 * n), progress);
        out["accuracy"] = r.accuracy;
        out["f1"] = r.f1;
        out["precision"] = r.precision;
        out["recall"] = r.recall;
        out["pairs"] = r.pairs;
    } else if (task == "retrieval") {
        const auto d = eval::readRetrievalData(data);
        const Matrix e = src.embed(concat(d.queryTexts, d.docTexts), progress);
        const int64_t nq = static_cast<int64_t>(d.queryTexts.size());
        const auto r = eval::evaluateRetrieval(d, e.slice(0, nq), e.slice(nq, e.rows), progress);
        out["ndcg@10"] = r.ndcgAt10;
        out["mrr@10"] = r.mrrAt10;
        for (const auto& [k, v] : r.recall) out["recall@" + std::to_string(k)] = v;
        out["queries"] = r.queriesEvaluated;
        out["documents"] = r.documents;
        if (d.qrelsUnknownDocs) out["qrels_unknown_documents"] = d.qrelsUnknownDocs;
    } else if (task == "clustering") {
        const auto d = eval::readClusteringData(data);
        const Matrix e = src.embed(d.texts, progress);
        eval::ClusteringOptions o;
        o.seed = static_cast<uint64_t>(a.getInt("seed", 42));
        const auto r = eval::evaluateClustering(e, d.labels, o, progress);
        out["v_measure"] = r.vMeasure;
        out["v_measure_std"] = r.vMeasureStd;
        out["v_measure_full"] = r.vMeasureFull;
        out["clusters"] = r.clusters;
        out["points"] = r.points;
    } else if (task == "classification") {
        const auto d = eval::readClassificationData(data);
        const Matrix e = src.embed(concat(d.trainTexts, d.testTexts), progress);
        const int64_t ntr = static_cast<int64_t>(d.trainTexts.size());
        eval::ClassificationOptions o;
        o.samplesPerLabel = a.getInt("samples-per-label", 0);
        o.experiments = a.getInt("experiments", 10);
        o.seed = static_cast<uint64_t>(a.getInt("seed", 42));
        const auto r = eval::evaluateClassification(e.slice(0, ntr), d.trainLabels, e.slice(ntr, e.rows), d.testLabels,
                                                    static_cast<int64_t>(d.labelNames.size()), o, progress);
        out["accuracy"] = r.accuracy;
        out["f1"] = r.f1;
        out["f1_weighted"] = r.f1Weighted;
        out["train"] = r.train;
        out["test"] = r.test;
        out["classes"] = r.classes;
    } else {
        throw UsageError("unknown task '" + task + "': sts, bitext, retrieval, clustering, classification or perplexity");
    }
    out.update(src.describe());
    addCompute(out, timer.finish(src.sentences(), src.embedSeconds()));
    printJson(out);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "eval",
    "eval (sts|bitext|retrieval|clustering|classification) (--model DIR [--tokenizer PATH] | --vectors FILE.npy)\n"
    "  --data FILE|DIR [--pooling mean|cls|last|max] [--layer L] [--normalize] [--batch-size B] [--max-length N]\n"
    "  [--min-score 0 --max-score 5] [--seed S] [--samples-per-label N --experiments E]\n"
    "eval perplexity --model DIR [--tokenizer PATH] --data FILE [--max-length N] [--stride S] [--encoding E]",
    {"normalize"},
    {"model", "vectors", "tokenizer", "data", "pooling", "layer", "batch-size", "max-length", "min-score", "max-score",
     "seed", "samples-per-label", "experiments", "stride", "encoding"},
    runEval});

}  // namespace embedlab::cli
