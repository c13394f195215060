// bench_projection — times embedlab's PCA, t-SNE and UMAP on one .npy matrix and measures their
// trustworthiness and kNN recall; with --baseline-dir it also scores the embeddings that
// bench/sklearn_baseline.py wrote (sklearn TSNE, umap-learn) with the same code and sample, and prints
// the speed ratios against the seconds that script recorded. Plain main, JSON on stdout.
//
//   bench_projection --input X.npy [--threads 2] [--methods pca,tsne,umap] [--seed 0]
//                    [--quality-sample 10000] [--baseline-dir DIR] [--out-dir DIR]
#include "engine/device/blas_setup.h"
#include "engine/analysis/pca.h"
#include "engine/analysis/projection_quality.h"
#include "engine/analysis/tsne.h"
#include "engine/analysis/umap.h"
#include "engine/core/error.h"
#include "engine/io/vectors.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <sys/utsname.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

using namespace embedlab;
using nlohmann::json;

namespace {

double cpuNow() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string cpuModel() {
    std::ifstream f("/proc/cpuinfo");
    for (std::string l; std::getline(f, l);)
        if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
    return "unknown";
}

void saveNpyF32(const std::string& path, const at::Tensor& t) {
    at::Tensor c = t.to(at::kFloat).contiguous();
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(c.size(0)) + ", " +
                    std::to_string(c.size(1)) + "), }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::ofstream f(path, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    f.put(static_cast<char>(h.size() & 0xff));
    f.put(static_cast<char>(h.size() >> 8));
    f << h;
    f.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * 4));
}

}  // namespace

int main(int argc, char** argv) {
    embedlab::reexecWithFastBlasIfNeeded(argv);
    std::map<std::string, std::string> a = {{"threads", "2"}, {"methods", "tsne,umap"}, {"seed", "0"},
                                            {"quality-sample", "10000"}};
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) {
            std::fprintf(stderr, "usage: bench_projection --input X.npy [--threads N] [--methods pca,tsne,umap] ...\n");
            return 2;
        }
        a[k.substr(2)] = argv[i + 1];
    }
    if (!a.count("input")) {
        std::fprintf(stderr, "usage: bench_projection --input X.npy [--threads N] [--methods pca,tsne,umap] "
                             "[--seed S] [--quality-sample N] [--baseline-dir DIR] [--out-dir DIR]\n");
        return 2;
    }
    try {
        const int threads = std::stoi(a["threads"]);
        at::set_num_threads(threads);
        const uint64_t seed = std::stoull(a["seed"]);
        VectorSet set = readVectors(a["input"]);
        const int64_t n = set.size();
        struct utsname un {};
        ::uname(&un);
        json out = {{"machine", {{"cpu", cpuModel()}, {"cores", std::thread::hardware_concurrency()},
                                 {"os", std::string(un.sysname) + " " + un.release}}},
                    {"threads", threads},
                    {"dtype", "float32"},
                    {"n", n},
                    {"dim", set.dim()},
                    {"results", json::array()}};
        QualityOptions qo;
        qo.k = 10;
        qo.sampleLimit = std::stoll(a["quality-sample"]);
        qo.seed = 1234;
        auto score = [&](const std::string& name, double seconds, const at::Tensor& y) {
            const double t0 = now();
            ProjectionQuality q = projectionQuality(set.data, y, qo);
            json r = {{"method", name}, {"seconds", seconds}, {"trustworthiness", q.trustworthiness},
                      {"knn_recall", q.knnRecall}, {"k", q.k}, {"sample_size", q.sampleSize},
                      {"quality_seconds", now() - t0}};
            std::fprintf(stderr, "%s\n", r.dump().c_str());
            return r;
        };
        std::stringstream ms(a["methods"]);
        std::map<std::string, json> ours;
        for (std::string m; std::getline(ms, m, ',');) {
            at::Tensor y;
            // Seconds per stage: the progress message without its trailing counter ("UMAP epoch 17"
            // → "UMAP epoch"), from its first report to the next stage's (listener every 0 ms).
            Progress progress;
            std::vector<std::pair<std::string, double>> stages;
            progress.setListener(
                [&](const ProgressSnapshot& s) {
                    std::string stem = s.message;
                    while (!stem.empty() && (std::isdigit(static_cast<unsigned char>(stem.back())) || stem.back() == ' '))
                        stem.pop_back();
                    if (stages.empty() || stages.back().first != stem) stages.emplace_back(stem, s.elapsedSeconds);
                },
                0);
            const double t0 = now(), c0 = cpuNow();
            if (m == "pca") {
                PcaOptions o;
                o.seed = seed;
                y = pca(set.data, o, progress).coords;
            } else if (m == "tsne") {
                TsneOptions o;
                o.seed = seed;
                y = tsne(set.data, o, progress).embedding;
            } else if (m == "umap") {
                UmapOptions o;
                o.seed = seed;
                y = umap(set.data, o, progress).embedding;
            } else {
                std::fprintf(stderr, "unknown method %s\n", m.c_str());
                return 2;
            }
            const double secs = now() - t0, cpu = cpuNow() - c0;
            if (a.count("out-dir")) saveNpyF32(a["out-dir"] + "/embedlab_" + m + ".npy", y);
            ours[m] = score("embedlab_" + m, secs, y);
            ours[m]["cpu_seconds"] = cpu;
            json st = json::array();
            for (size_t i = 0; i < stages.size(); ++i)
                st.push_back({{"stage", stages[i].first},
                              {"seconds", (i + 1 < stages.size() ? stages[i + 1].second : secs) - stages[i].second}});
            ours[m]["stages"] = st;
            out["results"].push_back(ours[m]);
        }
        if (a.count("baseline-dir")) {
            const std::string dir = a["baseline-dir"];
            std::ifstream bf(dir + "/baseline.json");
            if (bf) {
                json base = json::parse(bf);
                out["baseline_versions"] = base.value("versions", json::object());
                json ratios = json::object();
                for (auto& [m, info] : base["results"].items()) {
                    const std::string ours_m = m == "sklearn_tsne" ? "tsne" : m == "umap_learn" ? "umap" : m;
                    VectorReadOptions ro;
                    VectorSet emb = readVectors(dir + "/" + m + ".npy", ro);
                    json r = score(m, info["seconds"].get<double>(), emb.data);
                    if (info.contains("cpu_seconds")) r["cpu_seconds"] = info["cpu_seconds"];
                    out["results"].push_back(r);
                    if (ours.count(ours_m)) {
                        ratios[ours_m] = {{"speedup", info["seconds"].get<double>() / ours[ours_m]["seconds"].get<double>()},
                                          {"cpu_ratio", info.contains("cpu_seconds")
                                                            ? info["cpu_seconds"].get<double>() / ours[ours_m]["cpu_seconds"].get<double>()
                                                            : 0.0},
                                          {"trustworthiness_delta",
                                           ours[ours_m]["trustworthiness"].get<double>() - r["trustworthiness"].get<double>()}};
                    }
                }
                out["ratios_vs_baseline"] = ratios;
            }
        }
        std::cout << out.dump() << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 3;
    }
}
