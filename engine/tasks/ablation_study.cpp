// An ablation study: one model, one kind of change swept over its settings. See ablation_study.h.
#include "engine/tasks/ablation_study.h"

#include "engine/analysis/pca.h"
#include "engine/core/error.h"
#include "engine/device/device.h"
#include "engine/eval/compute.h"
#include "engine/io/file_io.h"
#include "engine/io/svg_chart.h"
#include "engine/io/vectors.h"
#include "engine/models/dtype.h"
#include "engine/models/generation.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

namespace embedlab::tasks {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- the study file ------------------------------------------------------------------------------

void checkFields(const json& j, const std::string& where, const std::set<std::string>& allowed) {
    if (!j.is_object()) throw Error::badInput(where + " must be a JSON object");
    std::vector<std::string> unknown;
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!allowed.count(it.key())) unknown.push_back(it.key());
    if (unknown.empty()) return;
    std::string names, known;
    for (const auto& u : unknown) names += (names.empty() ? "'" : ", '") + u + "'";
    for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
    throw Error::badInput(where + ": unknown field" + (unknown.size() > 1 ? "s " : " ") + names + " (known: " + known + ")");
}

std::string str(const json& j, const std::string& key, const std::string& where, const std::string& fallback = {}) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_string()) throw Error::badInput(where + "." + key + " must be a string");
    return j[key].get<std::string>();
}

int64_t integer(const json& j, const std::string& key, const std::string& where, int64_t fallback, int64_t lo,
                int64_t hi = std::numeric_limits<int64_t>::max()) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number_integer()) throw Error::badInput(where + "." + key + " must be a whole number");
    const int64_t v = j[key].get<int64_t>();
    if (v < lo || v > hi)
        throw Error::badInput(where + "." + key + " = " + std::to_string(v) + " is out of range (" + std::to_string(lo) +
                              (hi == std::numeric_limits<int64_t>::max() ? " or more" : "–" + std::to_string(hi)) + ")");
    return v;
}

double number(const json& j, const std::string& key, const std::string& where, double fallback) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number()) throw Error::badInput(where + "." + key + " must be a number");
    return j[key].get<double>();
}

std::vector<int64_t> intList(const json& j, const std::string& key, const std::string& where, int64_t lo) {
    std::vector<int64_t> out;
    if (!j.contains(key)) return out;
    if (!j[key].is_array()) throw Error::badInput(where + "." + key + " must be an array of whole numbers");
    for (const auto& v : j[key]) {
        if (!v.is_number_integer()) throw Error::badInput(where + "." + key + " must be an array of whole numbers");
        const int64_t x = v.get<int64_t>();
        if (x < lo) throw Error::badInput(where + "." + key + ": " + std::to_string(x) + " is below " + std::to_string(lo));
        out.push_back(x);
    }
    return out;
}

std::string oneOf(const json& j, const std::string& key, const std::string& where, const std::vector<std::string>& choices) {
    const std::string v = str(j, key, where, choices.front());
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : "|") + c;
        throw Error::badInput(where + "." + key + " must be " + list + ", got '" + v + "'");
    }
    return v;
}

std::string resolvePath(const std::string& p, const std::string& baseDir) {
    if (p.empty() || baseDir.empty() || fs::path(p).is_absolute()) return p;
    return (fs::path(baseDir) / p).lexically_normal().string();
}

const std::vector<std::string>& precisionLevels() {
    static const std::vector<std::string> l = {"f32", "bf16", "int8", "binary"};
    return l;
}

// Checks the type's block and fills its defaults where they need no model.
json checkTypeParams(const std::string& type, json p, const std::string& baseDir) {
    const std::string w = "study." + type;
    if (p.is_null()) p = json::object();
    if (type == "dimensions") {
        checkFields(p, w, {"mode", "sizes", "ranges", "repeats"});
        const std::string mode = oneOf(p, "mode", w, {"prefix", "drop", "zero", "random", "pca"});
        p["mode"] = mode;
        intList(p, "sizes", w, 1);
        integer(p, "repeats", w, 1, 1, 1000);
        if (p.contains("repeats") && mode != "random") throw Error::badInput(w + ": repeats belongs to mode 'random'");
        if (p.contains("ranges")) {
            if (!p["ranges"].is_array()) throw Error::badInput(w + ".ranges must be an array of [first, last] pairs");
            for (const auto& r : p["ranges"])
                if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer() ||
                    r[0].get<int64_t>() < 0 || r[1].get<int64_t>() < r[0].get<int64_t>())
                    throw Error::badInput(w + ".ranges: " + r.dump() + " is not a [first, last] pair of dimensions (first ≤ last, from 0)");
        }
        if ((mode == "drop" || mode == "zero") && p.contains("sizes"))
            throw Error::badInput(w + ": mode '" + mode + "' takes ranges, not sizes");
        if ((mode == "prefix" || mode == "random" || mode == "pca") && p.contains("ranges"))
            throw Error::badInput(w + ": mode '" + mode + "' takes sizes, not ranges");
    } else if (type == "precision") {
        checkFields(p, w, {"target", "levels"});
        p["target"] = oneOf(p, "target", w, {"vectors", "embedding"});
        if (p.contains("levels")) {
            if (!p["levels"].is_array() || p["levels"].empty()) throw Error::badInput(w + ".levels must be a non-empty array");
            for (const auto& l : p["levels"])
                if (!l.is_string() || std::find(precisionLevels().begin(), precisionLevels().end(), l.get<std::string>()) ==
                                          precisionLevels().end())
                    throw Error::badInput(w + ".levels: " + l.dump() + " is not one of f32, bf16, int8, binary");
        }
    } else if (type == "layers") {
        checkFields(p, w, {"mode", "layers"});
        p["mode"] = oneOf(p, "mode", w, {"skip", "read"});
        intList(p, "layers", w, 0);
    } else if (type == "heads") {
        checkFields(p, w, {"mode", "layers", "heads"});
        p["mode"] = oneOf(p, "mode", w, {"zero", "mean"});
        intList(p, "layers", w, 0);
        intList(p, "heads", w, 0);
    } else if (type == "tokens") {
        checkFields(p, w, {"mode", "ids", "sets", "strings"});
        p["mode"] = oneOf(p, "mode", w, {"zero", "mean"});
        intList(p, "ids", w, 0);
        if (p.contains("sets")) {
            if (!p["sets"].is_array()) throw Error::badInput(w + ".sets must be an array of arrays of token ids");
            for (const auto& s : p["sets"]) {
                if (!s.is_array() || s.empty()) throw Error::badInput(w + ".sets: " + s.dump() + " is not a non-empty array of token ids");
                for (const auto& v : s)
                    if (!v.is_number_integer() || v.get<int64_t>() < 0)
                        throw Error::badInput(w + ".sets: " + v.dump() + " is not a token id");
            }
        }
        if (p.contains("strings")) {
            if (!p["strings"].is_array()) throw Error::badInput(w + ".strings must be an array of strings");
            for (const auto& s : p["strings"])
                if (!s.is_string() || s.get<std::string>().empty()) throw Error::badInput(w + ".strings: " + s.dump() + " is not a non-empty string");
        }
        if (!p.contains("ids") && !p.contains("sets") && !p.contains("strings"))
            throw Error::badInput(w + " needs ids, sets or strings (the embedding rows to change)");
    } else if (type == "vocabulary") {
        checkFields(p, w, {"corpus", "keep", "map"});
        if (!p.contains("corpus")) throw Error::badInput(w + ".corpus is missing (the text whose token counts rank the vocabulary)");
        p["corpus"] = resolvePath(str(p, "corpus", w), baseDir);
        if (intList(p, "keep", w, 1).empty()) throw Error::badInput(w + ".keep is missing (the vocabulary sizes to keep, e.g. [1000, 8000])");
        p["map"] = oneOf(p, "map", w, {"unk", "nearest"});
    }
    return p;
}

