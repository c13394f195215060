#include "engine/tokenizers/hf_decoders.h"

#include "engine/core/error.h"
#include "engine/tokenizers/hf_pretokenizers.h"
#include "engine/tokenizers/tokenizer.h"

#include <nlohmann/json.hpp>

namespace embedlab::hf {
namespace {

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    std::string r;
    size_t pos = 0;
    bool any = false;
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, pos)) {
        r.append(s, pos, p - pos);
        r.append(to);
        pos = p + from.size();
        any = true;
    }
    if (!any) return;
    r.append(s, pos, std::string::npos);
    s = std::move(r);
}

class ByteLevel : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const auto& t : tokens) {
            const size_t start = bytes.size();
            bool ok = true;
            for (size_t i = 0; i < t.size();) {
                size_t len = 0;
                const int b = unicodeToByte(decodeUtf8(t, i, &len));
                if (b < 0) {
                    ok = false;
                    break;
                }
                bytes.push_back(static_cast<char>(b));
                i += len;
            }
            if (!ok) {
                bytes.resize(start);
                bytes += t;
            }
        }
        sanitizeUtf8(bytes);
        tokens.assign(1, std::move(bytes));
    }
};

class ReplaceDec : public Decoder {
public:
    explicit ReplaceDec(const Json& j) {
        const Json* p = jsonFind(j, "pattern");
        if (!p) throw Error::badInput("tokenizer.json: Replace decoder without a pattern");
        re_ = regexFromJson(*p, "Replace decoder");
        content_ = jsonString(j, "content");
    }
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::vector<std::pair<size_t, size_t>> m;
        for (auto& t : tokens) {
            re_->findAll(t, m);
            if (m.empty()) continue;
            std::string r;
            size_t pos = 0;
            for (const auto& [b, e] : m) {
                r.append(t, pos, b - pos);
                r += content_;
                pos = e;
            }
            r.append(t, pos, std::string::npos);
            t = std::move(r);
        }
    }

private:
    std::unique_ptr<Regex> re_;
    std::string content_;
};

int hexVal(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

class ByteFallback : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::vector<std::string> out;
        out.reserve(tokens.size());
        std::string pending;
        size_t pendingCount = 0;
        auto flush = [&]() {
            if (pendingCount == 0) return;
            std::string copy = pending;
            if (sanitizeUtf8(copy) == 0) {
                out.push_back(std::move(pending));
            } else {
                for (size_t k = 0; k < pendingCount; ++k) out.emplace_back("\xEF\xBF\xBD");
            }
            pending.clear();
            pendingCount = 0;
        };
        for (auto& t : tokens) {
            int h = -1, l = -1;
            if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
                h = hexVal(t[3]);
                l = hexVal(t[4]);
            }
            if (h >= 0 && l >= 0) {
                pending.push_back(static_cast<char>(h * 16 + l));
                ++pendingCount;
            } else {
                flush();
                out.push_back(std::move(t));
            }
        }
        flush();
        tokens = std::move(out);
    }
};

class Fuse : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::string all;
        for (const auto& t : tokens) all += t;
        tokens.assign(1, std::move(all));
    }
};

class Strip : public Decoder {
public:
    explicit Strip(const Json& j) : content_(jsonString(j, "content", " ")) {
        if (const Json* s = jsonFind(j, "start"); s && s->is_number_integer()) start_ = s->get<size_t>();
        if (const Json* s = jsonFind(j, "stop"); s && s->is_number_integer()) stop_ = s->get<size_t>();
    }
    void decodeChain(std::vector<std::string>& tokens) const override {
        if (content_.empty()) return;
        for (auto& t : tokens) {
            size_t b = 0, e = t.size();
            for (size_t k = 0; k < start_ && t.compare(b, content_.size(), content_) == 0 && b < e; ++k)
                b += content_.size();
            for (size_t k = 0; k < stop_ && e >= b + content_.size() &&
                               t.compare(e - content_.size(), content_.size(), content_) == 0;
                 ++k)
                e -= content_.size();
            t = t.substr(b, e - b);
        }
    }

private:
    std::string content_;
    size_t start_ = 0, stop_ = 0;
};

class Metaspace : public Decoder {
public:
    explicit Metaspace(const Json& j) : replacement_(jsonString(j, "replacement", "\xE2\x96\x81")) {
        const std::string ps = jsonString(j, "prepend_scheme", "");
        strip_ = ps.empty() ? jsonBool(j, "add_prefix_space", true) : ps != "never";
    }
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            if (i == 0 && strip_ && t.compare(0, replacement_.size(), replacement_) == 0)
                t.erase(0, replacement_.size());
            replaceAll(t, replacement_, " ");
        }
    }

private:
    std::string replacement_;
    bool strip_ = true;
};

class WordPieceDec : public Decoder {
public:
    explicit WordPieceDec(const Json& j)
        : prefix_(jsonString(j, "prefix", "##")), cleanup_(jsonBool(j, "cleanup", true)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            if (i != 0) {
                if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
                else t.insert(0, " ");
            }
            if (cleanup_) {
                t = cleanUpTokenization(std::move(t));
                replaceAll(t, " do not", " don't");
            }
        }
    }

private:
    std::string prefix_;
    bool cleanup_;
};

class BpeDec : public Decoder {
public:
    explicit BpeDec(const Json& j) : suffix_(jsonString(j, "suffix", "</w>")) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) replaceAll(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }

private:
    std::string suffix_;
};

class Sequence : public Decoder {
public:
    explicit Sequence(std::vector<std::unique_ptr<Decoder>> items) : items_(std::move(items)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (const auto& d : items_) d->decodeChain(tokens);
    }

private:
    std::vector<std::unique_ptr<Decoder>> items_;
};

}  // namespace

std::string cleanUpTokenization(std::string s) {
    static const std::pair<const char*, const char*> kRules[] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : kRules) replaceAll(s, from, to);
    return s;
}

std::unique_ptr<Decoder> makeDecoder(const Json& j) {
    if (j.is_null()) return nullptr;
    const std::string t = jsonType(j, "decoder");
    if (t == "ByteLevel") return std::make_unique<ByteLevel>();
    if (t == "Replace") return std::make_unique<ReplaceDec>(j);
    if (t == "ByteFallback") return std::make_unique<ByteFallback>();
    if (t == "Fuse") return std::make_unique<Fuse>();
    if (t == "Strip") return std::make_unique<Strip>(j);
    if (t == "Metaspace") return std::make_unique<Metaspace>(j);
    if (t == "WordPiece") return std::make_unique<WordPieceDec>(j);
    if (t == "BPEDecoder") return std::make_unique<BpeDec>(j);
    if (t == "Sequence") {
        const Json* list = jsonFind(j, "decoders");
        if (!list || !list->is_array()) throw Error::badInput("tokenizer.json: Sequence decoder without \"decoders\"");
        std::vector<std::unique_ptr<Decoder>> items;
        for (const auto& d : *list)
            if (auto x = makeDecoder(d)) items.push_back(std::move(x));
        return std::make_unique<Sequence>(std::move(items));
    }
    throw Error::badInput("tokenizer.json: unsupported decoder type '" + t + "'");
}

}  // namespace embedlab::hf
