// The exact round trip decode(encode(x)) == x of the seed-format Turkish tokenizer over whole corpora,
// line by line: the lossless encoding (embedlab's default) against the seed reference implementation's
// ids (the baseline, measured in the same run). Also the price of losslessness: tokens per line and
// encoding time of each, and the lines whose lossless ids differ from the reference's.
//
//   bench_turkish_roundtrip --tokenizer DIR --input FILE [--input FILE2 ...] [--show N]
//
// Prints one JSON object per input and one for all of them on stdout; with --show N, the first N lines
// that do not come back (mode, line number, decoded text) on stderr. The corpora come from
// packaging/install-data.sh (data/tr/corpus.txt, data/npm/nlptoolkit-corpus/corpus.txt).
#include "engine/device/blas_setup.h"
#include "engine/core/error.h"
#include "engine/tokenizers/turkish_tokenizer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Tally {
    size_t lines = 0, exact = 0, tokens = 0;
    double encodeSeconds = 0;
    nlohmann::json json() const {
        return {{"lines", lines},
                {"exact_lines", exact},
                {"mismatches", lines - exact},
                {"exact_rate", lines ? double(exact) / double(lines) : 1.0},
                {"tokens", tokens},
                {"encode_seconds", encodeSeconds}};
    }
    void add(const Tally& o) {
        lines += o.lines;
        exact += o.exact;
        tokens += o.tokens;
        encodeSeconds += o.encodeSeconds;
    }
};

}  // namespace

int main(int argc, char** argv) {
    embedlab::reexecWithFastBlasIfNeeded(argv);
    std::string tokDir;
    std::vector<std::string> inputs;
    size_t show = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--tokenizer")) tokDir = argv[i + 1];
        else if (!std::strcmp(argv[i], "--input")) inputs.push_back(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--show")) show = std::stoul(argv[i + 1]);
    }
    if (tokDir.empty() || inputs.empty()) {
        std::cerr << "usage: bench_turkish_roundtrip --tokenizer DIR --input FILE [--input FILE2 ...] [--show N]\n";
        return 2;
    }
    try {
        auto lossless = embedlab::loadTurkishTokenizer(tokDir, embedlab::TurkishEncoding::Lossless);
        auto reference = embedlab::loadTurkishTokenizer(tokDir, embedlab::TurkishEncoding::Reference);
        Tally allL, allR;
        size_t allDiffer = 0, shown = 0;
        for (const auto& input : inputs) {
            std::ifstream in(input, std::ios::binary);
            if (!in) throw embedlab::Error::badInput("cannot open " + input);
            Tally tl, tr;
            size_t differ = 0, lineNo = 0;
            std::string line;
            while (std::getline(in, line)) {
                ++lineNo;
                if (!line.empty() && line.back() == '\r') line.pop_back();
                embedlab::sanitizeUtf8(line);
                std::vector<int64_t> ids[2];
                int m = 0;
                for (auto* t : {lossless.get(), reference.get()}) {
                    Tally& tally = m == 0 ? tl : tr;
                    const auto t0 = std::chrono::steady_clock::now();
                    ids[m] = t->encode(line, false).ids;
                    tally.encodeSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    ++tally.lines;
                    tally.tokens += ids[m].size();
                    const std::string back = t->decode(ids[m], false);
                    if (back == line) ++tally.exact;
                    else if (shown < show) {
                        ++shown;
                        std::cerr << (m == 0 ? "lossless" : "reference") << "\t" << input << ":" << lineNo << "\t" << line
                                  << "\n\t→\t" << back << "\n";
                    }
                    ++m;
                }
                differ += ids[0] != ids[1];
            }
            nlohmann::json j = {{"input", input},
                                {"lossless", tl.json()},
                                {"reference", tr.json()},
                                {"lines_with_other_ids", differ},
                                {"token_ratio", tr.tokens ? double(tl.tokens) / double(tr.tokens) : 1.0}};
            std::cout << j.dump() << "\n";
            allL.add(tl);
            allR.add(tr);
            allDiffer += differ;
        }
        nlohmann::json j = {{"input", "all"},
                            {"lossless", allL.json()},
                            {"reference", allR.json()},
                            {"lines_with_other_ids", allDiffer},
                            {"token_ratio", allR.tokens ? double(allL.tokens) / double(allR.tokens) : 1.0},
                            {"encode_time_ratio", allR.encodeSeconds > 0 ? allL.encodeSeconds / allR.encodeSeconds : 0.0}};
        std::cout << j.dump() << "\n";
        return 0;
    } catch (const embedlab::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return e.exitCode();
    }
}