// ---- vector transforms (the dimensions and precision studies) ---------------------------------------

eval::Matrix columns(const eval::Matrix& m, const std::vector<int64_t>& cols) {
    eval::Matrix o(m.rows, static_cast<int64_t>(cols.size()));
    for (int64_t r = 0; r < m.rows; ++r)
        for (size_t c = 0; c < cols.size(); ++c) o.row(r)[c] = m.row(r)[cols[c]];
    return o;
}

at::Tensor asTensor(const eval::Matrix& m) {
    return at::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, at::TensorOptions().dtype(at::kFloat)).clone();
}

eval::Matrix asMatrix(const at::Tensor& t) {
    at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
    eval::Matrix m(c.size(0), c.size(1));
    std::copy(c.data_ptr<float>(), c.data_ptr<float>() + c.numel(), m.data.begin());
    return m;
}

// Quantised and dequantised: what a consumer of the stored bytes computes with. int8: a float32 scale
// per row (max |x| / 127, symmetric, round to nearest); binary: the sign (0 → +1) times the row's mean
// |x| (the scale changes no cosine).
at::Tensor quantize(const at::Tensor& x, const std::string& level) {
    at::Tensor f = x.to(at::kFloat);
    if (level == "f32") return f;
    if (level == "bf16") return f.to(at::kBFloat16).to(at::kFloat);
    if (level == "int8") {
        at::Tensor scale = f.abs().amax(1, true) / 127.0;
        scale = at::where(scale > 0, scale, at::ones_like(scale));
        return (f / scale).round().clamp(-127, 127) * scale;
    }
    at::Tensor s = at::where(f >= 0, at::ones_like(f), -at::ones_like(f));
    return s * f.abs().mean(1, true);
}

// Bytes of `rows` vectors of `dim` values stored at `level` (int8 and binary carry a float32 scale per row).
int64_t storedBytes(int64_t rows, int64_t dim, const std::string& level) {
    if (level == "f32") return rows * dim * 4;
    if (level == "bf16") return rows * dim * 2;
    if (level == "int8") return rows * (dim + 4);
    return rows * ((dim + 7) / 8 + 4);
}

int64_t bitsOf(const std::string& level) { return level == "f32" ? 32 : level == "bf16" ? 16 : level == "int8" ? 8 : 1; }

// ---- settings ---------------------------------------------------------------------------------------

struct Setting {
    std::string label;
    json params = json::object();
    // what to apply
    std::vector<int64_t> keepColumns;     // dimensions: prefix / drop / random
    std::vector<int64_t> zeroColumns;     // dimensions: zero
    int64_t pcaComponents = 0;            // dimensions: pca
    std::string level;                    // precision
    Interventions interventions;          // layers skip, heads
    int64_t readLayer = std::numeric_limits<int64_t>::min();  // layers read
    std::vector<int64_t> tokenRows;       // tokens
    int64_t keep = 0;                     // vocabulary
};

