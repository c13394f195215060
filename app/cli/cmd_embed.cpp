// `embedlab-cli embed`: one sentence vector per input line → .npy / .safetensors / .tsv.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/dist/checksum.h"
#include "engine/dist/collective.h"
#include "engine/io/file_io.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/dtype.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tasks/embed_corpus.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
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
    o.interventions = Interventions::parse(a.get("zero-heads"), a.get("skip-layers"));
    if (o.batchSize <= 0) throw UsageError("--batch-size must be positive");

    // Streamed: the input is read twice (once to count its lines, then chunk by chunk) and every
    // chunk's vectors are written as soon as they are computed, so memory holds one chunk of texts
    // and vectors whatever the corpus size. The output appears atomically when all is written.
    auto openInput = [&]() {
        std::ifstream in(input, std::ios::binary);
        if (!in) throw Error::badInput("cannot open " + input);
        return in;
    };
    // A line keeps at most --max-line-bytes (1 MiB: ≥ 256k tokens, beyond any model's positions) in
    // memory; a longer one is embedded from its first part, with a warning.
    const long long maxLine = a.getInt("max-line-bytes", 1 << 20);
    if (maxLine < 1024) throw UsageError("--max-line-bytes must be at least 1024");
    int64_t n = 0;
    {
        std::ifstream in = openInput();
        std::string line;
        while (readBoundedLine(in, line, 4096)) ++n;
    }
    if (n == 0) throw Error::badInput(input + " has no lines");
    auto tok = loadTokenizer(dir);
    const std::string deviceName = deviceFromArgs(a);
    const c10::Device device(deviceName);
    // One rank of a data-parallel job: every rank reads the input, embeds its chunks; rank 0 writes.
    const std::unique_ptr<Collective> group = joinJobFromArgs(a, deviceName);
    const bool writer = !group || group->isRoot();
    const c10::ScalarType dtype = parseDtype(dtypeFromArgs(a));
    std::vector<std::string> warnings;
    auto model = loadModel(dir, device, dtype, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    o.interventions.check(model->config().numLayers, model->config().numHeads);  // before anything is written
    // Lines per chunk: the unit of streaming, and of a data-parallel job's work (chunk k → rank k mod N).
    const int64_t chunk = a.getInt("chunk", std::max<int64_t>(1024, int64_t(o.batchSize) * 32));
    if (chunk < 1) throw UsageError("--chunk must be positive");
    if (group) {
        // Every rank must cut the same input into the same chunks and embed them the same way.
        const std::string how = std::to_string(n) + "|" + std::to_string(chunk) + "|" + poolingName(o.pooling) + "|" +
                                std::to_string(o.layer) + "|" + (o.normalize ? "1" : "0") + "|" + std::to_string(o.batchSize) +
                                "|" + std::to_string(o.maxLength) + "|" + o.interventions.describe() + "|" +
                                dtypeFromArgs(a) + "|" + std::to_string(maxLine);
        group->requireSame(checksumFileSample(input, checksumText(how)), "the input, --chunk or the embedding options");
        group->requireSame(checksumTensors(model->weights()), "the model's weights");
    }
    const int64_t d = model->config().hiddenSize;
    std::optional<AtomicFile> outFile;
    if (writer) outFile.emplace(outPath);
    AtomicFile* outp = outFile ? &*outFile : nullptr;
    if (fmt == Npy && outp) outp->write(npyPrefix({n, d}));
    if (fmt == Safetensors && outp) {
        std::map<std::string, std::string> meta = {{"format", "pt"}, {"model", dir}, {"pooling", poolingName(o.pooling)},
                                                   {"layer", std::to_string(resolveLayer(*model, o.layer))},
                                                   {"normalized", o.normalize ? "1" : "0"}};
        if (!o.interventions.empty()) meta["interventions"] = o.interventions.describe();
        outp->write(safeTensorsPrefix({{"embeddings", "F32", {n, d}}}, meta));
    }
    StderrProgress progress(a, "embed" + rankLabel(group.get()), group.get());
    const auto t0 = std::chrono::steady_clock::now();
    // The engine task (engine/tasks/embed_corpus.h, which the app's EmbedCorpusJob runs too): every
    // line is a row, empty ones included, so that row i is line i + 1.
    int64_t done = 0;
    const tasks::TextReader read = [&](const std::function<void(tasks::TextRecord&&)>& emit, Progress& p) {
        std::ifstream in = openInput();
        std::string line;
        uint64_t fullBytes = 0;
        int64_t lineNo = 0, cut = 0;
        while (readBoundedLine(in, line, static_cast<size_t>(maxLine), &fullBytes)) {
            ++lineNo;
            if (fullBytes > line.size() && ++cut <= 10)
                std::fprintf(stderr, "warning: %s line %lld: %llu bytes; only its first %zu are embedded\n",
                             input.c_str(), static_cast<long long>(lineNo), static_cast<unsigned long long>(fullBytes),
                             line.size());
            sanitizeUtf8(line);
            emit({std::move(line), {}, lineNo});
            if ((lineNo & 255) == 0) p.report(double(lineNo) / double(n), "reading");
        }
    };
    const tasks::EmbeddingSink sink = [&](const at::Tensor& e, const std::vector<tasks::TextRecord>& records) {
        const float* p = e.data_ptr<float>();
        if (fmt == Tsv) {
            std::string text;
            char buf[32];
            for (int64_t i = 0; i < e.size(0); ++i) {
                for (int64_t j = 0; j < d; ++j) {
                    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(p[i * d + j]));
                    if (j) text += '\t';
                    text += buf;
                }
                text += '\n';
            }
            outp->write(text);
        } else {
            outp->write(p, static_cast<uint64_t>(e.numel()) * sizeof(float));
        }
        done += static_cast<int64_t>(records.size());
    };
    tasks::EmbedCorpusOptions eco;
    eco.embed = o;
    eco.chunk = chunk;
    eco.source = input;
    eco.collective = group.get();
    tasks::embedCorpus(*model, *tok, read, sink, eco, progress);
    if (!writer) {
        group->barrier();  // after rank 0 has committed the output
        return 0;          // rank 0 prints the result
    }
    if (done != n) throw Error::badInput(input + " changed while it was being read (" + std::to_string(n) + " lines, then " +
                                         std::to_string(done) + ")");
    outp->commit();
    if (group) group->barrier();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
                             "  [--batch-size B] [--max-length N] [--max-line-bytes 1048576] [--zero-heads L:H,..]\n"
                             "  [--skip-layers L,..] [--chunk LINES] --out FILE.(npy|safetensors|tsv)\n"
                             "  data parallel: [--world-size N --rank R --master ADDR:PORT] [--dist-timeout 1800], or\n"
                             "  torchrun's variables (see `launch`)",
                             {"normalize"},
                             {"model", "input", "pooling", "layer", "batch-size", "max-length", "max-line-bytes", "out",
                              "zero-heads", "skip-layers", "chunk", "world-size", "rank", "master", "dist-timeout"},
                             runEmbed});

}  // namespace embedlab::cli
