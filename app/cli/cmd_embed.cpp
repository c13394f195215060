// `embedlab-cli embed`: one sentence vector per input line → .npy / .safetensors / .tsv.
#include "cli.h"

#include "core/error.h"
#include "io/file_io.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "models/dtype.h"
#include "models/embedding.h"
#include "models/model.h"
#include "models/model_loader.h"
#include "tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <sstream>

namespace embedlab::cli {
namespace {

bool endsWith(const std::string& s, const std::string& suf) {
    return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

int runEmbed(Args& a) {
    const std::string dir = a.require("model");
    const std::string input = a.require("input");
    const std::string outPath = a.require("out");
    enum { Npy, Safetensors, Tsv } fmt;
    if (endsWith(outPath, ".npy")) fmt = Npy;
    else if (endsWith(outPath, ".safetensors")) fmt = Safetensors;
    else if (endsWith(outPath, ".tsv")) fmt = Tsv;
    else throw UsageError("--out must end in .npy, .safetensors or .tsv");
    EmbeddingOptions o;
    o.pooling = parsePooling(a.get("pooling", "mean"));
    o.layer = a.getInt("layer", -1);
    o.normalize = a.has("normalize");
    o.batchSize = a.getInt("batch-size", 32);
    o.maxLength = a.getInt("max-length", 0);
    if (o.batchSize <= 0) throw UsageError("--batch-size must be positive");

    std::vector<std::string> lines;
    {
        std::istringstream in(readFile(input));
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            sanitizeUtf8(line);
            lines.push_back(line);
        }
    }
    if (lines.empty()) throw Error::badInput(input + " has no lines");
    auto tok = loadTokenizer(dir);
    const c10::Device device(deviceFromArgs(a));
    const c10::ScalarType dtype = parseDtype(dtypeFromArgs(a));
    std::vector<std::string> warnings;
    auto model = loadModel(dir, device, dtype, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    StderrProgress progress("embed");
    const auto t0 = std::chrono::steady_clock::now();
    at::Tensor e = embedTexts(*model, *tok, lines, o, progress).contiguous();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t n = e.size(0), d = e.size(1);
    if (fmt == Npy) {
        writeNpy(outPath, e.data_ptr<float>(), {n, d});
    } else if (fmt == Safetensors) {
        saveSafeTensors(outPath, {{"embeddings", e}},
                        {{"format", "pt"}, {"model", dir}, {"pooling", poolingName(o.pooling)},
                         {"layer", std::to_string(resolveLayer(*model, o.layer))}, {"normalized", o.normalize ? "1" : "0"}});
    } else {
        std::string out;
        const float* p = e.data_ptr<float>();
        char buf[32];
        for (int64_t i = 0; i < n; ++i) {
            for (int64_t j = 0; j < d; ++j) {
                std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(p[i * d + j]));
                if (j) out += '\t';
                out += buf;
            }
            out += '\n';
        }
        writeFileAtomic(outPath, out);
    }
    printJson({{"count", n},
               {"dim", d},
               {"seconds", secs},
               {"per_second", secs > 0 ? static_cast<double>(n) / secs : 0.0},
               {"pooling", poolingName(o.pooling)},
               {"layer", resolveLayer(*model, o.layer)},
               {"out", outPath}});
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"embed",
                             "embed --model DIR --input FILE [--pooling mean|cls|last|max] [--layer L] [--normalize]\n"
                             "  [--batch-size B] [--max-length N] --out FILE.(npy|safetensors|tsv)",
                             {"normalize"},
                             {"model", "input", "pooling", "layer", "batch-size", "max-length", "out"},
                             runEmbed});

}  // namespace embedlab::cli