std::vector<int64_t> orAll(std::vector<int64_t> v, int64_t n) {
    if (!v.empty()) return v;
    v.resize(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

std::vector<int64_t> defaultSizes(int64_t hidden) {
    std::vector<int64_t> s;
    for (int64_t k = hidden; k >= 8 && s.size() < 8; k /= 2) s.push_back(k);
    if (s.empty()) s.push_back(hidden);
    return s;
}

bool embeddingTask(const std::string& task) { return task != "perplexity" && task != "morph"; }

std::vector<Setting> buildSettings(const AblationStudy& st, const ModelShape& m, const Tokenizer* tok) {
    const json& p = st.params;
    std::vector<Setting> out;
    const std::string w = "study." + st.type;
    // The layers that can change the metrics: with embedding metrics only, those before the hidden state
    // the vectors are read from (hidden state k is the output of layer k-1); with perplexity, all.
    const int64_t readState = st.embed.layer < 0 ? m.layers + 1 + st.embed.layer : st.embed.layer;
    bool embedOnly = true, anyEmbedding = false;
    for (const auto& mt : st.metrics) {
        embedOnly = embedOnly && embeddingTask(mt.options.task);
        anyEmbedding = anyEmbedding || embeddingTask(mt.options.task);
    }
    const bool readsEarly = anyEmbedding && readState >= 0 && readState < m.layers;
    const int64_t layerLimit = embedOnly && readsEarly ? readState : m.layers;
    auto reachable = [&](int64_t l, bool mean) {
        if (embedOnly && readsEarly && l >= readState)
            throw Error::badInput(w + ".layers: layer " + std::to_string(l) + " runs after hidden state " +
                                  std::to_string(readState) + ", where the vectors are read (embedding.layer), so it cannot "
                                  "change the metrics; choose layers below " + std::to_string(readState) +
                                  " or read a later hidden state");
        if (mean && readsEarly && l >= readState)
            throw Error::badInput(w + ".layers: mean ablation of layer " + std::to_string(l) +
                                  " needs its heads' means over every metric's tokens, but the embedding metrics stop at "
                                  "hidden state " + std::to_string(readState) + "; choose layers below " +
                                  std::to_string(readState) + " or read the last hidden state");
    };
    if (st.type == "dimensions") {
        const std::string mode = p.value("mode", "prefix");
        if (mode == "drop" || mode == "zero") {
            std::vector<std::pair<int64_t, int64_t>> ranges;
            if (p.contains("ranges"))
                for (const auto& r : p["ranges"]) ranges.emplace_back(r[0].get<int64_t>(), r[1].get<int64_t>());
            else
                for (int64_t q = 0; q < 4; ++q) ranges.emplace_back(q * m.hidden / 4, (q + 1) * m.hidden / 4 - 1);
            for (const auto& [a, b] : ranges) {
                if (b >= m.hidden)
                    throw Error::badInput(w + ".ranges: [" + std::to_string(a) + ", " + std::to_string(b) +
                                          "] reaches beyond the model's " + std::to_string(m.hidden) + " dimensions (0–" +
                                          std::to_string(m.hidden - 1) + ")");
                Setting s;
                s.label = mode + " " + std::to_string(a) + "–" + std::to_string(b);
                s.params = {{"first", a}, {"last", b}, {"dims", mode == "drop" ? m.hidden - (b - a + 1) : m.hidden}};
                for (int64_t c = 0; c < m.hidden; ++c) {
                    const bool in = c >= a && c <= b;
                    if (mode == "drop" && !in) s.keepColumns.push_back(c);
                    if (mode == "zero" && in) s.zeroColumns.push_back(c);
                }
                if (mode == "drop" && s.keepColumns.empty())
                    throw Error::badInput(w + ".ranges: [" + std::to_string(a) + ", " + std::to_string(b) + "] drops every dimension");
                out.push_back(std::move(s));
            }
        } else {
            std::vector<int64_t> sizes = intList(p, "sizes", w, 1);
            if (sizes.empty()) sizes = defaultSizes(m.hidden);
            const int64_t repeats = mode == "random" ? p.value("repeats", int64_t(1)) : 1;
            for (int64_t k : sizes) {
                if (k > m.hidden)
                    throw Error::badInput(w + ".sizes: " + std::to_string(k) + " is more than the model's " +
                                          std::to_string(m.hidden) + " dimensions");
                for (int64_t r = 0; r < repeats; ++r) {
                    Setting s;
                    s.label = mode + " " + std::to_string(k) + (repeats > 1 ? " #" + std::to_string(r + 1) : "");
                    s.params = {{"dims", k}};
                    if (repeats > 1) s.params["repeat"] = r + 1;
                    if (mode == "prefix") {
                        s.keepColumns = orAll({}, k);
                    } else if (mode == "pca") {
                        s.pcaComponents = k;
                    } else {  // random: the seed, the size and the repeat pick the subset
                        std::vector<int64_t> all = orAll({}, m.hidden);
                        std::mt19937_64 rng(st.seed * 1000003ULL + static_cast<uint64_t>(k) * 7919ULL + static_cast<uint64_t>(r));
                        for (int64_t i = m.hidden - 1; i > 0; --i) {
                            const int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
                            std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(j)]);
                        }
                        all.resize(static_cast<size_t>(k));
                        std::sort(all.begin(), all.end());
                        s.keepColumns = all;
                    }
                    out.push_back(std::move(s));
                }
            }
        }
    } else if (st.type == "precision") {
        std::vector<std::string> levels = precisionLevels();
        if (p.contains("levels")) levels = p["levels"].get<std::vector<std::string>>();
        for (const auto& l : levels) {
            Setting s;
            s.label = l;
            s.level = l;
            s.params = {{"bits", bitsOf(l)}};
            out.push_back(std::move(s));
        }
    } else if (st.type == "layers") {
        const std::string mode = p.value("mode", "skip");
        const std::vector<int64_t> layers =
            orAll(intList(p, "layers", w, 0), mode == "read" ? m.layers + 1 : layerLimit);
        for (int64_t l : layers) {
            const int64_t limit = mode == "read" ? m.layers : m.layers - 1;
            if (l > limit)
                throw Error::badInput(w + ".layers: " + std::to_string(l) + " is beyond the model's " +
                                      (mode == "read" ? "hidden states (0–" : "layers (0–") + std::to_string(limit) + ")");
            if (mode == "skip") reachable(l, false);
            Setting s;
            s.params = {{"layer", l}};
            if (mode == "skip") {
                s.label = "skip layer " + std::to_string(l);
                s.interventions.skipLayers = {l};
            } else {
                s.label = "read layer " + std::to_string(l);
                s.readLayer = l;
            }
            out.push_back(std::move(s));
        }
    } else if (st.type == "heads") {
        const bool mean = p.value("mode", "zero") == "mean";
        for (int64_t l : orAll(intList(p, "layers", w, 0), mean && readsEarly ? readState : layerLimit)) {
            if (l >= m.layers)
                throw Error::badInput(w + ".layers: " + std::to_string(l) + " is beyond the model's " + std::to_string(m.layers) +
                                      " layers (0–" + std::to_string(m.layers - 1) + ")");
            reachable(l, mean);
            for (int64_t h : orAll(intList(p, "heads", w, 0), m.heads)) {
                if (h >= m.heads)
                    throw Error::badInput(w + ".heads: " + std::to_string(h) + " is beyond the model's " + std::to_string(m.heads) +
                                          " heads (0–" + std::to_string(m.heads - 1) + ")");
                Setting s;
                s.label = "layer " + std::to_string(l) + " head " + std::to_string(h);
                s.params = {{"layer", l}, {"head", h}};
                (mean ? s.interventions.meanHeads : s.interventions.zeroHeads).emplace_back(l, h);
                out.push_back(std::move(s));
            }
        }
    } else if (st.type == "tokens") {
        auto add = [&](std::vector<int64_t> ids, std::string label) {
            for (int64_t id : ids)
                if (id >= m.vocab)
                    throw Error::badInput(w + ": token id " + std::to_string(id) + " is beyond the model's vocabulary of " +
                                          std::to_string(m.vocab));
            Setting s;
            s.label = std::move(label);
            s.params = {{"ids", ids}, {"count", static_cast<int64_t>(ids.size())}};
            s.tokenRows = std::move(ids);
            out.push_back(std::move(s));
        };
        for (int64_t id : intList(p, "ids", w, 0)) add({id}, "token " + std::to_string(id));
        if (p.contains("sets"))
            for (const auto& set : p["sets"]) {
                std::vector<int64_t> ids = set.get<std::vector<int64_t>>();
                add(ids, "tokens " + set.dump());
            }
        if (p.contains("strings")) {
            if (!tok) throw Error::badInput(w + ".strings needs the model's tokenizer");
            for (const auto& s : p["strings"]) {
                std::vector<int64_t> ids = tok->encode(s.get<std::string>(), false).ids;
                if (ids.empty()) throw Error::badInput(w + ".strings: '" + s.get<std::string>() + "' has no tokens");
                std::sort(ids.begin(), ids.end());
                ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
                add(ids, "'" + s.get<std::string>() + "'");
            }
        }
    } else if (st.type == "vocabulary") {
        for (int64_t k : intList(p, "keep", w, 1)) {
            if (k > m.vocab)
                throw Error::badInput(w + ".keep: " + std::to_string(k) + " is more than the model's vocabulary of " +
                                      std::to_string(m.vocab));
            Setting s;
            s.label = "keep " + std::to_string(k);
            s.params = {{"keep", k}};
            s.keep = k;
            out.push_back(std::move(s));
        }
    }
    if (out.empty()) throw Error::badInput(w + " gives no setting to run");
    return out;
}

bool vectorStudy(const AblationStudy& st) {
    return st.type == "dimensions" || (st.type == "precision" && st.params.value("target", "vectors") == "vectors");
}
bool weightStudy(const AblationStudy& st) {
    return st.type == "tokens" || st.type == "vocabulary" ||
           (st.type == "precision" && st.params.value("target", "vectors") == "embedding");
}

int64_t memAvailableBytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    int64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
        if (key == "MemAvailable:") return kb * 1024;
    return int64_t(4) << 30;
}

std::string human(double bytes) {
    char b[32];
    if (bytes >= 1e9) std::snprintf(b, sizeof b, "%.2f GB", bytes / 1e9);
    else std::snprintf(b, sizeof b, "%.1f MB", bytes / 1e6);
    return b;
}

std::string duration(double s) {
    char b[32];
    if (s >= 3600) std::snprintf(b, sizeof b, "%.1f h", s / 3600);
    else if (s >= 60) std::snprintf(b, sizeof b, "%.1f min", s / 60);
    else std::snprintf(b, sizeof b, "%.1f s", s);
    return b;
}

