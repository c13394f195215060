#include "engine/tasks/train_static.h"

#include "engine/core/error.h"
#include "engine/eval/morph_probe.h"
#include "engine/io/corpus.h"
#include "engine/io/turkish_text.h"
#include "engine/io/vectors.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <unordered_map>

namespace embedlab::tasks {

std::pair<int, int> parseSubwordRange(const std::string& spec) {
    if (spec == "none" || spec == "0") return {0, 0};
    const size_t dash = spec.find('-');
    try {
        if (dash == std::string::npos) throw std::invalid_argument("no dash");
        size_t a = 0, b = 0;
        const int lo = std::stoi(spec.substr(0, dash), &a);
        const int hi = std::stoi(spec.substr(dash + 1), &b);
        if (a != dash || b != spec.size() - dash - 1 || lo < 1 || hi < lo || hi > 32) throw std::invalid_argument("range");
        return {lo, hi};
    } catch (const std::exception&) {
        throw Error::badInput("--subwords must be MIN-MAX (1 ≤ MIN ≤ MAX ≤ 32, e.g. 3-6) or none, not \"" + spec + "\"");
    }
}

namespace {

// fastText's separators: space, tab, vertical tab, form feed, CR, LF, NUL.
void splitWords(const std::string& text, std::vector<std::string>& out) {
    out.clear();
    size_t i = 0;
    const auto sep = [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n' || c == '\0'; };
    while (i < text.size()) {
        while (i < text.size() && sep(text[i])) ++i;
        size_t j = i;
        while (j < text.size() && !sep(text[j])) ++j;
        if (j > i) out.emplace_back(text, i, j - i);
        i = j;
    }
}

}  // namespace

StaticTrainResult trainStaticEmbeddings(const StaticTrainOptions& o, Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.input.empty()) throw Error::badInput("train static: give the corpus (--input)");
    if (o.outPath.empty()) throw Error::badInput("train static: give the output file (--out FILE.vec or FILE.bin)");
    const auto endsWith = [&](const std::string& s) {
        return o.outPath.size() >= s.size() && o.outPath.compare(o.outPath.size() - s.size(), s.size(), s) == 0;
    };
    const bool binary = endsWith(".bin"), projector = endsWith(".tsv");
    if (!binary && !projector && !endsWith(".vec") && !endsWith(".txt"))
        throw Error::badInput("train static: --out must end in .vec (word2vec text), .bin (word2vec binary) or .tsv "
                              "(Projector vectors + metadata)");
    if (!o.gold.empty() && !projector)
        throw Error::badInput("train static: --gold adds a part-of-speech column to the metadata of a .tsv output");
    if (isDirectory(o.outPath)) throw Error::badInput("train static: --out " + o.outPath + " is a folder");
    const std::string outDir = dirName(o.outPath);
    if (!outDir.empty() && !isDirectory(outDir)) throw Error::badInput("train static: the folder of --out does not exist: " + outDir);
    train::StaticOptions mo = o.model;
    std::tie(mo.minn, mo.maxn) = parseSubwordRange(o.subwords);
    if (mo.dim < 1 || mo.dim > 4096) throw Error::badInput("train static: --dim must be in 1..4096");
    if (mo.epochs < 1 || mo.window < 1 || mo.negatives < 0 || !(mo.lr > 0) || mo.minCount < 1)
        throw Error::badInput("train static: --epochs, --window, --min-count ≥ 1, --negatives ≥ 0, --lr > 0");
    if (!(mo.sample >= 0)) throw Error::badInput("train static: --sample must be ≥ 0 (0 = keep every unit)");
    if (mo.maxn > 0 && mo.buckets < 1) throw Error::badInput("train static: --buckets must be ≥ 1 with subwords");

    std::unique_ptr<Tokenizer> tokenizer;
    if (o.units == "morph") {
        if (o.morphTokenizer.empty())
            throw Error::badInput("train static: --units morph needs --tokenizer DIR, a morphology-aware tokenizer "
                                  "(embedlab-cli train tokenizer --kind morph)");
        tokenizer = loadTokenizer(o.morphTokenizer);
        if (tokenizer->kind() != "embedlab-morph")
            throw Error::badInput("train static: --units morph needs a tokenizer built by train tokenizer --kind morph; " +
                                  o.morphTokenizer + " is " + tokenizer->kind());
    } else if (o.units.rfind("tokenizer:", 0) == 0) {
        const std::string path = o.units.substr(10);
        if (path.empty()) throw Error::badInput("train static: --units tokenizer:PATH needs a path");
        tokenizer = loadTokenizer(path);
    } else if (o.units != "words") {
        throw Error::badInput("train static: --units must be words, morph or tokenizer:PATH, not \"" + o.units + "\"");
    }
    std::vector<std::string> oov;
    if (!o.oovWordsPath.empty()) {
        std::ifstream f(o.oovWordsPath, std::ios::binary);
        if (!f) throw Error::badInput("train static: cannot read --oov-words " + o.oovWordsPath);
        std::string line;
        while (std::getline(f, line)) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
            if (!line.empty()) oov.push_back(line);
        }
    }

