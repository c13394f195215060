// Tokenizer benchmark: load time of the Hugging Face tokenizer.json files (Gemma 3's is 33 MB with a
// 262,144 vocabulary and ~515k merges) and single-thread encoding throughput on Turkish text, with
// libsentencepiece (tr_bpe_2k_bytefallback.model through SentencePieceModel) as the baseline
// measured in the same run.
//
//   bench_tokenizer [TEXT_FILE]
//
// Without TEXT_FILE the text is ~4 MB of Turkish lines built from the fixture sentences' words in a
// fixed pseudo-random order (so that lines are not repeated and the word cache does not flatter the
// figures). Fixtures come from $EMBEDLAB_FIXTURES (default ../shared/fixtures). Prints JSON.
#include "engine/device/blas_setup.h"
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/hf_tokenizer.h"
#include "engine/tokenizers/sentencepiece_library.h"
#include "engine/tokenizers/tokenizer.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
// CPU time of this thread: on a shared, loaded machine it is the fairer figure.
double cpuNow() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
struct Rate {
    double wall, cpu;  // MB/s
};

std::string fixtures() {
    const char* e = std::getenv("EMBEDLAB_FIXTURES");
    return e && *e ? e : "../shared/fixtures";
}

std::vector<std::string> buildText(const std::string& file, size_t* bytes) {
    std::vector<std::string> lines;
    if (!file.empty()) {
        std::ifstream in(file);
        if (!in) throw embedlab::Error::badInput("cannot open " + file);
        std::string l;
        while (std::getline(in, l)) lines.push_back(l);
    } else {
        const auto j = nlohmann::json::parse(embedlab::readFile(fixtures() + "/tokenizers/sentences.json"));
        std::vector<std::string> words;
        for (const auto& s : j["sentences"]) {
            std::istringstream ss(s.get<std::string>());
            std::string w;
            while (ss >> w) words.push_back(w);
        }
        std::mt19937 rng(42);
        size_t total = 0;
        while (total < 4u * 1024 * 1024) {
            const size_t n = 6 + rng() % 15;
            std::string line;
            for (size_t k = 0; k < n; ++k) {
                if (k) line += ' ';
                line += words[rng() % words.size()];
            }
            total += line.size() + 1;
            lines.push_back(std::move(line));
        }
    }
    *bytes = 0;
    for (const auto& l : lines) *bytes += l.size() + 1;
    return lines;
}

// Runs fn over all lines until at least minSeconds passed; returns MB/s.
template <typename Fn>
Rate throughput(const std::vector<std::string>& lines, size_t bytes, Fn fn, double minSeconds = 2.0) {
    size_t done = 0;
    const auto t0 = Clock::now();
    const double c0 = cpuNow();
    do {
        for (const auto& l : lines) fn(l);
        done += bytes;
    } while (since(t0) < minSeconds);
    const double mb = static_cast<double>(done) / (1024.0 * 1024.0);
    return {mb / since(t0), mb / (cpuNow() - c0)};
}

}  // namespace

int main(int argc, char** argv) {
    embedlab::reexecWithFastBlasIfNeeded(argv);
    try {
        size_t bytes = 0;
        const auto lines = buildText(argc > 1 ? argv[1] : "", &bytes);
        nlohmann::json out;
        out["machine"] = {{"hardware_threads", std::thread::hardware_concurrency()}, {"threads_used", 1}};
#ifdef NDEBUG
        out["build"] = "optimised (NDEBUG)";
#else
        out["build"] = "debug assertions on";
#endif
        out["text"] = {{"source", argc > 1 ? argv[1] : "fixture sentences' words, shuffled"},
                       {"lines", lines.size()},
                       {"bytes", bytes}};

        // Baseline: libsentencepiece BPE (2k vocabulary, byte fallback) on the same text.
        auto sp = embedlab::SentencePieceModel::load(fixtures() + "/sentencepiece/tr_bpe_2k_bytefallback.model");
        size_t spTokens = 0;
        const Rate sp1 = throughput(lines, bytes, [&](const std::string& l) { spTokens += sp->encode(l).size(); });
        out["baseline"] = {{"name", "libsentencepiece tr_bpe_2k_bytefallback"},
                           {"encode_mb_per_s", sp1.wall},
                           {"encode_mb_per_cpu_s", sp1.cpu}};

        nlohmann::json results = nlohmann::json::array();
        for (const char* name : {"gemma3", "gpt4o", "llama3", "qwen3"}) {
            const std::string path = fixtures() + "/tokenizers/" + std::string(name) + "/tokenizer.json.gz";
            auto t0 = Clock::now();
            double c0 = cpuNow();
            const std::string raw = embedlab::readMaybeGzip(path);
            const double gunzipS = since(t0);
            t0 = Clock::now();
            c0 = cpuNow();
            auto tok = embedlab::loadHfTokenizerFromString(raw, "", name);
            const double parseS = since(t0), parseCpu = cpuNow() - c0;
            t0 = Clock::now();
            c0 = cpuNow();
            auto tok2 = embedlab::loadHfTokenizer(path);
            const double fullS = since(t0), fullCpu = cpuNow() - c0;
            tok2.reset();
            size_t nTok = 0;
            // warm the word cache once so that the figure is the steady state
            for (const auto& l : lines) nTok += tok->encode(l, false).size();
            nTok = 0;
            size_t passes = 0;
            const Rate r = throughput(lines, bytes, [&](const std::string& l) {
                nTok += tok->encode(l, false).size();
                if (&l == &lines.back()) ++passes;
            });
            results.push_back({{"tokenizer", name},
                               {"json_bytes", raw.size()},
                               {"vocab", tok->vocabSize()},
                               {"load_seconds_from_json_text", parseS},
                               {"load_cpu_seconds_from_json_text", parseCpu},
                               {"gunzip_seconds", gunzipS},
                               {"load_seconds_total_from_gz", fullS},
                               {"load_cpu_seconds_total_from_gz", fullCpu},
                               {"encode_mb_per_s", r.wall},
                               {"encode_mb_per_cpu_s", r.cpu},
                               {"tokens_per_byte", passes ? static_cast<double>(nTok) / (passes * bytes) : 0.0},
                               {"ratio_vs_baseline_cpu", r.cpu / sp1.cpu}});
        }
        out["hf"] = results;
        std::cout << out.dump(2) << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