// Bytes of the weights that belong to layer l (names "layers.l.", "h.l.", "layer.l.").
int64_t layerBytes(const Model& model, int64_t l) {
    int64_t n = 0;
    const std::string id = "." + std::to_string(l) + ".";
    for (const auto& [name, t] : model.weights()) {
        const auto pos = name.find(id);
        if (pos == std::string::npos) continue;
        const std::string before = name.substr(0, pos);
        if (before == "layers" || before == "h" || before == "encoder.layer" ||
            (before.size() >= 7 && before.compare(before.size() - 7, 7, ".layers") == 0))
            n += t.numel() * static_cast<int64_t>(t.element_size());
    }
    return n;
}

}  // namespace

const std::vector<std::string>& ablationTypes() {
    static const std::vector<std::string> t = {"dimensions", "precision", "layers", "heads", "tokens", "vocabulary"};
    return t;
}

AblationStudy parseStudy(const json& j, const std::string& baseDir) {
    checkFields(j, "study", {"name", "description", "model", "tokenizer", "device", "dtype", "type", "dimensions",
                             "precision", "layers", "heads", "tokens", "vocabulary", "metrics", "embedding", "seed",
                             "sample", "budget"});
    AblationStudy s;
    if (!j.contains("model")) throw Error::badInput("study.model is missing (a model folder)");
    s.model = resolvePath(str(j, "model", "study"), baseDir);
    s.tokenizer = resolvePath(str(j, "tokenizer", "study"), baseDir);
    s.device = str(j, "device", "study", "cpu");
    s.dtype = str(j, "dtype", "study", "f32");
    parseDtype(s.dtype);  // throws for an unknown name
    if (!j.contains("type")) throw Error::badInput("study.type is missing (dimensions, precision, layers, heads, tokens or vocabulary)");
    s.type = oneOf(j, "type", "study", ablationTypes());
    for (const auto& t : ablationTypes())
        if (t != s.type && j.contains(t))
            throw Error::badInput("study." + t + " does not belong to a study of type '" + s.type + "'");
    s.params = checkTypeParams(s.type, j.contains(s.type) ? j[s.type] : json::object(), baseDir);
    s.seed = static_cast<uint64_t>(integer(j, "seed", "study", 42, 0));
    if (j.contains("embedding")) {
        const json& e = j["embedding"];
        checkFields(e, "study.embedding", {"pooling", "layer", "normalize", "batch_size", "max_length"});
        s.embed.pooling = parsePooling(str(e, "pooling", "study.embedding", "mean"));
        s.embed.layer = integer(e, "layer", "study.embedding", -1, std::numeric_limits<int64_t>::min());
        if (e.contains("normalize") && !e["normalize"].is_boolean()) throw Error::badInput("study.embedding.normalize must be true or false");
        s.embed.normalize = e.value("normalize", false);
        s.embed.batchSize = integer(e, "batch_size", "study.embedding", 32, 1);
        s.embed.maxLength = integer(e, "max_length", "study.embedding", 0, 0);
    }
    if (!j.contains("metrics") || !j["metrics"].is_array() || j["metrics"].empty())
        throw Error::badInput("study.metrics is missing: a non-empty array of {\"task\": ..., \"data\": ...}");
    std::map<std::string, int> seen;
    for (size_t i = 0; i < j["metrics"].size(); ++i) {
        const json& m = j["metrics"][i];
        const std::string w = "study.metrics[" + std::to_string(i) + "]";
        checkFields(m, w, {"task", "data", "name", "min_score", "max_score", "samples_per_label", "experiments", "max_length",
                           "stride", "encoding"});
        StudyMetric sm;
        if (!m.contains("task")) throw Error::badInput(w + ".task is missing");
        sm.options.task = oneOf(m, "task", w, evalTasks());
        if (!m.contains("data")) throw Error::badInput(w + ".data is missing");
        sm.options.data = resolvePath(str(m, "data", w), baseDir);
        sm.options.minScore = number(m, "min_score", w, 0.0);
        sm.options.maxScore = number(m, "max_score", w, 5.0);
        sm.options.samplesPerLabel = integer(m, "samples_per_label", w, 0, 0);
        sm.options.experiments = integer(m, "experiments", w, 10, 1);
        sm.options.maxLength = integer(m, "max_length", w, 0, 0);
        sm.options.stride = integer(m, "stride", w, 0, 0);
        sm.options.encoding = str(m, "encoding", w, "auto");
        sm.name = str(m, "name", w, sm.options.task);
        if (sm.name.empty() || sm.name.size() > 64 ||
            sm.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
            throw Error::badInput(w + ".name '" + sm.name + "' must be 1–64 letters, digits, _ or - (it names columns and files)");
        if (sm.options.minScore >= sm.options.maxScore)
            throw Error::badInput(w + ": min_score must be below max_score");
        if (seen[sm.name]++) throw Error::badInput(w + ": two metrics are named '" + sm.name + "' (give each a \"name\")");
        s.metrics.push_back(std::move(sm));
    }
    if (j.contains("sample")) {
        const json& sp = j["sample"];
        checkFields(sp, "study.sample", {"prompt", "tokens"});
        s.samplePrompt = str(sp, "prompt", "study.sample");
        s.sampleTokens = integer(sp, "tokens", "study.sample", 24, 1, 4096);
    }
    if (j.contains("budget")) {
        const json& b = j["budget"];
        checkFields(b, "study.budget", {"seconds", "memory_bytes"});
        s.maxSeconds = number(b, "seconds", "study.budget", s.maxSeconds);
        if (!(s.maxSeconds > 0)) throw Error::badInput("study.budget.seconds must be positive");
        s.maxMemoryBytes = integer(b, "memory_bytes", "study.budget", 0, 1);
    }
    return s;
}

AblationStudy readStudy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::badInput("cannot open the study file " + path);
    json j;
    try {
        j = json::parse(in);
    } catch (const json::exception& e) {
        throw Error::badInput(path + " is not valid JSON: " + e.what());
    }
    const std::string base = fs::path(path).parent_path().string();
    return parseStudy(j, base.empty() ? "." : base);
}

json studyToJson(const AblationStudy& s) {
    json j = {{"model", s.model}, {"type", s.type}, {"seed", s.seed}};
    if (!s.tokenizer.empty()) j["tokenizer"] = s.tokenizer;
    if (s.device != "cpu") j["device"] = s.device;
    if (s.dtype != "f32") j["dtype"] = s.dtype;
    j[s.type] = s.params;
    j["embedding"] = {{"pooling", poolingName(s.embed.pooling)}, {"layer", s.embed.layer}, {"normalize", s.embed.normalize},
                      {"batch_size", s.embed.batchSize}, {"max_length", s.embed.maxLength}};
    json ms = json::array();
    for (const auto& m : s.metrics) {
        json mj = {{"task", m.options.task}, {"data", m.options.data}};
        if (m.name != m.options.task) mj["name"] = m.name;
        if (m.options.task == "sts") mj["min_score"] = m.options.minScore, mj["max_score"] = m.options.maxScore;
        if (m.options.samplesPerLabel) mj["samples_per_label"] = m.options.samplesPerLabel;
        if (m.options.task == "classification") mj["experiments"] = m.options.experiments;
        if (m.options.maxLength) mj["max_length"] = m.options.maxLength;
        if (m.options.stride) mj["stride"] = m.options.stride;
        if (m.options.encoding != "auto") mj["encoding"] = m.options.encoding;
        ms.push_back(mj);
    }
    j["metrics"] = ms;
    if (!s.samplePrompt.empty()) j["sample"] = {{"prompt", s.samplePrompt}, {"tokens", s.sampleTokens}};
    j["budget"] = {{"seconds", s.maxSeconds}};
    if (s.maxMemoryBytes) j["budget"]["memory_bytes"] = s.maxMemoryBytes;
    return j;
}

