#include "engine/tokenizers/tokenizer_pruning.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/token_surface.h"
#include "engine/tokenizers/turkish_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

namespace embedlab {
namespace {

using nlohmann::json;

std::string tokenizerJsonPath(const std::string& dir) {
    for (const char* f : {"tokenizer.json", "tokenizer.json.gz"})
        if (isRegularFile(joinPath(dir, f))) return joinPath(dir, f);
    return {};
}

std::pair<std::string, std::string> mergeParts(const json& m) {
    if (m.is_array() && m.size() == 2) return {m[0].get<std::string>(), m[1].get<std::string>()};
    const std::string s = m.get<std::string>();
    const size_t sp = s.find(' ');
    if (sp == std::string::npos) return {s, ""};
    return {s.substr(0, sp), s.substr(sp + 1)};
}

// old id → new id (-1 when dropped).
std::vector<int64_t> remapTable(const std::vector<int64_t>& keep, int64_t vocab) {
    std::vector<int64_t> map(static_cast<size_t>(std::max<int64_t>(vocab, keep.empty() ? 0 : keep.back() + 1)), -1);
    for (size_t i = 0; i < keep.size(); ++i) map[static_cast<size_t>(keep[i])] = static_cast<int64_t>(i);
    return map;
}

int64_t mapped(const std::vector<int64_t>& map, int64_t id) {
    return id >= 0 && id < static_cast<int64_t>(map.size()) ? map[static_cast<size_t>(id)] : -1;
}

void remapPostProcessor(json& pp, const std::vector<int64_t>& map) {
    if (!pp.is_object()) return;
    const std::string type = pp.value("type", "");
    if (type == "Sequence" && pp.contains("processors")) {
        for (auto& p : pp["processors"]) remapPostProcessor(p, map);
        return;
    }
    if (type == "TemplateProcessing" && pp.contains("special_tokens")) {
        for (auto& [name, st] : pp["special_tokens"].items()) {
            (void)name;
            if (!st.contains("ids")) continue;
            for (auto& id : st["ids"]) {
                const int64_t n = mapped(map, id.get<int64_t>());
                if (n < 0) throw Error::badInput("prune: the post-processor's special token was pruned");
                id = n;
            }
        }
        return;
    }
    for (const char* k : {"sep", "cls"}) {
        if (pp.contains(k) && pp[k].is_array() && pp[k].size() == 2) {
            const int64_t n = mapped(map, pp[k][1].get<int64_t>());
            if (n < 0) throw Error::badInput("prune: the post-processor's special token was pruned");
            pp[k][1] = n;
        }
    }
}

}  // namespace

std::vector<int64_t> closeVocabulary(const Tokenizer& tok, const std::string& dir, std::vector<int64_t> used) {
    const int64_t V = tok.vocabSize();
    std::vector<char> keep(static_cast<size_t>(V), 0);
    for (int64_t id : used)
        if (id >= 0 && id < V) keep[static_cast<size_t>(id)] = 1;
    const SurfaceStyle style = detectSurfaceStyle(tok);
    for (int64_t id = 0; id < V; ++id) {
        const TokenType t = tok.tokenType(id);
        if (t == TokenType::Special || t == TokenType::Unknown || t == TokenType::Byte || isControlToken(tok, id)) {
            keep[static_cast<size_t>(id)] = 1;
            continue;
        }
        for (const auto& s : tokenSurfaces(tok, style, id)) {
            std::u32string cps;
            std::vector<size_t> offs;
            decodeUtf8(s.text, cps, offs);
            if (s.byte || cps.size() <= 1) keep[static_cast<size_t>(id)] = 1;
        }
    }
    // BPE: a kept token's merge parts stay, recursively.
    if (tok.kind() == "hf-bpe") {
        const std::string path = tokenizerJsonPath(dir);
        if (!path.empty()) {
            const json j = json::parse(readMaybeGzip(path));
            // Every merge that produces a kept token keeps its parts: tokenizers converted from
            // SentencePiece (Gemma 3, Llama 2) list several merges per token, and the corpus may have used any.
            std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>> producer;
            for (const auto& m : j["model"].value("merges", json::array())) {
                auto [a, b] = mergeParts(m);
                producer[a + b].emplace_back(a, b);
            }
            std::vector<int64_t> stack;
            for (int64_t id = 0; id < V; ++id)
                if (keep[static_cast<size_t>(id)]) stack.push_back(id);
            while (!stack.empty()) {
                const int64_t id = stack.back();
                stack.pop_back();
                auto it = producer.find(tok.idToToken(id));
                if (it == producer.end()) continue;
                for (const auto& [a, b] : it->second)
                    for (const std::string& part : {a, b}) {
                        auto pid = tok.tokenToId(part);
                        if (pid && !keep[static_cast<size_t>(*pid)]) {
                            keep[static_cast<size_t>(*pid)] = 1;
                            stack.push_back(*pid);
                        }
                    }
            }
        }
    }
    std::vector<int64_t> out;
    for (int64_t id = 0; id < V; ++id)
        if (keep[static_cast<size_t>(id)]) out.push_back(id);
    return out;
}

std::vector<std::string> writePrunedTokenizer(const std::string& fromDir, const std::vector<int64_t>& keep,
                                              const std::string& toDir) {
    std::vector<std::string> written;
    const int64_t maxId = keep.empty() ? 0 : keep.back() + 1;
    const std::string tj = tokenizerJsonPath(fromDir);
    if (!tj.empty()) {
        json j = json::parse(readMaybeGzip(tj));
        json& model = j["model"];
        const std::string type = model.value("type", "");
        int64_t vocab = maxId;
        if (model["vocab"].is_object())
            for (auto& [k, v] : model["vocab"].items()) { (void)k; vocab = std::max<int64_t>(vocab, v.get<int64_t>() + 1); }
        if (j.contains("added_tokens"))
            for (const auto& a : j["added_tokens"]) vocab = std::max<int64_t>(vocab, a["id"].get<int64_t>() + 1);
        const std::vector<int64_t> map = remapTable(keep, vocab);
        if (model["vocab"].is_object()) {  // BPE, WordPiece
            json nv = json::object();
            std::vector<std::pair<int64_t, std::string>> entries;
            for (auto& [k, v] : model["vocab"].items()) {
                const int64_t n = mapped(map, v.get<int64_t>());
                if (n >= 0) entries.emplace_back(n, k);
            }
            std::sort(entries.begin(), entries.end());
            for (auto& [n, k] : entries) nv[k] = n;
            model["vocab"] = std::move(nv);
            if (model.contains("merges")) {
                json nm = json::array();
                const json& vocabNow = model["vocab"];
                for (const auto& m : model["merges"]) {
                    auto [a, b] = mergeParts(m);
                    if (vocabNow.contains(a) && vocabNow.contains(b) && vocabNow.contains(a + b)) nm.push_back(m);
                }
                model["merges"] = std::move(nm);
            }
        } else if (model["vocab"].is_array()) {  // Unigram: [[piece, score], ...]
            json nv = json::array();
            for (size_t i = 0; i < model["vocab"].size(); ++i)
                if (mapped(map, static_cast<int64_t>(i)) >= 0) nv.push_back(model["vocab"][i]);
            model["vocab"] = std::move(nv);
            if (model.contains("unk_id") && model["unk_id"].is_number_integer()) {
                const int64_t n = mapped(map, model["unk_id"].get<int64_t>());
                model["unk_id"] = n >= 0 ? json(n) : json(nullptr);
            }
        } else {
            throw Error::badInput("prune: tokenizer.json model type \"" + type + "\" is not supported");
        }
        if (j.contains("added_tokens")) {
            json na = json::array();
            for (auto a : j["added_tokens"]) {
                const int64_t n = mapped(map, a["id"].get<int64_t>());
                if (n < 0) continue;
                a["id"] = n;
                na.push_back(std::move(a));
            }
            j["added_tokens"] = std::move(na);
        }
        if (j.contains("post_processor")) remapPostProcessor(j["post_processor"], map);
        std::filesystem::create_directories(toDir);
        writeFileAtomic(joinPath(toDir, "tokenizer.json"), j.dump() + "\n");
        written.push_back("tokenizer.json");
        const std::string cfgPath = joinPath(fromDir, "tokenizer_config.json");
        if (isRegularFile(cfgPath)) {
            json cfg = json::parse(readFile(cfgPath));
            if (cfg.contains("added_tokens_decoder") && cfg["added_tokens_decoder"].is_object()) {
                json nd = json::object();
                for (auto& [k, v] : cfg["added_tokens_decoder"].items()) {
                    if (!isAsciiDigits(k) || k.size() > 12) continue;
                    const int64_t n = mapped(map, std::stoll(k));
                    if (n >= 0) nd[std::to_string(n)] = v;
                }
                cfg["added_tokens_decoder"] = std::move(nd);
            }
            writeFileAtomic(joinPath(toDir, "tokenizer_config.json"), cfg.dump(2) + "\n");
            written.push_back("tokenizer_config.json");
        }
        for (const char* f : {"special_tokens_map.json"}) {
            if (!isRegularFile(joinPath(fromDir, f))) continue;
            writeFileAtomic(joinPath(toDir, f), readFile(joinPath(fromDir, f)));
            written.push_back(f);
        }
        return written;
    }
    if (isTurkishTokenizerDir(fromDir)) {
        const std::vector<int64_t> map = remapTable(keep, maxId);
        std::filesystem::create_directories(toDir);
        for (const char* f : {"kokler.json", "ekler.json", "bpe_tokenler.json"}) {
            // In file order: the first form of an id is the one it is written as.
            const nlohmann::ordered_json j = nlohmann::ordered_json::parse(readFile(joinPath(fromDir, f)));
            nlohmann::ordered_json out = nlohmann::ordered_json::object();
            for (auto& [k, v] : j.items()) {
                if (!v.is_number_integer()) continue;
                const int64_t n = mapped(map, v.get<int64_t>());
                if (n >= 0) out[k] = n;
            }
            writeFileAtomic(joinPath(toDir, f), out.dump(1) + "\n");
            written.push_back(f);
        }
        return written;
    }
    throw Error::badInput("prune: only a tokenizer.json or the seed Turkish format can be rewritten (a SentencePiece "
                          ".model cannot); convert the tokenizer to tokenizer.json first");
}

}  // namespace embedlab