    // Reading and splitting (15% of the bar).
    train::StaticCorpusBuilder builder;
    StaticTrainResult r;
    {
        Progress reading(progress, 0.0, 0.15, "reading");
        std::vector<std::string> units;
        std::unordered_map<int64_t, std::string> pieceNames;
        CorpusOptions co;
        streamCorpus(
            o.input, co,
            [&](CorpusRecord&& rec) {
                if (tokenizer) {
                    units.clear();
                    for (int64_t id : tokenizer->encode(rec.text, false).ids) {
                        auto it = pieceNames.find(id);
                        if (it == pieceNames.end()) {
                            // Markers and spaces (the seed format's <uppercase>, " ") are not units.
                            std::string name = tokenizer->idToToken(id);
                            const bool blank = name.find_first_not_of(" \t\n\r") == std::string::npos;
                            if (blank || tokenizer->tokenType(id) == TokenType::Special) name.clear();
                            it = pieceNames.emplace(id, std::move(name)).first;
                        }
                        if (!it->second.empty()) units.push_back(it->second);
                    }
                } else {
                    splitWords(rec.text, units);
                }
                // Each line ends in fastText's end-of-sentence unit: a context that marks the sentence's edge.
                if (units.empty()) return;
                units.emplace_back("</s>");
                builder.addLine(units);
                ++r.lines;
            },
            reading);
    }
    train::StaticCorpus corpus = builder.finish(mo.minCount);
    r.words = corpus.unitsRead - r.lines;  // without the </s> units
    r.vocab = static_cast<int64_t>(corpus.words.size());
    if (r.words <= 0) throw Error::badInput(o.input + ": the corpus has no text");
    if (r.vocab == 0)
        throw Error::badInput("train static: no unit of " + o.input + " occurs --min-count (" + std::to_string(mo.minCount) +
                              ") times");
    progress.report(0.15, "vocabulary: " + std::to_string(r.vocab) + " units");
    train::StaticModel model(corpus.words, mo);
    {
        Progress training(progress, 0.15, 0.95, "training");
        const train::StaticTrainStats s = model.train(corpus, mo, training);
        r.trainSeconds = s.seconds;
        r.wordsPerSecond = s.unitsPerSecond;
        r.finalLoss = s.finalLoss;
        r.threads = s.threads;
    }
    progress.report(0.95, "writing " + o.outPath);
    if (!projector) {
        r.oovWritten = model.write(o.outPath, binary, oov);
    } else {
        std::unordered_map<std::string, std::string> posOf;
        if (!o.gold.empty()) {
            const eval::Treebank tb = eval::readTreebank(o.gold);
            for (const eval::ProbeWord& w : eval::probeWords(tb, eval::MorphFeature::Pos)) posOf.emplace(w.word, w.label);
        }
        std::vector<std::string> extra;
        auto [data, labels] = model.rows(oov, &extra);
        r.oovWritten = static_cast<int64_t>(extra.size());
        VectorSet set;
        set.data = at::from_blob(data.data(), {static_cast<int64_t>(labels.size()), mo.dim}, at::kFloat).clone();
        set.labels = labels;
        set.metadataHeader = {"word", "count", "pos", "unit"};
        for (size_t i = 0; i < labels.size(); ++i) {
            const bool inVocab = i < corpus.words.size();
            std::string pos;
            if (!posOf.empty()) {
                auto it = posOf.find(turkishLower(inVocab ? corpus.words[i] : extra[i - corpus.words.size()]));
                if (it != posOf.end()) {
                    pos = it->second;
                    ++r.posLabelled;
                }
            }
            set.metadata.push_back({labels[i], inVocab ? std::to_string(corpus.counts[i]) : "0", pos,
                                    inVocab ? (labels[i] == "</s>" ? "marker" : "vocabulary") : "n-grams"});
        }
        std::string base = baseName(o.outPath);
        const size_t v = base.rfind("vectors");
        if (v != std::string::npos) base.replace(v, 7, "metadata");
        else base = base.substr(0, base.size() - 4) + ".metadata.tsv";
        r.metadataPath = outDir.empty() ? base : joinPath(outDir, base);
        writeProjectorTsv(set, o.outPath, r.metadataPath);
    }
    r.outPath = o.outPath;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // No report() after the file is written: a cancel arriving now must not call a written file unwritten.
    return r;
}

}  // namespace embedlab::tasks