std::vector<std::string> ablationSettingNames(const AblationStudy& study, const ModelShape& shape) {
    std::vector<std::string> names;
    AblationStudy s = study;
    if (s.type == "tokens" && s.params.contains("strings")) s.params.erase("strings");  // needs the tokenizer
    if (s.type == "tokens" && !s.params.contains("ids") && !s.params.contains("sets")) return names;
    for (const auto& x : buildSettings(s, shape, nullptr)) names.push_back(x.label);
    return names;
}

double AblationRow::metric(const std::string& key, double fallback) const {
    for (const auto& [k, v] : metrics)
        if (k == key) return v;
    return fallback;
}

AblationResult runAblation(const AblationStudy& st, Progress& progress,
                           const std::function<void(const AblationRow&, const AblationResult&)>& onRow) {
    const auto tStart = std::chrono::steady_clock::now();
    AblationResult res;
    res.study = st;
    progress.report(0.0, "loading the model");
    std::unique_ptr<Tokenizer> tokenizer = loadTokenizer(st.tokenizer.empty() ? st.model : st.tokenizer);
    std::unique_ptr<Model> model = loadModel(st.model, c10::Device(resolveDevice(st.device)), parseDtype(st.dtype));
    Model& mdl = *model;
    const ModelConfig& c = mdl.config();
    ModelShape shape{c.numLayers, c.numHeads, c.hiddenSize, c.vocabSize, c.isCausalLM()};
    const bool tied = mdl.tiedLmHead();
    res.model = {{"path", st.model}, {"architecture", architectureName(c.arch)}, {"layers", c.numLayers},
                 {"heads", c.numHeads}, {"hidden", c.hiddenSize}, {"vocab", c.vocabSize}, {"tied_head", tied},
                 {"weight_bytes", mdl.weightBytes()}, {"dtype", st.dtype}, {"device", st.device}};
    std::vector<int64_t> specialIds;  // the tokenizer's bos/eos/pad/unk ids (kept by a vocabulary cut)
    for (auto id : {tokenizer->bosId(), tokenizer->eosId(), tokenizer->padId(), tokenizer->unkId()})
        if (id && *id >= 0 && *id < c.vocabSize && std::find(specialIds.begin(), specialIds.end(), *id) == specialIds.end())
            specialIds.push_back(*id);
    std::sort(specialIds.begin(), specialIds.end());
    res.model["special_ids"] = specialIds;
    std::vector<Setting> settings = buildSettings(st, shape, tokenizer.get());
    for (const auto& s : settings) {  // ranges only: the means come from the baseline
        Interventions ranges = s.interventions;
        ranges.zeroHeads.insert(ranges.zeroHeads.end(), ranges.meanHeads.begin(), ranges.meanHeads.end());
        ranges.meanHeads.clear();
        ranges.check(c.numLayers, c.numHeads);
    }
    for (const auto& m : st.metrics) {
        if (m.options.task == "perplexity" && !c.isCausalLM())
            throw Error::badInput("metric '" + m.name + "': perplexity needs a causal LM; this model is " +
                                  std::string(architectureName(c.arch)));
        if (!fs::exists(m.options.data)) throw Error::badInput("metric '" + m.name + "': " + m.options.data + " does not exist");
    }
    if (st.type == "vocabulary") {
        if (st.params.value("map", "unk") == "unk" &&
            (!tokenizer->unkId() || *tokenizer->unkId() < 0 || *tokenizer->unkId() >= c.vocabSize))
            throw Error::badInput("study.vocabulary.map = unk, but the tokenizer has no unknown token within the model's "
                                  "vocabulary (use \"nearest\")");
        if (!fs::exists(st.params["corpus"].get<std::string>()))
            throw Error::badInput("study.vocabulary.corpus: " + st.params["corpus"].get<std::string>() + " does not exist");
        for (const auto& x : settings)
            if (x.keep < static_cast<int64_t>(specialIds.size()))
                throw Error::badInput("study.vocabulary.keep: " + std::to_string(x.keep) + " is fewer than the tokenizer's " +
                                      std::to_string(specialIds.size()) + " special tokens, which are always kept");
    }
    if (!st.samplePrompt.empty() && !c.isCausalLM())
        throw Error::badInput("study.sample: generation needs a causal LM; this model is " + std::string(architectureName(c.arch)));
    for (const auto& m : st.metrics) {
        res.mainKeys.push_back(m.name + "." + evalMainMetric(m.options.task));
    }

    // The embedding matrix the weight studies change (and restore).
    std::string embKey;
    at::Tensor embOriginal;
    if (weightStudy(st)) {
        const at::Tensor e = mdl.inputEmbeddings();
        for (const auto& [name, t] : mdl.weights())
            if (t.is_same(e)) embKey = name;
        if (embKey.empty()) throw Error::runtime("the model's input embedding matrix has no name");
        embOriginal = e;
    }

    // Memory: what the sweep holds beside the model (a float32 copy of the embedding matrix while a
    // setting changes it and one for the study's own arithmetic), checked before anything runs.
    const int64_t available = memAvailableBytes();
    const int64_t budgetBytes = st.maxMemoryBytes > 0 ? st.maxMemoryBytes : available;
    const int64_t embBytes = c.vocabSize * c.hiddenSize * 4;
    int64_t extra = weightStudy(st) ? 3 * embBytes : 0;
    // vocabulary → nearest: the kept rows normalised, the dropped rows and their replacements, and one
    // block of cosine scores (as many dropped rows as fit 256 MB of scores against every kept row)
    int64_t nearestBlock = 4096;
    if (st.type == "vocabulary" && st.params.value("map", "unk") == "nearest") {
        int64_t most = 0;
        for (const auto& x : settings) most = std::max(most, x.keep);
        nearestBlock = std::clamp<int64_t>((int64_t(256) << 20) / std::max<int64_t>(1, most * 4), 1, 4096);
        extra += 3 * embBytes + nearestBlock * most * 4;
    }
    const int64_t rss = std::max<int64_t>(0, eval::currentRssBytes());
    res.estimate.settings = static_cast<int64_t>(settings.size());
    res.estimate.memoryBytes = rss + extra;
    if (extra > budgetBytes || (st.maxMemoryBytes > 0 && rss + extra > st.maxMemoryBytes))
        throw Error::badInput("the sweep would need about " + human(double(rss + extra)) + " (" + human(double(rss)) +
                              " now + " + human(double(extra)) + " for the embedding matrix's copies), more than the " +
                              (st.maxMemoryBytes > 0 ? "study's budget of " + human(double(st.maxMemoryBytes))
                                                     : human(double(available)) + " available") + "; nothing was run");

    // Mean ablation: the baseline records every head's mean output over the metrics' own tokens.
    std::shared_ptr<HeadMeans> means;
    if (st.type == "heads" && st.params.value("mode", "zero") == "mean")
        means = std::make_shared<HeadMeans>(c.numLayers, c.numHeads, c.headDim);

    std::vector<eval::Matrix> captured(st.metrics.size());
    std::vector<int64_t> capturedRows(st.metrics.size(), 0);
    double baselineSeconds = 0, baselineEmbedSeconds = 0, lastEmbedSeconds = 0;
    double nSteps = double(settings.size()) + 1.0;

    auto runSetting = [&](const Setting* s, int64_t index) {
        AblationRow row;
        row.index = index;
        row.setting = s ? s->label : "baseline";
        row.params = s ? s->params : json::object();
        const auto t0 = std::chrono::steady_clock::now();
        double embedSecs = 0;
        int64_t sentences = 0;
        const double f0 = double(index) / nSteps, f1 = double(index + 1) / nSteps;
        Progress stage(progress, f0, f1, row.setting);
        // vectors of this setting (vector studies) and the stored bytes they add up to
        int64_t vectorBytes = 0;
        for (size_t k = 0; k < st.metrics.size(); ++k) {
            const StudyMetric& m = st.metrics[k];
            Progress mp(stage, double(k) / double(st.metrics.size()), double(k + 1) / double(st.metrics.size()), m.name);
            EvalOptions o = m.options;
            o.embed = st.embed;
            o.seed = st.seed;
            EvalSubject subject;
            subject.model = &mdl;
            subject.tokenizer = tokenizer.get();
            subject.modelPath = st.model;
            eval::Matrix transformed;
            const bool isEmbedding = embeddingTask(o.task);
            if (!s) {
                if (means) o.embed.interventions.recordHeads = means;
                if (vectorStudy(st) && isEmbedding) o.onVectors = [&captured, &capturedRows, k](eval::Matrix& v) {
                    captured[k] = v;
                    capturedRows[k] = v.rows;
                };
            } else if (vectorStudy(st)) {
                if (!isEmbedding) {  // the output vectors do not reach this metric
                    row.metrics.emplace_back(m.name + "." + evalMainMetric(o.task), kNaN);
                    continue;
                }
                const eval::Matrix& v = captured[k];
                if (st.type == "dimensions") {
                    if (s->pcaComponents > 0) {
                        PcaOptions po;
                        po.components = s->pcaComponents;
                        po.seed = st.seed;
                        transformed = asMatrix(pca(asTensor(v), po).coords);
                    } else if (!s->zeroColumns.empty()) {
                        transformed = v;
                        for (int64_t r = 0; r < v.rows; ++r)
                            for (int64_t col : s->zeroColumns) transformed.row(r)[col] = 0.f;
                    } else {
                        transformed = columns(v, s->keepColumns);
                    }
                    vectorBytes += v.rows * s->params.value("dims", v.cols) * 4;
                } else {
                    transformed = asMatrix(quantize(asTensor(v), s->level));
                    vectorBytes += storedBytes(v.rows, v.cols, s->level);
                }
                subject.model = nullptr;
                subject.vectors = &transformed;
                subject.vectorsPath = "(" + row.setting + ")";
            } else {
                o.embed.interventions = s->interventions;
                if (means) o.embed.interventions.headMeans = means;
                if (s->readLayer != std::numeric_limits<int64_t>::min()) {
                    if (!isEmbedding) {
                        row.metrics.emplace_back(m.name + "." + evalMainMetric(o.task), kNaN);
                        continue;
                    }
                    o.embed.layer = s->readLayer;
                }
            }
            EvalResult r = evaluate(subject, o, mp);
            for (const auto& em : r.metrics) row.metrics.emplace_back(m.name + "." + em.name, em.value);
            embedSecs += r.compute.embedSeconds;
            sentences += r.compute.sentences;
        }
        if (!s) {  // which columns exist (the baseline has them all)
            for (const auto& [key, v] : row.metrics) res.metricKeys.push_back(key);
        }
        const bool modelUnchanged = s && (vectorStudy(st) || s->readLayer != std::numeric_limits<int64_t>::min());
        if (!st.samplePrompt.empty() && c.isCausalLM() && modelUnchanged && !res.rows.empty()) {
            row.sample = res.rows.front().sample;  // the forward is the baseline's
        } else if (!st.samplePrompt.empty() && c.isCausalLM()) {
            GenerationOptions g;
            g.maxNewTokens = st.sampleTokens;
            if (s) {
                g.interventions = s->interventions;
                if (means) g.interventions.headMeans = means;
            }
            if (auto eos = tokenizer->eosId()) g.eosTokenIds = {*eos};
            std::vector<int64_t> prompt = tokenizer->encode(st.samplePrompt, true).ids;
            if (prompt.empty()) throw Error::badInput("study.sample.prompt has no tokens");
            Progress gp(stage, 0.99, 1.0, "sample");
            GenerationResult gr = generate(mdl, prompt, g, gp);
            row.sample = tokenizer->decode(gr.ids, true);
        }
        row.seconds = secondsSince(t0);
        lastEmbedSeconds = embedSecs;
        row.sentencesPerSecond = embedSecs > 0 ? double(sentences) / embedSecs : 0.0;
        // Memory: what the setting stores.
        if (vectorStudy(st)) {
            if (!s) {
                for (size_t k = 0; k < captured.size(); ++k) vectorBytes += capturedRows[k] * captured[k].cols * 4;
            }
            row.memoryBytes = vectorBytes;
        } else if (st.type == "precision") {
            const int64_t stored = embOriginal.numel() * static_cast<int64_t>(embOriginal.element_size());
            row.memoryBytes = s ? mdl.weightBytes() - stored + storedBytes(c.vocabSize, c.hiddenSize, s->level) : mdl.weightBytes();
            row.params["embedding_bytes"] = s ? storedBytes(c.vocabSize, c.hiddenSize, s->level) : stored;
        } else if (st.type == "vocabulary") {
            const int64_t kept = s ? s->keep : c.vocabSize;
            row.memoryBytes = mdl.weightBytes() - embOriginal.numel() * static_cast<int64_t>(embOriginal.element_size()) +
                              kept * c.hiddenSize * static_cast<int64_t>(embOriginal.element_size()) +
                              (s ? c.vocabSize * 4 : 0);  // the id map
        } else if (st.type == "layers" && s && !s->interventions.skipLayers.empty()) {
            row.memoryBytes = mdl.weightBytes() - layerBytes(mdl, s->interventions.skipLayers.front());
        } else {
            row.memoryBytes = mdl.weightBytes();
        }
        return row;
    };

    auto emit = [&](AblationRow row) {
        res.rows.push_back(std::move(row));
        if (onRow) onRow(res.rows.back(), res);
    };

    // The baseline, then the estimate of the rest (written with the baseline row, so that a refused
    // sweep's results say why).
    AblationRow base = runSetting(nullptr, 0);
    baselineSeconds = base.seconds;
    baselineEmbedSeconds = lastEmbedSeconds;
    // PCA: k components of n centred vectors need k ≤ min(n − 1, dims). Default sizes beyond that are
    // left out; given ones are refused (after the baseline, which is kept).
    std::string pcaError;
    if (st.type == "dimensions" && st.params.value("mode", "prefix") == "pca") {
        int64_t rank = std::numeric_limits<int64_t>::max();
        std::string which;
        for (size_t k = 0; k < captured.size(); ++k)
            if (capturedRows[k] > 0 && std::min(capturedRows[k] - 1, captured[k].cols) < rank)
                rank = std::min(capturedRows[k] - 1, captured[k].cols), which = st.metrics[k].name;
        std::vector<Setting> fit;
        for (auto& x : settings)
            if (x.pcaComponents <= rank) fit.push_back(std::move(x));
            else if (st.params.contains("sizes") && pcaError.empty())
                pcaError = "study.dimensions.sizes: pca " + std::to_string(x.pcaComponents) + " needs more vectors: metric '" +
                           which + "' has " + std::to_string(rank + 1) + " (at most " + std::to_string(rank) +
                           " components); only the baseline was run";
        settings = std::move(fit);
        if (settings.empty() && pcaError.empty())
            pcaError = "study.dimensions: metric '" + which + "' has too few vectors for any PCA size; only the baseline was run";
        res.estimate.settings = static_cast<int64_t>(settings.size());
        nSteps = double(settings.size()) + 1.0;
    }
    // A setting costs what the baseline did; without the embedding when only the vectors change.
    const double perSetting =
        vectorStudy(st) ? std::max(0.01, baselineSeconds - baselineEmbedSeconds) : baselineSeconds;
    res.estimate.seconds = baselineSeconds + perSetting * double(settings.size());
    if (vectorStudy(st)) {
        int64_t vb = 0;
        for (size_t k = 0; k < captured.size(); ++k) vb += capturedRows[k] * captured[k].cols * 4;
        res.estimate.memoryBytes += 3 * vb;
    }
    emit(std::move(base));
    if (!pcaError.empty()) throw Error::badInput(pcaError);
    if (res.estimate.seconds > st.maxSeconds)
        throw Error::badInput("the sweep would take about " + duration(res.estimate.seconds) + " (" +
                              std::to_string(settings.size()) + " settings × " + duration(perSetting) + " each after a " +
                              duration(baselineSeconds) + " baseline), more than the study's budget of " +
                              duration(st.maxSeconds) + " (budget.seconds); only the baseline was run");

    // Token frequencies for the vocabulary study, counted once.
    std::vector<int64_t> byFrequency;  // ids, most frequent first (specials first of all)
    if (st.type == "vocabulary") {
        const std::string corpus = st.params["corpus"].get<std::string>();
        std::ifstream in(corpus, std::ios::binary);
        if (!in) throw Error::badInput("study.vocabulary.corpus: cannot open " + corpus);
        std::vector<int64_t> counts(static_cast<size_t>(c.vocabSize), 0);
        std::string line;
        int64_t lines = 0;
        while (std::getline(in, line)) {
            if ((++lines & 1023) == 0) progress.checkCancelled();
            for (int64_t id : tokenizer->encode(line, false).ids)
                if (id >= 0 && id < c.vocabSize) ++counts[static_cast<size_t>(id)];
        }
        const std::set<int64_t> specials(specialIds.begin(), specialIds.end());
        byFrequency.assign(specials.begin(), specials.end());
        std::vector<int64_t> rest;
        for (int64_t i = 0; i < c.vocabSize; ++i)
            if (!specials.count(i)) rest.push_back(i);
        std::stable_sort(rest.begin(), rest.end(),
                         [&](int64_t a, int64_t b) { return counts[static_cast<size_t>(a)] > counts[static_cast<size_t>(b)]; });
        byFrequency.insert(byFrequency.end(), rest.begin(), rest.end());
        int64_t total = 0;
        for (int64_t n : counts) total += n;
        for (auto& s : settings) {
            int64_t covered = 0;
            for (int64_t i = 0; i < s.keep && i < c.vocabSize; ++i) covered += counts[static_cast<size_t>(byFrequency[static_cast<size_t>(i)])];
            s.params["coverage"] = total > 0 ? double(covered) / double(total) : 0.0;
        }
    }

    for (size_t i = 0; i < settings.size(); ++i) {
        progress.checkCancelled();
        const Setting& s = settings[i];
        if (weightStudy(st)) {
            at::Tensor e = embOriginal.to(at::kCPU, at::kFloat).clone();
            if (st.type == "precision") {
                e = quantize(e, s.level);
            } else if (st.type == "tokens") {
                at::Tensor fill = st.params.value("mode", "zero") == "mean" ? e.mean(0) : at::zeros({c.hiddenSize});
                for (int64_t id : s.tokenRows) e[id].copy_(fill);
            } else {  // vocabulary
                const size_t keep = static_cast<size_t>(s.keep);
                std::vector<int64_t> kept(byFrequency.begin(), byFrequency.begin() + static_cast<long>(keep));
                std::vector<int64_t> dropped(byFrequency.begin() + static_cast<long>(keep), byFrequency.end());
                if (!dropped.empty()) {
                    at::Tensor dropIdx = at::tensor(dropped, at::kLong);
                    if (st.params.value("map", "unk") == "unk") {
                        e.index_copy_(0, dropIdx, e[*tokenizer->unkId()].unsqueeze(0).expand({static_cast<int64_t>(dropped.size()), c.hiddenSize}).contiguous());
                    } else {  // the nearest kept row by cosine, in blocks
                        at::Tensor keptIdx = at::tensor(kept, at::kLong);
                        at::Tensor kn = e.index_select(0, keptIdx);
                        kn = kn / kn.norm(2, {1}, true).clamp_min(1e-12);
                        at::Tensor src = e.index_select(0, dropIdx);
                        at::Tensor rows = at::empty_like(src);
                        for (int64_t b = 0; b < src.size(0); b += nearestBlock) {
                            progress.checkCancelled();
                            const int64_t n = std::min<int64_t>(nearestBlock, src.size(0) - b);
                            at::Tensor q = src.narrow(0, b, n);
                            at::Tensor best = at::matmul(q / q.norm(2, {1}, true).clamp_min(1e-12), kn.t()).argmax(1);
                            rows.narrow(0, b, n).copy_(e.index_select(0, keptIdx.index_select(0, best)));
                        }
                        e.index_copy_(0, dropIdx, rows);
                    }
                }
            }
            mdl.setWeights({{embKey, e}});
        }
        AblationRow row;
        try {
            row = runSetting(&s, static_cast<int64_t>(i + 1));
        } catch (...) {
            if (weightStudy(st)) mdl.setWeights({{embKey, embOriginal}});
            throw;
        }
        if (weightStudy(st)) mdl.setWeights({{embKey, embOriginal}});
        emit(std::move(row));
    }
    res.seconds = secondsSince(tStart);
    progress.report(1.0, "done");
    return res;
}

