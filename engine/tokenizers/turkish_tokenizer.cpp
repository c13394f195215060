// The seed's Turkish morphological tokenizer: reference-exact encoding, context-aware lossless decoding.
// See turkish_tokenizer.h and docs/tokenizers.md.
#include "engine/tokenizers/turkish_tokenizer.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/io/file_io.h"
#include "engine/io/turkish_text.h"
#include "engine/tokenizers/turkish_suffixes.h"

#include <nlohmann/json.hpp>
#include <unicode/uchar.h>

#ifdef EMBEDLAB_HAVE_HUNSPELL
#include <hunspell.hxx>
#endif

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace embedlab {
namespace {

std::u32string toU32(const std::string& s) {
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(s, cps, offs);
    return cps;
}

// ---------------------------------------------------------------------------------------------
// Python's str semantics, which the reference uses.

bool pyIsSpace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
bool pyIsUpper(char32_t c) { return c >= 'A' && (c <= 'Z' || c > 0x7F) && u_isUUppercase(static_cast<UChar32>(c)); }
// The reference's `_tr_lower` (İ→i, I→ı, then str.lower()), code point by code point, is
// turkishLowerChar (engine/io/turkish_text.h); decoding restores a capital with turkishUpperChar.

// ---------------------------------------------------------------------------------------------
// A byte trie for longest-prefix matching (keys are valid UTF-8, so matches end on code points).

class Trie {
public:
    void insert(const std::string& key, int32_t value) {
        uint32_t node = 0;
        for (unsigned char b : key) {
            const uint64_t k = (uint64_t(node) << 8) | b;
            auto it = edges_.find(k);
            if (it == edges_.end()) {
                values_.push_back(-1);
                const auto child = static_cast<uint32_t>(values_.size() - 1);
                edges_.emplace(k, child);
                node = child;
            } else {
                node = it->second;
            }
        }
        values_[node] = value;  // a repeated key keeps the last value, as Python's json.load does
    }
    // Every key that is a prefix of s[pos..], shortest first: fn(value, bytes).
    template <class F>
    void forEachPrefix(const std::string& s, size_t pos, F&& fn) const {
        uint32_t node = 0;
        for (size_t i = pos; i < s.size(); ++i) {
            auto it = edges_.find((uint64_t(node) << 8) | static_cast<unsigned char>(s[i]));
            if (it == edges_.end()) break;
            node = it->second;
            if (values_[node] >= 0) fn(values_[node], i + 1 - pos);
        }
    }
    // Longest key that is a prefix of s[pos..]; returns {value, bytes} or {-1, 0}.
    std::pair<int32_t, size_t> longest(const std::string& s, size_t pos) const {
        uint32_t node = 0;
        std::pair<int32_t, size_t> best{-1, 0};
        for (size_t i = pos; i < s.size(); ++i) {
            auto it = edges_.find((uint64_t(node) << 8) | static_cast<unsigned char>(s[i]));
            if (it == edges_.end()) break;
            node = it->second;
            if (values_[node] >= 0) best = {values_[node], i + 1 - pos};
        }
        return best;
    }

private:
    std::vector<int32_t> values_{-1};
    std::unordered_map<uint64_t, uint32_t> edges_;
};

// ---------------------------------------------------------------------------------------------
// Turkish phonology helpers for the decoder (engine/tokenizers/turkish_suffixes.h).
bool isVowel(char32_t c) { return isTurkishVowel(c); }
bool isFrontVowel(char32_t c) { return isTurkishFrontVowel(c); }
bool isRoundVowel(char32_t c) { return isTurkishRoundVowel(c); }
bool isHighVowel(char32_t c) { return isTurkishHighVowel(c); }
bool isVoiceless(char32_t c) { return isTurkishVoiceless(c); }
bool isDigit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool isApostrophe(char32_t c) { return c == U'\'' || c == 0x2019; }
bool isLetter(char32_t c) { return u_isalpha(static_cast<UChar32>(c)) != 0; }
// voiceless final ↔ the form used before a vowel
bool finalPair(char32_t voiceless, char32_t voiced) {
    return (voiceless == U'k' && (voiced == 0x11F || voiced == U'g' || voiced == U'y')) ||
           (voiceless == U't' && voiced == U'd') || (voiceless == U'p' && voiced == U'b') ||
           (voiceless == 0xE7 && voiced == U'c');
}

// The last word a Turkish reader says for a run of digits ("30" → "otuz", "2024" → "dört").
std::u32string numberWord(const std::u32string& digits) {
    static const char* ones[] = {"", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz"};
    static const char* tens[] = {"", "on", "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan"};
    size_t zeros = 0;
    size_t i = digits.size();
    while (i > 0 && digits[i - 1] == U'0') {
        ++zeros;
        --i;
    }
    if (i == 0) return toU32("sıfır");
    const int d = static_cast<int>(digits[i - 1] - U'0');
    if (zeros == 0) return toU32(ones[d]);
    if (zeros == 1) return toU32(tens[d]);
    if (zeros == 2) return toU32("yüz");
    if (zeros <= 5) return toU32("bin");
    if (zeros <= 8) return toU32("milyon");
    if (zeros <= 11) return toU32("milyar");
    return toU32("trilyon");
}

// Roots whose last syllable takes front-vowel suffixes although its vowel is back (Arabic/French loans).
const std::vector<std::u32string>& palatalRoots() {
    static const std::vector<std::u32string> v = [] {
        std::vector<std::u32string> r;
        for (const char* w : {"saat", "kilovatsaat", "ziraat", "itaat", "istikbal", "hal", "kalp", "kalb", "gol",
                              "rol", "alkol", "kontrol", "protokol", "sembol", "petrol", "hayal", "ideal", "meal",
                              "emsal", "misal", "usul", "kabul", "sual", "hakikat", "cemaat", "dikkat", "harf",
                              "hilal", "idrak", "ihtimal", "istiklal", "ihmal", "iptal", "mahal", "metropol",
                              "moral", "santral", "normal", "final", "terminal", "sinyal", "orijinal", "ekol"}) {
            r.push_back(toU32(w));
        }
        return r;
    }();
    return v;
}

// ---------------------------------------------------------------------------------------------

struct Form {
    std::u32string text;
    std::string utf8;
    // Flags that tie the choice of this form to its neighbours (computed from the other forms of the id).
    bool voicedFinal = false;     // kitab, ağac, lığ, may: wants a vowel next
    bool voicelessFinal = false;  // kitap, ağaç, lık, mak: wants no vowel next (a voiced partner exists)
    bool dropForm = false;        // burn (of burun), kayd (of kayıt): wants a vowel next
    bool fullOfDrop = false;      // burun: wants no vowel next
    bool narrowed = false;        // söylü (of söyle): before -yor
    bool wide = false;            // söyle: a narrowed partner exists
    bool truncated = false;       // küçü (of küçük): before -cük
    bool hasTruncated = false;    // küçük
    bool yBuffer = false;         // yla, yacak: after a vowel
    bool noYBuffer = false;       // la, acak: after a consonant
    bool circumflex = false;      // zekâ
};

struct Group {
    std::vector<Form> forms;
    bool harmony = false;          // the forms differ in their vowels
    bool initialVoicing = false;   // the forms differ in d/t or c/ç at the start
};

std::u32string removeLastVowel(const std::u32string& s) {
    for (size_t i = s.size(); i-- > 0;) {
        if (isVowel(s[i])) return s.substr(0, i) + s.substr(i + 1);
    }
    return s;
}

void analyseGroup(Group& g) {
    auto& fs = g.forms;
    auto has = [&](const std::u32string& t) {
        for (const auto& f : fs)
            if (f.text == t) return true;
        return false;
    };
    for (auto& f : fs) {
        const auto& t = f.text;
        if (t.empty()) continue;
        for (const auto& o : fs) {
            const auto& u = o.text;
            if (&o == &f || u.empty()) continue;
            if (t.size() == u.size() && t.substr(0, t.size() - 1) == u.substr(0, u.size() - 1)) {
                if (finalPair(u.back(), t.back())) f.voicedFinal = true;
                if (finalPair(t.back(), u.back())) f.voicelessFinal = true;
                if (isVowel(t.back()) && isVowel(u.back()) && isHighVowel(t.back()) && !isHighVowel(u.back()))
                    f.narrowed = true;
                if (isVowel(t.back()) && isVowel(u.back()) && !isHighVowel(t.back()) && isHighVowel(u.back()))
                    f.wide = true;
            }
            // burun → burn, kayıt → kayd, kutup → kutb
            if (t.size() + 1 == u.size()) {
                std::u32string d = removeLastVowel(u);
                if (d == t) f.dropForm = true;
                if (d.size() == t.size() && d.substr(0, d.size() - 1) == t.substr(0, t.size() - 1) &&
                    finalPair(d.back(), t.back()))
                    f.dropForm = true;
            }
            if (u.size() + 1 == t.size()) {
                std::u32string d = removeLastVowel(t);
                if (d == u || (d.size() == u.size() && d.substr(0, d.size() - 1) == u.substr(0, u.size() - 1) &&
                               finalPair(d.back(), u.back())))
                    f.fullOfDrop = true;
                // küçü ← küçük (the shorter form ends in a vowel)
                if (u == t.substr(0, t.size() - 1) && isVowel(u.back()) && !isVowel(t.back())) f.hasTruncated = true;
            }
            if (t.size() + 1 == u.size() && t == u.substr(0, u.size() - 1) && isVowel(t.back()) && !isVowel(u.back()))
                f.truncated = true;
        }
        if (t.size() > 1 && t[0] == U'y' && has(t.substr(1))) f.yBuffer = true;
        if (has(U"y" + t)) f.noYBuffer = true;
        for (char32_t c : t)
            if (c == 0xE2 || c == 0xEE || c == 0xFB) f.circumflex = true;
    }
    // Vowel sets and initial consonants.
    auto vowelsOf = [](const std::u32string& t) {
        std::u32string v;
        for (char32_t c : t)
            if (isVowel(c)) v += c;
        return v;
    };
    for (size_t i = 1; i < fs.size(); ++i) {
        if (vowelsOf(fs[i].text) != vowelsOf(fs[0].text)) g.harmony = true;
    }
    bool d = false, t = false;
    for (const auto& f : fs) {
        if (f.text.empty()) continue;
        const char32_t c = f.yBuffer ? (f.text.size() > 1 ? f.text[1] : 0) : f.text[0];
        if (c == U'd' || c == U'c') d = true;
        if (c == U't' || c == 0xE7) t = true;
    }
    g.initialVoicing = d && t;
}

// What the decoder knows about the text so far in the current word.
struct Context {
    bool any = false;       // a sound is known
    char32_t last = 0;      // the last sound (lowercase letter)
    bool hasVowel = false;
    char32_t lastVowel = 0;
};

// The Turkish name of a letter as read in an abbreviation (ABD'de, PDF'ye, HTML'de).
std::u32string letterName(char32_t c) {
    switch (c) {
    case U'q': return U"kü";
    case U'x': return U"iks";
    case U'w': return U"ve";
    case 0x11F: return U"ge";
    default: return std::u32string(1, c) + U"e";
    }
}

// `cased`: the same text with its capitals (empty: unknown).
Context contextOf(const std::u32string& word, const std::u32string& cased = {}) {
    Context ctx;
    size_t end = word.size();
    while (end > 0 && isApostrophe(word[end - 1])) --end;
    if (end == 0) return ctx;
    std::u32string spoken;
    // An abbreviation before an apostrophe: capitals only, ending in two consonants (ABD, PDF, HTML, USB).
    if (end < word.size() && cased.size() == word.size() && end >= 2 && isLetter(word[end - 1]) &&
        !isVowel(word[end - 1]) && isLetter(word[end - 2]) && !isVowel(word[end - 2])) {
        size_t b = end;
        bool caps = true;
        while (b > 0 && isLetter(cased[b - 1])) {
            caps &= u_isUUppercase(static_cast<UChar32>(cased[b - 1])) != 0;
            --b;
        }
        if (caps && end - b >= 2) {
            spoken = letterName(word[end - 1]);
            ctx.any = true;
            ctx.last = spoken.back();
            ctx.hasVowel = true;
            for (char32_t c : spoken)
                if (isVowel(c)) ctx.lastVowel = c;
            return ctx;
        }
    }
    if (isDigit(word[end - 1])) {
        size_t b = end;
        while (b > 0 && isDigit(word[b - 1])) --b;
        spoken = numberWord(word.substr(b, end - b));
    } else if (isLetter(word[end - 1])) {
        size_t b = end;
        while (b > 0 && (isLetter(word[b - 1]) || word[b - 1] == U'-')) --b;
        spoken = word.substr(b, end - b);
        for (const auto& p : palatalRoots()) {
            if (spoken == p) {
                // front unrounded harmony, the last consonant as written
                ctx.any = true;
                ctx.last = spoken.back();
                ctx.hasVowel = true;
                ctx.lastVowel = U'i';
                return ctx;
            }
        }
    } else {
        return ctx;
    }
    if (spoken.empty()) return ctx;
    ctx.any = true;
    ctx.last = spoken.back();
    for (size_t i = spoken.size(); i-- > 0;) {
        if (isVowel(spoken[i])) {
            ctx.hasVowel = true;
            ctx.lastVowel = spoken[i];
            break;
        }
    }
    return ctx;
}

char32_t firstVowel(const std::u32string& t) {
    for (char32_t c : t)
        if (isVowel(c)) return c;
    return 0;
}

// ---------------------------------------------------------------------------------------------

class TurkishTokenizer final : public Tokenizer {
public:
    TurkishTokenizer(const std::string& dir, TurkishEncoding mode);

    std::string kind() const override { return morph_ ? "embedlab-morph" : "turkish-seed"; }
    std::string name() const override { return name_; }
    // addSpecial: the seed adds no special tokens.
    Encoding encode(std::string_view text, bool /*addSpecial*/) const override {
        return mode_ == TurkishEncoding::Lossless && escapes_ ? encodeLossless(text) : encodeReference(text);
    }
    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const override;
    int64_t vocabSize() const override { return static_cast<int64_t>(groups_.size()); }
    std::string idToToken(int64_t id) const override {
        if (id < 0 || id >= vocabSize() || groups_[id].forms.empty()) return {};
        return groups_[id].forms[0].utf8;
    }
    std::vector<std::string> tokenForms(int64_t id) const override {
        std::vector<std::string> out;
        if (id < 0 || id >= vocabSize()) return out;
        for (const auto& f : groups_[id].forms) out.push_back(f.utf8);
        return out;
    }
    std::optional<int64_t> tokenToId(const std::string& token) const override {
        auto it = vocab_.find(token);
        if (it == vocab_.end()) return std::nullopt;
        return it->second;
    }
    TokenType tokenType(int64_t id) const override {
        if (id < 0 || id >= vocabSize()) return TokenType::Unknown;
        return types_[id];
    }
    std::optional<int64_t> eosId() const override { return kEos; }
    std::optional<int64_t> padId() const override { return kPad; }
    std::optional<int64_t> unkId() const override { return kUnknown; }

private:
    static constexpr int64_t kUpper = 0, kUnknown = 1, kSpace = 2, kNewline = 3, kTab = 4, kPad = 5, kEos = 6;

    void loadTable(const std::string& dir, const char* file, TokenType type, Trie& trie);
    template <class PartFn>
    Encoding encodeParts(std::string_view text, PartFn&& part) const;
    Encoding encodeReference(std::string_view text) const;
    Encoding encodeLossless(std::string_view text) const;
    void encodePartLossless(const std::u32string& cps, const std::vector<size_t>& offs, size_t a, size_t b,
                            std::u32string& prevWord, Encoding& enc) const;
    bool needsEscape(char32_t c) const;
    void pushEscape(Encoding& enc, char32_t c, std::pair<size_t, size_t> off) const;
    bool readEscape(const int64_t* ids, size_t n, char32_t& cp, size_t& used) const;
    void encodeWord(const std::u32string& cps, const std::vector<size_t>& offs, size_t a, size_t b,
                    Encoding& enc) const;
    // The embedlab-morph encoder: the cheapest segmentation of one lowercase casing segment.
    void segmentMorph(const std::string& low, std::vector<std::pair<int32_t, size_t>>& pieces) const;
    void push(Encoding& enc, int64_t id, const std::string& tok, std::pair<size_t, size_t> off) const {
        enc.ids.push_back(id);
        enc.tokens.push_back(tok);
        enc.types.push_back(types_[id]);
        enc.offsets.push_back(off);
    }
    struct Piece {
        int64_t id;
        bool upper;
        bool allUpper = false;  // after <allcaps> (embedlab-morph): every letter upper-case
    };
    std::string decodeWord(const std::vector<Piece>& pieces, const std::u32string& prevWord, bool skipSpecial) const;
    // The decoder between ids: what a space, newline or tab flushes, and the previous word (for de/da).
    struct DecodeState {
        std::u32string prevWord;
        std::vector<Piece> word;
        bool upper = false;
        bool caps = false;
    };
    void decodeIds(const int64_t* ids, size_t n, DecodeState& st, std::string& out, bool skipSpecial) const;
    void flushWord(DecodeState& st, std::string& out, bool skipSpecial) const;

    std::string name_;
    TurkishEncoding mode_;
    std::array<int64_t, 10> digitIds_{};  // ids of "0".."9" (code point escapes)
    bool escapes_ = false;                 // all ten digits are single-form tokens
    std::vector<Group> groups_;
    std::vector<TokenType> types_;
    std::unordered_map<std::string, int64_t> vocab_;
    std::vector<int> initialPref_;  // per id: the usual form at the start of a word, -1 if none
    int64_t cliticId_ = -1;         // da/de/ta/te: also the conjunction, harmonising with the word before
    Trie roots_, suffixes_, bpe_;
    // embedlab-morph (morph.json): the segment costs of a root at the start of a segment and inside it,
    // a suffix after something and at the start, a BPE piece, an unknown character.
    bool morph_ = false;
    int64_t allCapsId_ = -1;  // embedlab-morph: "<allcaps>" in kokler.json, before a run of capitals
    double costRoot_ = 1, costInnerRoot_ = 1.5, costSuffix_ = 1, costInitialSuffix_ = 2, costBpe_ = 1.25,
           costUnknown_ = 100;
    std::vector<double> extraCost_;  // per id, added to its table's cost (token_costs)
    std::unordered_map<std::string, double> formCost_;  // per surface string, added too (form_costs)
};

// A flat JSON object {"token": id, …} in file order, read in one pass (nlohmann's ordered_json finds
// each key by a linear search: quadratic in the ~20,000 keys of kokler.json). A repeated key keeps its
// first place and its last value, as Python's json.load does. Values that are not integers are kept as
// nullopt for the caller to name. Throws Error(BadInput) for invalid JSON or a non-object.
std::vector<std::pair<std::string, std::optional<int64_t>>> readFlatJsonObject(const std::string& text,
                                                                                const std::string& what) {
    struct Sax {
        std::vector<std::pair<std::string, std::optional<int64_t>>> out;
        std::unordered_map<std::string, size_t> index;
        int depth = 0;
        bool notObject = false;
        std::string current, error;
        bool value(std::optional<int64_t> v) {
            if (depth != 1) return notObject = true, false;
            auto [it, fresh] = index.emplace(current, out.size());
            if (fresh) out.emplace_back(current, v);
            else out[it->second].second = v;
            return true;
        }
        bool null() { return value(std::nullopt); }
        bool boolean(bool) { return value(std::nullopt); }
        bool number_integer(int64_t v) { return value(v); }
        bool number_unsigned(uint64_t v) {
            return value(v <= uint64_t(INT64_MAX) ? std::optional<int64_t>(static_cast<int64_t>(v)) : std::nullopt);
        }
        bool number_float(double, const std::string&) { return value(std::nullopt); }
        bool string(std::string&) { return value(std::nullopt); }
        bool binary(std::vector<uint8_t>&) { return value(std::nullopt); }
        bool start_object(std::size_t) {
            if (depth++ == 1) return notObject = true, false;  // a nested object: not {"token": id}
            return true;
        }
        bool key(std::string& k) {
            current = k;
            return true;
        }
        bool end_object() {
            --depth;
            return true;
        }
        bool start_array(std::size_t) { return notObject = true, false; }
        bool end_array() { return true; }
        bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
            error = e.what();
            return false;
        }
    } sax;
    const bool ok = nlohmann::json::sax_parse(text, &sax);
    if (!sax.error.empty()) throw Error::badInput(what + " is not valid JSON: " + sax.error);
    if (!ok || sax.notObject || sax.depth != 0) throw Error::badInput(what + " must be a JSON object {\"token\": id}");
    return std::move(sax.out);
}

void TurkishTokenizer::loadTable(const std::string& dir, const char* file, TokenType type, Trie& trie) {
    const std::string path = joinPath(dir, file);
    if (!isRegularFile(path))
        throw Error::badInput("turkish tokenizer: " + path + " is missing (a seed-format folder holds kokler.json, "
                              "ekler.json and bpe_tokenler.json)");
    const std::string text = readFile(path, 64ull << 20);
    for (const auto& [key, value] : readFlatJsonObject(text, "turkish tokenizer: " + path)) {
        if (!value)
            throw Error::badInput("turkish tokenizer: " + path + ": the id of \"" + key + "\" is not an integer");
        const int64_t id = *value;
        if (id < 0 || id > (1 << 24))
            throw Error::badInput("turkish tokenizer: " + path + ": id " + std::to_string(id) + " is out of range");
        if (key.empty()) throw Error::badInput("turkish tokenizer: " + path + ": an empty token string");
        if (static_cast<size_t>(id) >= groups_.size()) {
            groups_.resize(id + 1);
            types_.resize(id + 1, TokenType::Unknown);
        }
        Form f;
        f.utf8 = key;
        f.text = toU32(key);
        groups_[id].forms.push_back(std::move(f));
        if (types_[id] == TokenType::Unknown) types_[id] = type;
        vocab_.emplace(key, id);
        trie.insert(key, static_cast<int32_t>(id));
    }
}

TurkishTokenizer::TurkishTokenizer(const std::string& dir, TurkishEncoding mode) : name_(baseName(dir)), mode_(mode) {
    if (name_.empty()) name_ = "turkish-seed";
    if (!isDirectory(dir)) throw Error::badInput("turkish tokenizer: " + dir + " is not a folder");
    const std::string manifest = joinPath(dir, "morph.json");
    if (isRegularFile(manifest)) {
        nlohmann::json m;
        try {
            m = nlohmann::json::parse(readFile(manifest, 64ull << 20));
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput("turkish tokenizer: " + manifest + " is not valid JSON: " + e.what());
        }
        const bool formatOk = m.is_object() && m.contains("format") && m["format"].is_string() &&
                              m["format"].get<std::string>() == "embedlab-morph" && m.contains("version") &&
                              m["version"].is_number_integer() && m["version"].get<int64_t>() == 1;
        if (!formatOk)
            throw Error::badInput("turkish tokenizer: " + manifest +
                                  " must say {\"format\": \"embedlab-morph\", \"version\": 1}");
        morph_ = true;
        const auto costs = m.value("costs", nlohmann::json::object());
        if (!costs.is_object()) throw Error::badInput("turkish tokenizer: " + manifest + ": costs must be an object");
        auto cost = [&](const char* key, double& v) {
            if (!costs.contains(key)) return;
            if (!costs[key].is_number() || !(costs[key].get<double>() > 0) || costs[key].get<double>() > 1e6)
                throw Error::badInput("turkish tokenizer: " + manifest + ": costs." + key + " must be a positive number");
            v = costs[key].get<double>();
        };
        cost("root", costRoot_);
        cost("inner_root", costInnerRoot_);
        cost("suffix", costSuffix_);
        cost("initial_suffix", costInitialSuffix_);
        cost("bpe", costBpe_);
        cost("unknown", costUnknown_);
        const auto extra = m.value("token_costs", nlohmann::json::object());
        if (!extra.is_object()) throw Error::badInput("turkish tokenizer: " + manifest + ": token_costs must be an object");
        for (const auto& [key, value] : extra.items()) {
            char* end = nullptr;
            const long id = std::strtol(key.c_str(), &end, 10);
            if (key.empty() || *end || id < 0 || id > (1 << 24) || !value.is_number() || value.get<double>() < 0)
                throw Error::badInput("turkish tokenizer: " + manifest + ": token_costs maps ids to costs ≥ 0 (\"" +
                                      key + "\")");
            if (static_cast<size_t>(id) >= extraCost_.size()) extraCost_.resize(static_cast<size_t>(id) + 1, 0.0);
            extraCost_[static_cast<size_t>(id)] = value.get<double>();
        }
        const auto forms = m.value("form_costs", nlohmann::json::object());
        if (!forms.is_object()) throw Error::badInput("turkish tokenizer: " + manifest + ": form_costs must be an object");
        for (const auto& [key, value] : forms.items()) {
            if (!value.is_number() || value.get<double>() < 0)
                throw Error::badInput("turkish tokenizer: " + manifest + ": form_costs maps strings to costs ≥ 0");
            formCost_[key] = value.get<double>();
        }
    }
    loadTable(dir, "kokler.json", TokenType::Root, roots_);
    loadTable(dir, "ekler.json", TokenType::Suffix, suffixes_);
    loadTable(dir, "bpe_tokenler.json", TokenType::Bpe, bpe_);
    const std::array<std::pair<int64_t, const char*>, 7> specials{
        {{kUpper, "<uppercase>"}, {kUnknown, "<unknown>"}, {kSpace, " "}, {kNewline, "\n"}, {kTab, "\t"},
         {kPad, "<pad>"}, {kEos, "<eos>"}}};
    for (const auto& [id, tok] : specials) {
        auto it = vocab_.find(tok);
        if (it == vocab_.end() || it->second != id)
            throw Error::badInput(std::string("turkish tokenizer: kokler.json must map the special token \"") +
                                  (id == kSpace ? "<space>" : id == kNewline ? "\\n" : id == kTab ? "\\t" : tok) +
                                  "\" to id " + std::to_string(id));
        types_[id] = TokenType::Special;
    }
    if (morph_) {
        auto it = vocab_.find("<allcaps>");
        if (it != vocab_.end() && it->second > kEos && groups_[it->second].forms.size() == 1) {
            allCapsId_ = it->second;
            types_[allCapsId_] = TokenType::Special;
        }
    }
    for (auto& g : groups_)
        if (g.forms.size() > 1) analyseGroup(g);
    // The form each suffix group takes most often when it starts a word (measured on manpages-tr,
    // docs/tokenizers.md): "en" (not "an"), "tür", "siz", "in", "çık" ...
    initialPref_.assign(groups_.size(), -1);
    for (const char* w : {"ya", "ma", "çe", "kan", "sek", "en", "ım", "iz", "su", "yi", "li", "siz", "in", "nin",
                          "la", "da", "den", "di", "çı", "tür", "lik", "çık", "mak", "acak"}) {
        auto it = vocab_.find(w);
        if (it == vocab_.end() || groups_[it->second].forms.size() < 2) continue;
        const auto& fs = groups_[it->second].forms;
        for (size_t k = 0; k < fs.size(); ++k)
            if (fs[k].utf8 == w) initialPref_[it->second] = static_cast<int>(k);
    }
    auto de = vocab_.find("de");
    auto da = vocab_.find("da");
    if (de != vocab_.end() && da != vocab_.end() && de->second == da->second) cliticId_ = de->second;
    escapes_ = true;
    for (int d = 0; d < 10; ++d) {
        auto it = vocab_.find(std::string(1, static_cast<char>('0' + d)));
        escapes_ = escapes_ && it != vocab_.end() && groups_[it->second].forms.size() == 1 && it->second > kEos;
        if (it != vocab_.end()) digitIds_[static_cast<size_t>(d)] = it->second;
    }
}

void TurkishTokenizer::encodeWord(const std::u32string& cps, const std::vector<size_t>& offs, size_t a, size_t b,
                                  Encoding& enc) const {
    size_t s = a;
    std::string low;
    std::vector<size_t> cpOfByte;  // lowered byte position → original code point index
    while (s < b) {
        size_t e = s + 1;
        while (e < b && !pyIsUpper(cps[e])) ++e;
        bool caps = false;
        if (allCapsId_ >= 0 && pyIsUpper(cps[s])) {
            // A run of two or more capitals that ends the part or meets a non-letter: <allcaps>, one segment.
            size_t r = s;
            while (r < b && pyIsUpper(cps[r])) ++r;
            if (r - s >= 2 && (r == b || !isLetter(cps[r]))) {
                caps = true;
                e = r;
                push(enc, allCapsId_, "<allcaps>", {offs[s], offs[s]});
            }
        }
        if (!caps && pyIsUpper(cps[s])) push(enc, kUpper, "<uppercase>", {offs[s], offs[s]});
        low.clear();
        cpOfByte.clear();
        for (size_t i = s; i < e; ++i) {
            const size_t before = low.size();
            appendUtf8(low, turkishLowerChar(cps[i]));
            cpOfByte.resize(low.size(), i);
            (void)before;
        }
        cpOfByte.push_back(e);
        if (morph_) {
            std::vector<std::pair<int32_t, size_t>> pieces;
            segmentMorph(low, pieces);
            size_t pos = 0;
            for (const auto& [id, bytes] : pieces) {
                const size_t c0 = cpOfByte[pos], c1 = cpOfByte[pos + bytes];
                if (id < 0) push(enc, kUnknown, "<unknown>", {offs[c0], offs[c1]});
                else push(enc, id, low.substr(pos, bytes), {offs[c0], offs[c1]});
                pos += bytes;
            }
            s = e;
            continue;
        }
        size_t pos = 0;
        while (pos < low.size()) {
            std::pair<int32_t, size_t> m = roots_.longest(low, pos);
            if (m.first < 0) m = suffixes_.longest(low, pos);
            if (m.first < 0) m = bpe_.longest(low, pos);
            const size_t c0 = cpOfByte[pos];
            if (m.first < 0) {
                push(enc, kUnknown, "<unknown>", {offs[c0], offs[c0 + 1]});
                size_t next = pos + 1;
                while (next < low.size() && (static_cast<unsigned char>(low[next]) & 0xC0) == 0x80) ++next;
                pos = next;
                continue;
            }
            const size_t c1 = cpOfByte[pos + m.second];
            push(enc, m.first, low.substr(pos, m.second), {offs[c0], offs[c1]});
            pos += m.second;
        }
        s = e;
    }
}

double ownPenalty(const Group& g, size_t fi, const std::u32string& word, const std::u32string& cased,
                  const std::u32string& prevWord, const Group* next, int initialPref, bool innerCapital, bool nextIsLetter,
                  bool clitic);

// The cheapest path through the segment: each piece a root, suffix or BPE string (or one unknown code
// point, id -1), costed by table and position; among equal costs the longer first piece (deterministic).
void TurkishTokenizer::segmentMorph(const std::string& low, std::vector<std::pair<int32_t, size_t>>& pieces) const {
    const size_t n = low.size();
    std::vector<double> best(n + 1, 1e300);
    std::vector<std::pair<int32_t, size_t>> step(n + 1, {-1, 0});
    best[n] = 0;
    // The text before each byte (the context a suffix form must agree with) and whether a letter follows.
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(low, cps, offs);
    std::vector<size_t> cpAt(n + 1, cps.size());
    for (size_t i = 0; i < offs.size(); ++i) cpAt[offs[i]] = i;
    for (size_t p = n; p-- > 0;) {
        if ((static_cast<unsigned char>(low[p]) & 0xC0) == 0x80) continue;  // inside a code point
        // A suffix form the decoder would not choose after this text (okul|a, not oku|la: after a vowel
        // the decoder writes -yla) costs the decoder's own penalty more, so encoder and decoder agree.
        auto disagreement = [&](int32_t id, size_t bytes) {
            const Group& g = groups_[static_cast<size_t>(id)];
            if (p == 0 || g.forms.size() < 2) return 0.0;
            const std::string form = low.substr(p, bytes);
            size_t fi = 0;
            while (fi < g.forms.size() && g.forms[fi].utf8 != form) ++fi;
            if (fi == g.forms.size()) return 0.0;
            const size_t after = cpAt[p + bytes];
            const bool nextIsLetter = after < cps.size() && isLetter(cps[after]);
            const std::u32string word = cps.substr(0, cpAt[p]);
            return ownPenalty(g, fi, word, {}, {}, nullptr, -1, false, nextIsLetter, false);
        };
        auto consider = [&](int32_t id, size_t bytes, double cost) {
            if (id >= 0 && ((id <= kEos && id != kNewline && id != kTab) || id == allCapsId_)) return;
            if (id >= 0 && static_cast<size_t>(id) < extraCost_.size()) cost += extraCost_[static_cast<size_t>(id)];
            if (!formCost_.empty()) {
                const auto f = formCost_.find(low.substr(p, bytes));
                if (f != formCost_.end()) cost += f->second;
            }
            const double c = cost + best[p + bytes];
            if (c < best[p] - 1e-9 || (c < best[p] + 1e-9 && bytes > step[p].second)) {
                best[p] = c;
                step[p] = {id, bytes};
            }
        };
        roots_.forEachPrefix(low, p, [&](int32_t id, size_t bytes) { consider(id, bytes, p == 0 ? costRoot_ : costInnerRoot_); });
        suffixes_.forEachPrefix(low, p, [&](int32_t id, size_t bytes) {
            consider(id, bytes, (p == 0 ? costInitialSuffix_ : costSuffix_) + disagreement(id, bytes));
        });
        bpe_.forEachPrefix(low, p, [&](int32_t id, size_t bytes) { consider(id, bytes, costBpe_); });
        size_t q = p + 1;
        while (q < n && (static_cast<unsigned char>(low[q]) & 0xC0) == 0x80) ++q;
        if (best[p] >= 1e299) consider(-1, q - p, costUnknown_);
    }
    pieces.clear();
    for (size_t p = 0; p < n; p += step[p].second) pieces.push_back(step[p]);
}

// Splits the text on U+0020 as the reference does: part(cps, offs, a, b) for each non-empty part
// [a, b) of code points, one space token per space.
template <class PartFn>
Encoding TurkishTokenizer::encodeParts(std::string_view text, PartFn&& part) const {
    Encoding enc;
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(text, cps, offs);
    const size_t n = cps.size();
    size_t start = 0;
    for (size_t i = 0; i <= n; ++i) {
        if (i < n && cps[i] != U' ') continue;
        if (i > start) part(cps, offs, start, i, enc);
        if (i < n) push(enc, kSpace, " ", {offs[i], offs[i + 1]});
        start = i + 1;
    }
    return enc;
}

Encoding TurkishTokenizer::encodeReference(std::string_view text) const {
    return encodeParts(text, [&](const std::u32string& cps, const std::vector<size_t>& offs, size_t a, size_t b,
                                 Encoding& enc) {
        bool content = false;  // the reference drops a part that is only whitespace
        for (size_t k = a; k < b && !content; ++k) content = !pyIsSpace(cps[k]);
        if (content) encodeWord(cps, offs, a, b, enc);
    });
}

// Penalty of choosing form `f` (of group g) for a piece, given the word so far and the next piece.
// `word`: the lowercase text of the word so far; `prevWord`: the word before (for the clitic de/da);
// `initialPref`: the usual form of this id at the start of a word (-1: none); `innerCapital`: the piece
// starts a capitalised segment inside a word (YouTube), where a suffix-like piece is a new stem;
// `nextIsLetter`: a letter follows in the same word.
double ownPenalty(const Group& g, size_t fi, const std::u32string& word, const std::u32string& cased,
                  const std::u32string& prevWord,
                  const Group* next, int initialPref, bool innerCapital, bool nextIsLetter, bool clitic) {
    const Form& f = g.forms[fi];
    double pen = 0.001 * static_cast<double>(fi);
    if (f.circumflex) pen += 0.5;
    Context ctx = contextOf(word, cased);
    if (!ctx.any && clitic && !nextIsLetter) ctx = contextOf(prevWord);
    if (!ctx.any && initialPref >= 0 && static_cast<size_t>(initialPref) != fi) pen += 0.3;
    // "şu an", "bir an", "her an" … but "en" (the superlative) elsewhere
    if (!ctx.any && !nextIsLetter && f.text == U"an") {
        static const std::vector<std::u32string> determiners = {U"şu", U"bu", U"o", U"bir", U"her", U"aynı",
                                                                 U"ilk", U"son", U"hiçbir", U"öyle", U"böyle"};
        const bool det = std::find(determiners.begin(), determiners.end(), prevWord) != determiners.end();
        pen += det ? -0.6 : 0;
    }
    if (innerCapital) ctx.last = U't';  // a new stem: no voicing, no buffer from the letters before
    if (g.harmony) {
        const char32_t v = firstVowel(f.text);
        if (v) {
            if (ctx.hasVowel) {
                if (isFrontVowel(v) != isFrontVowel(ctx.lastVowel)) pen += 1;
                if (isHighVowel(v) && isRoundVowel(v) != isRoundVowel(ctx.lastVowel)) pen += 1;
            } else if (next && next->forms.size() == 1) {
                const char32_t nv = firstVowel(next->forms[0].text);
                if (nv && isFrontVowel(v) != isFrontVowel(nv)) pen += 0.2;
            }
        }
    }
    if (g.initialVoicing && ctx.any) {
        const char32_t c = f.yBuffer ? f.text[1] : f.text[0];
        const bool voiceless = c == U't' || c == 0xE7;
        const bool voiced = c == U'd' || c == U'c';
        if ((voiceless || voiced) && voiceless != isVoiceless(ctx.last)) pen += 1;
    }
    if (ctx.any) {
        // -(y)la: the buffered form only ends a word (arabayla); inside a word -la- is a verb suffix (yapılan)
        const bool shortY = f.yBuffer && f.text.size() <= 3;
        if (f.yBuffer && (!isVowel(ctx.last) || (shortY && nextIsLetter))) pen += 1;
        if (f.noYBuffer && f.text.size() <= 2 && isVowel(ctx.last) && !nextIsLetter) pen += 1;
        if (f.noYBuffer && f.text.size() > 2 && isVowel(ctx.last)) pen += 1;
    }
    return pen;
}

// Penalty of the previous piece's form given what follows it (`next` empty: the word ends).
double pairPenalty(const Form& prev, const std::u32string& next) {
    const bool nv = !next.empty() && isVowel(next[0]);
    double pen = 0;
    if (prev.voicedFinal && !nv) pen += 1;
    if (prev.voicelessFinal && nv) pen += 1;
    if (prev.dropForm && !nv) pen += 1;
    if (prev.fullOfDrop && nv) pen += 1;
    const bool yor = next.size() >= 2 && next[0] == U'y' && next[1] == U'o';
    // söyle/söylü, bile/bili, sına/sını: the narrowed vowel before -yor and, as the more frequent
    // choice in running text (docs/tokenizers.md), at the end of a word and before r, k, l, z, ğ, ş, s;
    // the wide vowel before m, y, c, ç, d, t, b, n.
    if (prev.narrowed || prev.wide) {
        const char32_t c = next.empty() ? 0 : next[0];
        const bool wideNext = !yor && (c == U'm' || c == U'y' || c == U'c' || c == 0xE7 || c == U'd' ||
                                       c == U't' || c == U'b' || c == U'n');
        if (prev.narrowed && wideNext) pen += 1;
        if (prev.wide && !wideNext) pen += 1;
    }
    const bool c = !next.empty() && next[0] == U'c';
    if (prev.truncated && !c) pen += 2;
    if (prev.hasTruncated && c) pen += 1;
    return pen;
}

std::string TurkishTokenizer::decodeWord(const std::vector<Piece>& pieces, const std::u32string& prevWord,
                                         bool skipSpecial) const {
    struct Cand {
        std::u32string text;   // lowercase
        std::u32string cased;  // with the capitals
        double pen = 0;
        std::vector<uint8_t> choice;
    };
    std::vector<Cand> beam(1);
    constexpr size_t kBeam = 16;
    for (size_t i = 0; i < pieces.size(); ++i) {
        const int64_t id = pieces[i].id;
        const Group* g = id == kUnknown ? nullptr : &groups_[id];
        const Group* next = (i + 1 < pieces.size() && pieces[i + 1].id != kUnknown) ? &groups_[pieces[i + 1].id]
                                                                                   : nullptr;
        bool nextIsLetter = false;
        if (next) {
            for (const auto& f : next->forms) nextIsLetter |= !f.text.empty() && isLetter(f.text[0]);
        }
        const bool innerCapital = i > 0 && pieces[i].upper;
        int pref = i == 0 ? initialPref_[id < 0 ? 0 : id] : -1;
        if (g && pieces[i].upper && g->forms.size() > 1) {
            // A capital I lowercases to ı, İ to i; English words (Impress, Internet, Inc.) make I the
            // more frequent of the two in running Turkish text about software.
            for (size_t k = 0; k < g->forms.size(); ++k)
                if (g->forms[k].text[0] == 0x131) pref = static_cast<int>(k);
        }
        std::vector<Cand> nb;
        for (const auto& c : beam) {
            const size_t nf = g ? g->forms.size() : 1;
            for (size_t fi = 0; fi < nf; ++fi) {
                Cand x = c;
                const std::u32string& t = g ? g->forms[fi].text : std::u32string(1, 0xFFFD);
                if (i > 0 && pieces[i - 1].id != kUnknown)
                    x.pen += pairPenalty(groups_[pieces[i - 1].id].forms[c.choice.back()], t);
                if (g && nf > 1)
                    x.pen += ownPenalty(*g, fi, c.text, c.cased, prevWord, next, pref, innerCapital, nextIsLetter,
                                        id == cliticId_);
                x.text += t;
                for (size_t k = 0; k < t.size(); ++k)
                    x.cased += ((k == 0 && pieces[i].upper) || pieces[i].allUpper) ? turkishUpperChar(t[k]) : t[k];
                x.choice.push_back(static_cast<uint8_t>(fi));
                nb.push_back(std::move(x));
            }
        }
        std::stable_sort(nb.begin(), nb.end(), [](const Cand& a, const Cand& b) { return a.pen < b.pen; });
        if (nb.size() > kBeam) nb.resize(kBeam);
        beam = std::move(nb);
    }
    if (!pieces.empty() && pieces.back().id != kUnknown) {
        for (auto& c : beam) c.pen += pairPenalty(groups_[pieces.back().id].forms[c.choice.back()], {});
        std::stable_sort(beam.begin(), beam.end(), [](const Cand& a, const Cand& b) { return a.pen < b.pen; });
    }
    auto render = [&](const Cand& c, bool forCheck) {
        std::string out;
        for (size_t i = 0; i < pieces.size(); ++i) {
            if (pieces[i].id == kUnknown) {
                if (forCheck) return std::string();  // words with <unknown> cannot be checked
                if (!skipSpecial) out += "\xEF\xBF\xBD";
                continue;
            }
            const std::u32string& t = groups_[pieces[i].id].forms[c.choice[i]].text;
            for (size_t k = 0; k < t.size(); ++k)
                appendUtf8(out, ((k == 0 && pieces[i].upper) || pieces[i].allUpper) ? turkishUpperChar(t[k]) : t[k]);
        }
        return out;
    };
    // Among the candidates whose re-encoding gives back the same ids (the encoder is greedy, so a form
    // that would have been split differently is impossible), the best by rule penalty plus, where the
    // Turkish hunspell dictionary is installed, 1.5 per letter run that the dictionary rejects
    // (it knows kitabı/hayatı, belirten/gereken, which phonological rules alone get wrong).
    bool hasUnknown = false;
    for (const auto& p : pieces) hasUnknown |= p.id == kUnknown;
    if (!hasUnknown && beam.size() > 1) {
        std::vector<int64_t> want;
        for (size_t k = 0; k < pieces.size(); ++k) {
            const Piece& p = pieces[k];
            if (p.allUpper && (k == 0 || !pieces[k - 1].allUpper)) want.push_back(allCapsId_);
            if (p.upper) want.push_back(kUpper);
            want.push_back(p.id);
        }
        const TurkishSpeller& speller = TurkishSpeller::instance();
        const bool lexicon = speller.available() && beam[1].pen <= beam[0].pen + 1.5;
        std::string best;
        double bestScore = 1e30;
        for (const auto& c : beam) {
            if (c.pen >= bestScore) break;  // sorted by penalty; the lexicon term is never negative
            const std::string s = render(c, true);
            if (encodeReference(s).ids != want) continue;
            double score = c.pen;
            if (lexicon) score += 1.5 * static_cast<double>(speller.rejectedRuns(s));
            if (score < bestScore) {
                bestScore = score;
                best = s;
            }
        }
        if (bestScore < 1e30) return best;
    }
    return render(beam.front(), false);
}

void TurkishTokenizer::flushWord(DecodeState& st, std::string& out, bool skipSpecial) const {
    if (st.word.empty()) return;
    const std::string w = decodeWord(st.word, st.prevWord, skipSpecial);
    out += w;
    st.prevWord = toU32(turkishLower(w));
    st.word.clear();
}

// A code point escape: <unknown>, its decimal digits (1–7 digit ids), <unknown>.
bool TurkishTokenizer::readEscape(const int64_t* ids, size_t n, char32_t& cp, size_t& used) const {
    if (!escapes_ || n < 3 || ids[0] != kUnknown) return false;
    uint32_t value = 0;
    size_t j = 1;
    for (; j < n && j <= 7; ++j) {
        const auto d = std::find(digitIds_.begin(), digitIds_.end(), ids[j]);
        if (d == digitIds_.end()) break;
        value = value * 10 + static_cast<uint32_t>(d - digitIds_.begin());
    }
    if (j < 2 || j >= n || ids[j] != kUnknown || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
    cp = static_cast<char32_t>(value);
    used = j + 1;
    return true;
}

void TurkishTokenizer::decodeIds(const int64_t* ids, size_t n, DecodeState& st, std::string& out,
                                 bool skipSpecial) const {
    for (size_t i = 0; i < n; ++i) {
        const int64_t id = ids[i];
        if (id < 0 || id >= vocabSize() || groups_[id].forms.empty()) continue;
        char32_t cp;
        size_t used;
        if (id == kUnknown && readEscape(ids + i, n - i, cp, used)) {
            flushWord(st, out, skipSpecial);
            appendUtf8(out, cp);
            st.upper = false;
            st.caps = false;
            i += used - 1;
            continue;
        }
        if (id == allCapsId_ && allCapsId_ >= 0) {
            st.caps = true;
            st.upper = false;
            continue;
        }
        if (st.caps) {
            // <allcaps> covers the letters that follow, up to a piece that does not start with one.
            const auto& t = groups_[id].forms[0].text;
            st.caps = id > kEos && !t.empty() && isLetter(t[0]);
        }
        switch (id) {
        case kUpper: st.upper = true; continue;
        case kSpace: flushWord(st, out, skipSpecial); out += ' '; break;
        case kNewline: flushWord(st, out, skipSpecial); out += '\n'; break;
        case kTab: flushWord(st, out, skipSpecial); out += '\t'; break;
        case kPad:
        case kEos:
            flushWord(st, out, skipSpecial);
            if (!skipSpecial) out += groups_[id].forms[0].utf8;
            break;
        default: st.word.push_back({id, st.upper, st.caps}); break;
        }
        st.upper = false;
    }
}

std::string TurkishTokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecial) const {
    std::string out;
    DecodeState st;
    decodeIds(ids.data(), ids.size(), st, out, skipSpecial);
    flushWord(st, out, skipSpecial);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Lossless encoding: the reference's ids wherever they decode back exactly, another encoding of the
// part (text between two spaces) where they do not, chosen by running the decoder itself.

bool TurkishTokenizer::needsEscape(char32_t c) const {
    const char32_t lc = turkishLowerChar(c);
    // casing that would not come back (K, Ω, ǅ)
    if (pyIsUpper(c) ? turkishUpperChar(lc) != c : lc != c) return true;
    std::string s;
    appendUtf8(s, lc);
    auto it = vocab_.find(s);
    return it == vocab_.end() || it->second == kUpper || it->second == kUnknown || it->second == kSpace ||
           it->second == kPad || it->second == kEos;
}

void TurkishTokenizer::pushEscape(Encoding& enc, char32_t c, std::pair<size_t, size_t> off) const {
    push(enc, kUnknown, "<unknown>", off);
    const std::string digits = std::to_string(static_cast<uint32_t>(c));
    for (char d : digits) push(enc, digitIds_[static_cast<size_t>(d - '0')], std::string(1, d), off);
    push(enc, kUnknown, "<unknown>", off);
}

Encoding TurkishTokenizer::encodeLossless(std::string_view text) const {
    std::u32string prevWord;  // the decoder's state at a space (nothing else survives one)
    return encodeParts(text, [&](const std::u32string& cps, const std::vector<size_t>& offs, size_t a, size_t b,
                                 Encoding& enc) { encodePartLossless(cps, offs, a, b, prevWord, enc); });
}

// Candidates in order; the first that decode() gives back exactly is taken (decode() consults
// hunspell-tr where installed, so the guarantee holds for a decoder with the same dictionary, as every
// embedlab install has; the reference's ids are kept wherever they come back, so they differ from the
// reference on exactly the parts the reference loses):
//   1. the reference's greedy encoding;
//   2. other segmentations of each casing segment into vocabulary strings, fewest tokens first (up to
//      three more than the fewest; longer pieces first among equals; at most 512 tried and 2^15
//      tokens decoded);
//   3. one token per character;
//   4. every character as a code point escape — always exact.
// Characters that no single-character token spells, or whose casing would not come back, are escapes
// in 2 and 3.
void TurkishTokenizer::encodePartLossless(const std::u32string& cps, const std::vector<size_t>& offs, size_t a,
                                          size_t b, std::u32string& prevWord, Encoding& enc) const {
    std::string want;
    for (size_t i = a; i < b; ++i) appendUtf8(want, cps[i]);
    std::u32string nextPrev;
    auto exact = [&](const Encoding& cand) {
        DecodeState st;
        st.prevWord = prevWord;
        std::string out;
        decodeIds(cand.ids.data(), cand.ids.size(), st, out, false);
        flushWord(st, out, false);
        nextPrev = st.prevWord;
        return out == want;
    };
    auto accept = [&](const Encoding& cand) {
        for (size_t i = 0; i < cand.ids.size(); ++i) push(enc, cand.ids[i], cand.tokens[i], cand.offsets[i]);
        prevWord = nextPrev;
    };
    {
        Encoding ref;
        encodeWord(cps, offs, a, b, ref);
        bool clean = true;  // no <unknown>, <pad> or <eos>: they do not decode to the text
        for (int64_t id : ref.ids) clean = clean && id != kUnknown && id != kPad && id != kEos;
        if (clean && exact(ref)) return accept(ref);
    }
    // Units: casing segments (split before capitals, as the reference) and escaped characters.
    struct Unit {
        bool escape = false, upper = false;
        size_t c0 = 0, c1 = 0;
        std::string low;
        std::vector<size_t> cpOfByte;                                // byte of low → code point index
        std::vector<std::vector<std::pair<int32_t, size_t>>> opts;  // per byte: (id, bytes), longest first
        std::vector<int> minTok;                                     // per byte: fewest tokens to the end
    };
    std::vector<Unit> units;
    for (size_t i = a; i < b; ++i) {
        if (needsEscape(cps[i])) {
            Unit u;
            u.escape = true;
            u.c0 = i;
            u.c1 = i + 1;
            units.push_back(std::move(u));
            continue;
        }
        if (units.empty() || units.back().escape || pyIsUpper(cps[i])) {
            Unit u;
            u.upper = pyIsUpper(cps[i]);
            u.c0 = i;
            units.push_back(std::move(u));
        }
        Unit& u = units.back();
        appendUtf8(u.low, turkishLowerChar(cps[i]));
        u.cpOfByte.resize(u.low.size(), i);
        u.c1 = i + 1;
    }
    constexpr int kInf = 1 << 20;
    for (Unit& u : units) {
        if (u.escape) continue;
        const size_t len = u.low.size();
        u.cpOfByte.push_back(u.c1);
        u.opts.resize(len);
        u.minTok.assign(len + 1, kInf);
        u.minTok[len] = 0;
        for (size_t p = len; p-- > 0;) {
            if ((static_cast<unsigned char>(u.low[p]) & 0xC0) == 0x80) continue;  // inside a code point
            auto& o = u.opts[p];
            auto add = [&](int32_t id, size_t bytes) {
                if ((id <= kEos && id != kNewline && id != kTab) || id == allCapsId_) return;
                if (std::find(o.begin(), o.end(), std::make_pair(id, bytes)) == o.end()) o.emplace_back(id, bytes);
            };
            roots_.forEachPrefix(u.low, p, add);
            suffixes_.forEachPrefix(u.low, p, add);
            bpe_.forEachPrefix(u.low, p, add);
            std::stable_sort(o.begin(), o.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
            for (const auto& [id, bytes] : o) u.minTok[p] = std::min(u.minTok[p], 1 + u.minTok[p + bytes]);
        }
    }
    // Builds the candidate from one choice of pieces per segment.
    auto build = [&](const std::vector<std::vector<std::pair<int32_t, size_t>>>& pieces) {
        Encoding cand;
        for (size_t k = 0; k < units.size(); ++k) {
            const Unit& u = units[k];
            if (u.escape) {
                pushEscape(cand, cps[u.c0], {offs[u.c0], offs[u.c1]});
                continue;
            }
            if (u.upper) push(cand, kUpper, "<uppercase>", {offs[u.c0], offs[u.c0]});
            size_t p = 0;
            for (const auto& [id, bytes] : pieces[k]) {
                push(cand, id, u.low.substr(p, bytes), {offs[u.cpOfByte[p]], offs[u.cpOfByte[p + bytes]]});
                p += bytes;
            }
        }
        return cand;
    };
    std::vector<int> restMin(units.size() + 1, 0);  // fewest piece tokens of units k..
    for (size_t k = units.size(); k-- > 0;)
        restMin[k] = restMin[k + 1] + (units[k].escape ? 0 : units[k].minTok[0]);
    if (restMin[0] < kInf) {
        std::vector<std::vector<std::pair<int32_t, size_t>>> pieces(units.size());
        // At most 512 candidates, and at most 2^15 tokens decoded in all: a long unspaced part (a URL, a
        // base64 blob) gets a few tries, then the fallbacks, instead of seconds of decoding.
        int tried = 0;
        size_t decoded = 0;
        constexpr size_t kDecodeBudget = size_t(1) << 15;
        bool found = false;
        Encoding hit;
        auto spent = [&] { return tried >= 512 || decoded >= kDecodeBudget; };
        // The search recurses one level per piece and per unit: a part of more than 512 of them (a long
        // unspaced run) goes to the fallbacks below at once.
        const bool searchable = static_cast<size_t>(restMin[0]) + units.size() <= 512;
        for (int slack = 0; searchable && slack <= 3 && !found && !spent(); ++slack) {
            const int target = restMin[0] + slack;
            int used = 0;
            // Depth-first over (unit, byte): exactly `target` pieces in all.
            std::function<void(size_t, size_t)> dfs = [&](size_t k, size_t p) {
                if (found || spent()) return;
                if (k == units.size()) {
                    if (used != target) return;
                    ++tried;
                    Encoding cand = build(pieces);
                    decoded += cand.ids.size();
                    if (exact(cand)) {
                        found = true;
                        hit = std::move(cand);
                    }
                    return;
                }
                const Unit& u = units[k];
                if (u.escape || p == u.low.size()) return dfs(k + 1, 0);
                for (const auto& [id, bytes] : u.opts[p]) {
                    if (used + 1 + u.minTok[p + bytes] + restMin[k + 1] > target) continue;
                    pieces[k].emplace_back(id, bytes);
                    ++used;
                    dfs(k, p + bytes);
                    --used;
                    pieces[k].pop_back();
                    if (found) return;
                }
            };
            dfs(0, 0);
        }
        if (found) return accept(hit);
        // One token per character (each non-escaped character is a single-character token).
        for (size_t k = 0; k < units.size(); ++k) {
            pieces[k].clear();
            const Unit& u = units[k];
            for (size_t p = 0; !u.escape && p < u.low.size();) {
                size_t q = p + 1;
                while (q < u.low.size() && (static_cast<unsigned char>(u.low[q]) & 0xC0) == 0x80) ++q;
                pieces[k].emplace_back(static_cast<int32_t>(vocab_.at(u.low.substr(p, q - p))), q - p);
                p = q;
            }
        }
        Encoding singles = build(pieces);
        if (exact(singles)) return accept(singles);
    }
    Encoding all;
    for (size_t i = a; i < b; ++i) pushEscape(all, cps[i], {offs[i], offs[i + 1]});
    exact(all);  // sets nextPrev (an escape does not change the previous word)
    accept(all);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct TurkishSpeller::Impl {
#ifdef EMBEDLAB_HAVE_HUNSPELL
    std::unique_ptr<Hunspell> hs;
    bool latin5 = false;  // the dictionary is ISO-8859-9 encoded
#endif
    mutable std::mutex mutex;
};

TurkishSpeller::TurkishSpeller(const std::string& dictPrefix) : impl_(std::make_unique<Impl>()) {
#ifdef EMBEDLAB_HAVE_HUNSPELL
    const std::string aff = dictPrefix + ".aff", dic = dictPrefix + ".dic";
    if (!isRegularFile(aff) || !isRegularFile(dic)) return;
    impl_->hs = std::make_unique<Hunspell>(aff.c_str(), dic.c_str());
    std::string enc = impl_->hs->get_dict_encoding();
    for (auto& ch : enc) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    impl_->latin5 = enc.find("8859-9") != std::string::npos || enc.find("8859_9") != std::string::npos;
#else
    (void)dictPrefix;
#endif
}

TurkishSpeller::~TurkishSpeller() = default;

const TurkishSpeller& TurkishSpeller::instance() {
    static const TurkishSpeller s([] {
        const char* env = std::getenv("EMBEDLAB_TR_HUNSPELL");
        return std::string(env && *env ? env : "/usr/share/hunspell/tr_TR");
    }());
    return s;
}

bool TurkishSpeller::available() const {
#ifdef EMBEDLAB_HAVE_HUNSPELL
    return impl_->hs != nullptr;
#else
    return false;
#endif
}

// The word in the dictionary's encoding; false when it cannot be represented there.
static bool toDictEncoding(const std::string& word, bool latin5, std::string& w) {
    if (!latin5) {
        w = word;
        return true;
    }
    // UTF-8 → ISO-8859-9 (Latin-5)
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(word, cps, offs);
    w.clear();
    for (char32_t c : cps) {
        switch (c) {
        case 0x11E: w += '\xD0'; continue;
        case 0x130: w += '\xDD'; continue;
        case 0x15E: w += '\xDE'; continue;
        case 0x11F: w += '\xF0'; continue;
        case 0x131: w += '\xFD'; continue;
        case 0x15F: w += '\xFE'; continue;
        default: break;
        }
        if (c < 0x100 && c != 0xD0 && c != 0xDD && c != 0xDE && c != 0xF0 && c != 0xFD && c != 0xFE)
            w += static_cast<char>(c);
        else
            return false;
    }
    return true;
}

bool TurkishSpeller::check(const std::string& word) const {
#ifdef EMBEDLAB_HAVE_HUNSPELL
    std::string w;
    if (!impl_->hs || word.empty() || !toDictEncoding(word, impl_->latin5, w)) return false;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->hs->spell(w);
#else
    (void)word;
    (void)toDictEncoding;
    return false;
#endif
}

bool TurkishSpeller::isStem(const std::string& word) const {
#ifdef EMBEDLAB_HAVE_HUNSPELL
    std::string w;
    if (!impl_->hs || word.empty() || !toDictEncoding(word, impl_->latin5, w)) return false;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->hs->spell(w)) return false;
    for (const auto& st : impl_->hs->stem(w))
        if (st == w) return true;
    return false;
#else
    (void)word;
    return false;
#endif
}

size_t TurkishSpeller::rejectedRuns(const std::string& text) const {
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(text, cps, offs);
    size_t rejected = 0;
    size_t i = 0;
    while (i < cps.size()) {
        if (!isLetter(cps[i])) {
            ++i;
            continue;
        }
        // a run: letters and digits joined by inner apostrophes (2024'te is one run, and not checked)
        size_t j = i;
        bool digits = i > 0 && (isDigit(cps[i - 1]) || isApostrophe(cps[i - 1]));
        while (j < cps.size() && (isLetter(cps[j]) || isDigit(cps[j]) ||
                                  (isApostrophe(cps[j]) && j + 1 < cps.size() && isLetter(cps[j + 1])))) {
            digits |= isDigit(cps[j]);
            ++j;
        }
        std::string run;
        for (size_t k = i; k < j; ++k) appendUtf8(run, cps[k]);
        if (!digits && !check(run)) ++rejected;
        i = j;
    }
    return rejected;
}

std::unique_ptr<Tokenizer> loadTurkishTokenizer(const std::string& dir, TurkishEncoding mode) {
    return std::make_unique<TurkishTokenizer>(dir, mode);
}

bool isTurkishTokenizerDir(const std::string& dir) {
    return isRegularFile(joinPath(dir, "kokler.json")) && isRegularFile(joinPath(dir, "ekler.json")) &&
           isRegularFile(joinPath(dir, "bpe_tokenler.json"));
}

std::vector<std::string> loadTurkishSuffixList(const std::string& eklerJsonPath) {
    const std::string text = readFile(eklerJsonPath, 64ull << 20);
    std::vector<std::string> out;
    for (auto& [key, value] : readFlatJsonObject(text, "turkish suffix list: " + eklerJsonPath)) {
        if (key.rfind("ek_temp_", 0) == 0) continue;
        out.push_back(key);
    }
    return out;
}

}  // namespace embedlab
