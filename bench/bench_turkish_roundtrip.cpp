// Measures the exact round-trip rate decode(encode(x)) == x of the Turkish (seed-format) tokenizer on a
// corpus, per line and per word (words = the text split on spaces). Lines or words that encode to
// <unknown> are counted separately (their text cannot come back by construction).
//
//   bench_turkish_roundtrip --tokenizer DIR --input data/tr/corpus.txt [--show N]
//
// Prints one JSON object on stdout; with --show N, the N most frequent failing words (original → decoded)
// on stderr. The corpus comes from tools/extract_turkish_corpus.py (see docs/tokenizers.md).
#include "device/blas_setup.h"
#include "core/error.h"
#include "tokenizers/turkish_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    embedlab::reexecWithFastBlasIfNeeded(argv);
    std::string tokDir, input;
    size_t show = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--tokenizer")) tokDir = argv[i + 1];
        else if (!std::strcmp(argv[i], "--input")) input = argv[i + 1];
        else if (!std::strcmp(argv[i], "--show")) show = std::stoul(argv[i + 1]);
    }
    if (tokDir.empty() || input.empty()) {
        std::cerr << "usage: bench_turkish_roundtrip --tokenizer DIR --input FILE [--show N]\n";
        return 2;
    }
    try {
        auto tok = embedlab::loadTurkishTokenizer(tokDir);
        std::ifstream in(input);
        if (!in) throw embedlab::Error::badInput("cannot open " + input);
        const int64_t unk = *tok->unkId();
        auto hasUnknown = [&](const std::vector<int64_t>& ids) {
            return std::find(ids.begin(), ids.end(), unk) != ids.end();
        };
        size_t lines = 0, linesUnknown = 0, linesExact = 0, words = 0, wordsUnknown = 0, wordsExact = 0;
        std::map<std::string, std::pair<size_t, std::string>> failures;
        std::string line;
        const auto t0 = std::chrono::steady_clock::now();
        while (std::getline(in, line)) {
            ++lines;
            const auto ids = tok->encode(line, false).ids;
            if (hasUnknown(ids)) ++linesUnknown;
            else if (tok->decode(ids, false) == line) ++linesExact;
            size_t b = 0;
            while (b <= line.size()) {
                size_t e = line.find(' ', b);
                if (e == std::string::npos) e = line.size();
                if (e > b) {
                    const std::string w = line.substr(b, e - b);
                    ++words;
                    const auto wids = tok->encode(w, false).ids;
                    if (hasUnknown(wids)) {
                        ++wordsUnknown;
                    } else {
                        const std::string d = tok->decode(wids, false);
                        if (d == w) ++wordsExact;
                        else {
                            auto& f = failures[w];
                            ++f.first;
                            f.second = d;
                        }
                    }
                }
                b = e + 1;
            }
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const size_t linesChecked = lines - linesUnknown, wordsChecked = words - wordsUnknown;
        nlohmann::json j = {{"lines", lines},
                            {"lines_with_unknown", linesUnknown},
                            {"lines_checked", linesChecked},
                            {"lines_exact", linesExact},
                            {"line_rate", linesChecked ? double(linesExact) / double(linesChecked) : 1.0},
                            {"words", words},
                            {"words_with_unknown", wordsUnknown},
                            {"words_checked", wordsChecked},
                            {"words_exact", wordsExact},
                            {"word_rate", wordsChecked ? double(wordsExact) / double(wordsChecked) : 1.0},
                            {"distinct_failing_words", failures.size()},
                            {"seconds", secs}};
        std::cout << j.dump() << "\n";
        if (show) {
            std::vector<std::pair<size_t, std::string>> v;
            for (const auto& [w, f] : failures) v.push_back({f.first, w});
            std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
            for (size_t i = 0; i < v.size() && i < show; ++i)
                std::cerr << v[i].first << "\t" << v[i].second << "\t" << failures[v[i].second].second << "\n";
        }
        return 0;
    } catch (const embedlab::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return e.exitCode();
    }
}