json toJson(const AblationRow& row, const AblationResult& res) {
    json j = {{"index", row.index}, {"setting", row.setting}, {"params", row.params}};
    json m = json::object(), d = json::object();
    const AblationRow* base = res.rows.empty() ? nullptr : &res.rows.front();
    for (const auto& [k, v] : row.metrics) {
        m[k] = std::isfinite(v) ? json(v) : json(nullptr);
        if (base && std::find(res.mainKeys.begin(), res.mainKeys.end(), k) != res.mainKeys.end()) {
            const double b = base->metric(k, kNaN);
            d[k] = std::isfinite(v) && std::isfinite(b) ? json(v - b) : json(nullptr);
        }
    }
    j["metrics"] = m;
    j["delta"] = d;
    j["memory_bytes"] = row.memoryBytes;
    j["seconds"] = row.seconds;
    j["sentences_per_second"] = row.sentencesPerSecond;
    if (!row.sample.empty()) j["sample"] = row.sample;
    return j;
}

json toJson(const AblationResult& r) {
    json rows = json::array();
    for (const auto& row : r.rows) rows.push_back(toJson(row, r));
    return {{"study", studyToJson(r.study)},
            {"model", r.model},
            {"metrics", r.metricKeys},
            {"main_metrics", r.mainKeys},
            {"estimate", {{"settings", r.estimate.settings}, {"seconds", r.estimate.seconds}, {"memory_bytes", r.estimate.memoryBytes}}},
            {"rows", rows},
            {"seconds", r.seconds},
            {"threads", threadCount()}};
}

