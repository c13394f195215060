// `embedlab-cli project`: PCA, t-SNE or UMAP of a vectors file → CSV of coordinates, with the
// projection's trustworthiness and kNN recall (../shared/design/cli.md).
#include "app/cli/cli.h"

#include "engine/analysis/pca.h"
#include "engine/analysis/projection_quality.h"
#include "engine/analysis/tsne.h"
#include "engine/analysis/umap.h"
#include "engine/core/error.h"
#include "engine/io/vectors.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace embedlab::cli {
namespace {

nlohmann::json numberOrNull(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

int runProject(Args& a) {
    const std::string input = a.require("input");
    const std::string out = a.require("out");
    const std::string method = a.require("method");
    if (method != "pca" && method != "tsne" && method != "umap") throw UsageError("--method must be pca, tsne or umap");
    const long long dims = a.getInt("dims", 2);
    if (dims != 2 && dims != 3) throw UsageError("--dims must be 2 or 3");
    const long long seedArg = a.getInt("seed", 0);
    if (seedArg < 0) throw UsageError("--seed must not be negative");
    const uint64_t seed = static_cast<uint64_t>(seedArg);
    const std::string metricName = a.get("metric", "euclidean");
    if (metricName != "cosine" && metricName != "euclidean") throw UsageError("--metric must be cosine or euclidean");
    const Metric metric = parseMetric(metricName);
    const double perplexity = a.getDouble("perplexity", 30.0);
    if (!(perplexity > 0)) throw UsageError("--perplexity must be positive");
    const long long neighbors = a.getInt("neighbors", 15);
    if (neighbors < 2) throw UsageError("--neighbors must be at least 2");
    const double minDist = a.getDouble("min-dist", 0.1);
    if (minDist < 0 || minDist > 1.0) throw UsageError("--min-dist must be between 0 and 1 (the spread)");
    const long long iterations = a.getInt("iterations", 1000);
    if (iterations < 1 || iterations > 1000000) throw UsageError("--iterations must be between 1 and 1000000");
    const long long epochs = a.getInt("epochs", 0);
    if (epochs < 0 || epochs > 1000000) throw UsageError("--epochs must be between 0 (auto) and 1000000");
    const long long qk = a.getInt("quality-k", 10);
    if (qk < 1) throw UsageError("--quality-k must be at least 1");
    const long long sample = a.getInt("quality-sample", 10000);
    if (sample < 10) throw UsageError("--quality-sample must be at least 10");

    StderrProgress progress(a, "project");
    VectorReadOptions ro;
    ro.tensorName = a.get("tensor");
    ro.metadataPath = a.get("metadata");
    VectorReadReport rep;
    VectorSet set;
    {
        Progress sub(progress, 0.0, 0.05);
        set = readVectors(input, ro, &rep, sub);
    }
    for (const auto& w : rep.warnings) std::fprintf(stderr, "warning: %s: %s\n", input.c_str(), w.c_str());

    const auto t0 = std::chrono::steady_clock::now();
    at::Tensor coords;
    nlohmann::json extra = nlohmann::json::object();
    {
        Progress sub(progress, 0.05, 0.85);
        if (method == "pca") {
            if (set.dim() < dims)
                throw Error::badInput(input + ": PCA to " + std::to_string(dims) + " dimensions needs vectors of at least " +
                                      std::to_string(dims) + " dimensions, these have " + std::to_string(set.dim()));
            PcaOptions o;
            o.components = dims;
            o.seed = seed;
            PcaResult r = pca(set.data, o, sub);
            coords = r.coords;
            extra["explained_variance_ratio"] = std::vector<double>(
                r.explainedVarianceRatio.data_ptr<double>(), r.explainedVarianceRatio.data_ptr<double>() + dims);
            extra["randomized"] = r.randomized;
        } else if (method == "tsne") {
            TsneOptions o;
            o.dims = static_cast<int>(dims);
            o.seed = seed;
            o.perplexity = perplexity;
            o.metric = metric;
            o.iterations = static_cast<int>(iterations);
            if (a.has("learning-rate")) o.learningRate = a.getDouble("learning-rate", 0);
            TsneResult r = tsne(set.data, o, sub);
            coords = r.embedding;
            extra["perplexity"] = r.perplexity;
            extra["iterations"] = r.iterations;
            extra["exact_knn"] = r.exactKnn;
        } else {
            UmapOptions o;
            o.dims = static_cast<int>(dims);
            o.seed = seed;
            o.nNeighbors = static_cast<int>(neighbors);
            o.minDist = minDist;
            o.metric = metric;
            o.epochs = static_cast<int>(epochs);
            UmapResult r = umap(set.data, o, sub);
            coords = r.embedding;
            extra["neighbors"] = r.neighbors;
            extra["epochs"] = r.epochs;
            extra["init"] = r.init;
            extra["components"] = r.components;  // of the fuzzy graph (PCA initialisation when > 1)
            extra["a"] = r.a;
            extra["b"] = r.b;
            extra["exact_knn"] = r.exactKnn;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // One line per input vector: rows excluded for NaN/Inf get `nan` coordinates.
    const int64_t total = rep.rowsRead > 0 ? rep.rowsRead : set.size();
    at::Tensor full = at::full({total, dims}, std::numeric_limits<float>::quiet_NaN(), at::kFloat);
    full.index_copy_(0, at::tensor(set.sourceRows, at::kLong), coords.to(at::kFloat));
    std::vector<std::string> labels;
    if (!set.labels.empty()) {
        labels.assign(static_cast<size_t>(total), std::string());
        for (size_t i = 0; i < set.sourceRows.size(); ++i) labels[static_cast<size_t>(set.sourceRows[i])] = set.labels[i];
    }
    writeCoordinatesCsv(out, full, labels);

    const auto q0 = std::chrono::steady_clock::now();
    QualityOptions qo;
    qo.k = qk;
    qo.metric = metric;
    qo.sampleLimit = sample;
    qo.seed = seed;
    ProjectionQuality q;
    {
        Progress sub(progress, 0.85, 1.0);
        q = projectionQuality(set.data, coords, qo, sub);
    }
    nlohmann::json j = {{"seconds", seconds},
                        {"trustworthiness", numberOrNull(q.trustworthiness)},
                        {"knn_recall", numberOrNull(q.knnRecall)},
                        {"k", q.k},
                        {"sample_size", q.sampleSize},
                        {"sampled", q.sampled},
                        {"quality_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - q0).count()},
                        {"method", method},
                        {"dims", dims},
                        {"count", set.size()},
                        {"dim", set.dim()},
                        {"rows_read", total},
                        {"excluded_rows", rep.nonFiniteRows},
                        {"duplicate_rows", rep.duplicateRows},
                        {"format", vectorFormatName(rep.format)},
                        {"out", out}};
    j.update(extra);
    printJson(j);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "project",
    "project --input FILE.(npy|safetensors|tsv|txt|vec|bin) --method pca|tsne|umap [--dims 2|3] [--seed S]\n"
    "  [--perplexity P] [--neighbors K] [--min-dist D] [--metric cosine|euclidean] --out FILE.csv\n"
    "  [--iterations N] [--epochs N] [--learning-rate R] [--tensor NAME] [--metadata FILE.tsv]\n"
    "  [--quality-k K] [--quality-sample N]",
    {},
    {"input", "method", "dims", "seed", "perplexity", "neighbors", "min-dist", "metric", "out", "iterations", "epochs",
     "learning-rate", "tensor", "metadata", "quality-k", "quality-sample"},
    runProject});

}  // namespace embedlab::cli
