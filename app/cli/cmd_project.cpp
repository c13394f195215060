// `embedlab-cli project`: PCA, t-SNE or UMAP of a vectors file → CSV of coordinates, with the
// projection's trustworthiness and kNN recall (../shared/design/cli.md).
#include "app/cli/cli.h"

#include "engine/analysis/projection_quality.h"
#include "engine/core/error.h"
#include "engine/io/vectors.h"
#include "engine/tasks/project.h"

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

    tasks::ProjectOptions po;
    po.method = method;
    po.dims = static_cast<int>(dims);
    po.seed = seed;
    po.metric = metric;
    po.perplexity = perplexity;
    if (a.has("learning-rate")) po.learningRate = a.getDouble("learning-rate", 0);
    po.iterations = static_cast<int>(iterations);
    po.neighbors = static_cast<int>(neighbors);
    po.minDist = minDist;
    po.epochs = static_cast<int>(epochs);
    po.qualityK = qk;
    po.qualitySample = sample;
    tasks::ProjectResult r;
    {
        Progress sub(progress, 0.05, 1.0);
        r = tasks::project(set.data, po, sub);
    }
    const at::Tensor& coords = r.coords;
    const ProjectionQuality& q = r.quality;

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

    nlohmann::json j = {{"seconds", r.seconds},
                        {"trustworthiness", numberOrNull(q.trustworthiness)},
                        {"knn_recall", numberOrNull(q.knnRecall)},
                        {"k", q.k},
                        {"sample_size", q.sampleSize},
                        {"sampled", q.sampled},
                        {"quality_seconds", r.qualitySeconds},
                        {"method", method},
                        {"dims", dims},
                        {"count", set.size()},
                        {"dim", set.dim()},
                        {"rows_read", total},
                        {"excluded_rows", rep.nonFiniteRows},
                        {"duplicate_rows", rep.duplicateRows},
                        {"format", vectorFormatName(rep.format)},
                        {"out", out}};
    j.update(r.details);
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
