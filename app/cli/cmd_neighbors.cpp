// `embedlab-cli neighbors`: the k nearest rows of a vectors file to one row (by number or label), or an
// analogy a − b + c (../shared/design/cli.md).
#include "app/cli/cli.h"

#include "engine/analysis/knn.h"
#include "engine/core/error.h"
#include "engine/io/vector_row_finder.h"
#include "engine/io/vectors.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace embedlab::cli {
namespace {

int runNeighbors(Args& a) {
    const std::string input = a.require("input");
    if (!a.has("query") && !a.has("analogy")) throw UsageError("missing --query (or --analogy A,B,C)");
    const long long k = a.getInt("k", 10);
    if (k < 1) throw UsageError("--k must be at least 1");
    const std::string mname = a.get("metric", "cosine");
    if (mname != "cosine" && mname != "dot" && mname != "euclidean") throw UsageError("--metric must be cosine, dot or euclidean");
    const Metric metric = parseMetric(mname);
    VectorReadOptions ro;
    ro.tensorName = a.get("tensor");
    ro.metadataPath = a.get("metadata");
    VectorReadReport rep;
    StderrProgress progress(a, "neighbors");
    VectorSet set = readVectors(input, ro, &rep, progress);
    for (const auto& w : rep.warnings) std::fprintf(stderr, "warning: %s: %s\n", input.c_str(), w.c_str());
    // The app's neighbours panel finds queries the same way (engine/io/vector_row_finder.h).
    const VectorRowFinder finder(set);
    auto resolveRow = [&](const std::string& q) { return finder.find(q); };
    std::vector<Neighbor> nb;
    if (a.has("analogy")) {
        const std::string s = a.get("analogy");
        std::vector<std::string> parts;
        size_t p = 0;
        while (true) {
            auto c = s.find(',', p);
            parts.push_back(s.substr(p, c == std::string::npos ? std::string::npos : c - p));
            if (c == std::string::npos) break;
            p = c + 1;
        }
        if (parts.size() != 3) throw UsageError("--analogy expects A,B,C (a − b + c)");
        nb = analogy(set.data, resolveRow(parts[0]), resolveRow(parts[1]), resolveRow(parts[2]), k, metric);
    } else {
        nb = nearestToRow(set.data, resolveRow(a.get("query")), k, metric);
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& n : nb) {
        nlohmann::json lab = set.labels.empty() ? nlohmann::json(nullptr) : nlohmann::json(set.labels[static_cast<size_t>(n.row)]);
        out.push_back({{"row", set.sourceRows[static_cast<size_t>(n.row)]}, {"label", lab}, {"score", n.score}});
    }
    printJson(out);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"neighbors",
                             "neighbors --input VECTORS (--query ROW|LABEL | --analogy A,B,C) [--k 10]\n"
                             "  [--metric cosine|dot|euclidean] [--tensor NAME] [--metadata FILE.tsv]",
                             {},
                             {"input", "query", "analogy", "k", "metric", "tensor", "metadata"},
                             runNeighbors});

}  // namespace embedlab::cli