std::string toCsv(const AblationResult& r) {
    std::vector<std::string> paramKeys;
    for (const auto& row : r.rows)
        for (auto it = row.params.begin(); it != row.params.end(); ++it)
            if (std::find(paramKeys.begin(), paramKeys.end(), it.key()) == paramKeys.end()) paramKeys.push_back(it.key());
    auto quote = [](const std::string& s) {
        if (s.find_first_of(",\"\n") == std::string::npos) return s;
        std::string q = "\"";
        for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        return q + "\"";
    };
    auto val = [](double v) {
        if (!std::isfinite(v)) return std::string();
        char b[40];
        std::snprintf(b, sizeof b, "%.9g", v);
        return std::string(b);
    };
    std::string out = "index,setting";
    for (const auto& k : paramKeys) out += "," + k;
    for (const auto& k : r.metricKeys) out += "," + k;
    for (const auto& k : r.mainKeys) out += ",delta." + k;
    out += ",memory_bytes,seconds,sentences_per_second\n";
    for (const auto& row : r.rows) {
        out += std::to_string(row.index) + "," + quote(row.setting);
        for (const auto& k : paramKeys) {
            out += ",";
            if (!row.params.contains(k)) continue;
            const json& v = row.params[k];
            out += quote(v.is_string() ? v.get<std::string>() : v.dump());
        }
        for (const auto& k : r.metricKeys) out += "," + val(row.metric(k, kNaN));
        for (const auto& k : r.mainKeys) {
            const double b = r.rows.front().metric(k, kNaN), v = row.metric(k, kNaN);
            out += "," + val(std::isfinite(b) && std::isfinite(v) ? v - b : kNaN);
        }
        out += "," + std::to_string(row.memoryBytes) + "," + val(row.seconds) + "," + val(row.sentencesPerSecond) + "\n";
    }
    return out;
}

std::vector<std::string> writeAblationOutputs(const AblationResult& r, const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!isDirectory(dir)) throw Error::badInput("cannot create the output folder " + dir);
    std::vector<std::string> files;
    auto put = [&](const std::string& name, const std::string& data) {
        const std::string p = (fs::path(dir) / name).string();
        writeFileAtomic(p, data);
        files.push_back(p);
    };
    put("results.json", toJson(r).dump(2) + "\n");
    put("results.csv", toCsv(r));
    const std::string& type = r.study.type;
    if (r.rows.size() > 1 && !r.mainKeys.empty()) {
        if (type == "heads") {
            std::vector<int64_t> ls, hs;
            for (size_t i = 1; i < r.rows.size(); ++i) {
                const int64_t l = r.rows[i].params.value("layer", int64_t(0)), h = r.rows[i].params.value("head", int64_t(0));
                if (std::find(ls.begin(), ls.end(), l) == ls.end()) ls.push_back(l);
                if (std::find(hs.begin(), hs.end(), h) == hs.end()) hs.push_back(h);
            }
            std::sort(ls.begin(), ls.end());
            std::sort(hs.begin(), hs.end());
            for (size_t k = 0; k < r.mainKeys.size(); ++k) {
                const std::string& key = r.mainKeys[k];
                std::vector<std::vector<double>> grid(ls.size(), std::vector<double>(hs.size(), kNaN));
                const double base = r.rows.front().metric(key, kNaN);
                for (size_t i = 1; i < r.rows.size(); ++i) {
                    const auto li = std::find(ls.begin(), ls.end(), r.rows[i].params.value("layer", int64_t(0))) - ls.begin();
                    const auto hi = std::find(hs.begin(), hs.end(), r.rows[i].params.value("head", int64_t(0))) - hs.begin();
                    grid[static_cast<size_t>(li)][static_cast<size_t>(hi)] = r.rows[i].metric(key, kNaN) - base;
                }
                std::vector<std::string> ln, hn;
                for (auto l : ls) ln.push_back(std::to_string(l));
                for (auto h : hs) hn.push_back(std::to_string(h));
                put(k == 0 ? "heads_heatmap.svg" : "heads_heatmap_" + r.study.metrics[k].name + ".svg",
                    svgHeatmap("Change of " + key + " when a head is " + r.study.params.value("mode", "zero") + "-ablated", "layer",
                               "head", ln, hn, grid, "Δ " + key));
            }
        } else {
            // x: the swept coordinate
            std::string xKey = type == "dimensions" ? "dims" : type == "precision" ? "bits" : type == "layers" ? "layer"
                                                                                              : type == "vocabulary" ? "keep" : "";
            std::vector<SvgSeries> series;
            std::vector<std::string> cats;
            const bool categorical = xKey.empty() || (type == "dimensions" && r.study.params.value("mode", "prefix") != "prefix" &&
                                                      r.study.params.value("mode", "prefix") != "pca" &&
                                                      r.study.params.value("mode", "prefix") != "random");
            for (size_t i = 1; i < r.rows.size(); ++i) cats.push_back(r.rows[i].setting);
            for (const auto& key : r.mainKeys) {
                SvgSeries se;
                se.name = key;
                for (size_t i = 1; i < r.rows.size(); ++i) {
                    se.x.push_back(categorical ? double(i - 1) : r.rows[i].params.value(xKey, 0.0));
                    se.y.push_back(r.rows[i].metric(key, kNaN));
                }
                if (std::all_of(se.y.begin(), se.y.end(), [](double v) { return !std::isfinite(v); })) continue;
                series.push_back(std::move(se));
            }
            if (!series.empty())
                put("chart.svg", svgLineChart(r.study.type + " study of " + fs::path(r.study.model).filename().string(),
                                              categorical ? "setting" : xKey, "metric", series,
                                              categorical ? cats : std::vector<std::string>{}));
        }
    }
    return files;
}

}  // namespace embedlab::tasks
