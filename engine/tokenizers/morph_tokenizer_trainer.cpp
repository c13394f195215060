// Building the morphology-aware Turkish tokenizer. See morph_tokenizer_trainer.h.
#include "engine/tokenizers/morph_tokenizer_trainer.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "engine/io/turkish_text.h"
#include "engine/tokenizers/sentencepiece_library.h"
#include "engine/tokenizers/turkish_suffixes.h"

#include <nlohmann/json.hpp>
#include <unicode/uchar.h>

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace embedlab {
namespace {

namespace fs = std::filesystem;

std::u32string u32(const std::string& s) {
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(s, cps, offs);
    return cps;
}
std::string utf8(const std::u32string& s) {
    std::string out;
    for (char32_t c : s) appendUtf8(out, c);
    return out;
}
bool isLetter(char32_t c) { return u_isalpha(static_cast<UChar32>(c)) != 0; }
bool isVowel(char32_t c) { return isTurkishVowel(c); }
bool allLetters(const std::u32string& w) {
    if (w.empty()) return false;
    for (char32_t c : w)
        if (!isLetter(c)) return false;
    return true;
}

// kontrol → kontröl: the stem as suffix harmony sees it for a root that takes front vowels.
std::u32string frontLastVowel(std::u32string s) {
    for (size_t i = s.size(); i-- > 0;) {
        switch (s[i]) {
        case U'a': s[i] = U'e'; return s;
        case 0x131: s[i] = U'i'; return s;
        case U'o': s[i] = 0xF6; return s;
        case U'u': s[i] = 0xFC; return s;
        default:
            if (isVowel(s[i])) return s;
        }
    }
    return s;
}

struct Root {
    std::u32string text;
    std::vector<std::u32string> variants;
    std::u32string yorStem;  // a verb's stem before -Hyor (başla → başl), dearer in the encoder
    bool proper = false;
    bool frontHarmony = false;  // IS_UU: takes front-vowel suffixes after a back vowel (kontrolü, saati)
    int64_t count = 0;
    size_t order = 0;
};

// Splits a line at spaces and tabs.
std::vector<std::string> fields(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    std::string f;
    while (in >> f) out.push_back(f);
    return out;
}

std::vector<Root> readLexicon(const std::string& dir, MorphTokenizerReport& rep) {
    const std::string morphPath = joinPath(dir, "turkish_morphological_lexicon.txt");
    const std::string dictPath = joinPath(dir, "turkish_dictionary.txt");
    for (const auto& p : {morphPath, dictPath})
        if (!isRegularFile(p))
            throw Error::badInput("train tokenizer --kind morph: the lexicon file " + p +
                                  " is missing (install it with: tools/install-data.sh, package nlptoolkit-dictionary)");
    std::vector<Root> roots;
    std::unordered_map<std::u32string, size_t> index;
    std::unordered_set<std::u32string> derived;
    std::vector<std::pair<std::u32string, std::string>> derivedBy;  // a derived entry, its last suffix
    auto add = [&](const std::u32string& w) {
        if (index.count(w)) return;
        index.emplace(w, roots.size());
        Root r;
        r.text = w;
        r.order = roots.size();
        roots.push_back(std::move(r));
    };
    {
        std::ifstream in(morphPath, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            const auto f = fields(line);
            if (f.empty()) continue;
            ++rep.lexiconEntries;
            const std::u32string w = u32(turkishLower(f[0]));
            if (f.size() != 2 || !allLetters(w)) {
                ++rep.lexiconSkipped;
                continue;
            }
            const auto plus = f[1].rfind('+');
            if (plus == std::string::npos) {
                add(w);
                continue;
            }
            derivedBy.emplace_back(w, f[1].substr(plus + 1));
        }
    }
    std::unordered_map<std::u32string, std::set<std::string>> flags;
    std::vector<std::u32string> dictionary;
    {
        std::ifstream in(dictPath, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            auto f = fields(line);
            if (f.empty()) continue;
            ++rep.lexiconEntries;
            if (std::find(f.begin(), f.end(), "IS_HEADER") != f.end()) continue;
            const std::u32string w = u32(turkishLower(f[0]));
            if (!allLetters(w)) {
                ++rep.lexiconSkipped;
                continue;
            }
            auto& fl = flags[w];
            fl.insert(f.begin() + 1, f.end());
            dictionary.push_back(w);
        }
    }
    // A derived entry that is another entry + an inflection or a productive derivation is that entry +
    // suffixes, not a root (verme = ver+mA, değersiz = değer+sHz, satış = sat+yHş, çıktı = çık+DH); every
    // other derived entry stays a root: lexicalised words (yönetim = yön+At+yHm, sonuç = son+Hç,
    // yatırımcı = …+HCH, gizle = giz+lA) and etymological analyses (bilgisayar = bil+GH+say+Ar).
    {
        static const std::set<std::string> productive = {
            "lHk", "lH", "mA", "sHz", "lAş", "CA", "lAr", "DH", "yHş", "Hş", "yAn", "Ht", "Hl", "DAn", "dA", "DA",
            "mAz", "Hr", "Ar", "yAcAk", "AcAk", "mHş", "DHk", "HncH", "mAk", "yA", "A", "yH", "H", "yHp", "yArAk",
            "nDA", "ndA"};
        std::unordered_set<std::u32string> entries(dictionary.begin(), dictionary.end());
        for (const auto& r : roots) entries.insert(r.text);
        for (const auto& [w, tag] : derivedBy) entries.insert(w);
        const SuffixParser entryParser;
        for (const auto& [w, tag] : derivedBy) {
            if (!productive.count(tag)) continue;
            // The tag as a template: a leading y, n or s may be a buffer (yHş → (y)Hş).
            std::vector<std::string> forms = {tag};
            if (!tag.empty() && (tag[0] == 'y' || tag[0] == 'n' || tag[0] == 's') && tag.size() > 1)
                forms.push_back("(" + tag.substr(0, 1) + ")" + tag.substr(1));
            bool fromEntry = false;
            for (size_t e = w.size() - 1; e >= 2 && !fromEntry; --e) {
                if (!entries.count(w.substr(0, e))) continue;
                for (const auto& t : forms)
                    fromEntry = fromEntry || realizeSuffixChain({t}, w.substr(0, e)) == w.substr(e);
                // or another entry + a chain of the built-in templates (tarafından = taraf+(H)n+DAn)
                fromEntry = fromEntry || !entryParser.parse(w.substr(0, e), w.substr(e)).empty();
            }
            if (fromEntry) {
                derived.insert(w);
                ++rep.rootsDerived;
            }
        }
        for (const auto& [w, tag] : derivedBy)
            if (!derived.count(w)) add(w);
        for (const auto& w : dictionary)
            if (!derived.count(w)) add(w);
    }
    for (Root& r : roots) {
        const auto it = flags.find(r.text);
        if (it == flags.end()) continue;
        const auto& fl = it->second;
        const std::u32string& t = r.text;
        r.proper = fl.count("IS_OA") && fl.size() == 1;
        r.frontHarmony = fl.count("IS_UU") > 0;
        std::set<std::u32string> vs;
        if ((fl.count("IS_SD") || fl.count("F_SD")) && t.size() > 1) {
            const char32_t c = t.back();
            std::u32string v = t.substr(0, t.size() - 1);
            if (c == U'p') vs.insert(v + U'b');
            if (c == 0xE7) vs.insert(v + U'c');
            if (c == U't') vs.insert(v + U'd');
            if (c == U'k') vs.insert(v + (t.size() > 1 && t[t.size() - 2] == U'n' ? U'g' : char32_t(0x11F)));
        }
        if (fl.count("IS_UD") && t.size() > 2 && !isVowel(t.back()) && isVowel(t[t.size() - 2]))
            vs.insert(t.substr(0, t.size() - 2) + t.back());  // ağız → ağz, burun → burn
        if (fl.count("IS_DUP") && !isVowel(t.back())) vs.insert(t + t.back());  // hak → hakk
        // başla → başl, söyle → söyl: the stem before -Hyor (başlıyor, söylüyor), whose vowel narrows.
        std::u32string yor;
        if (fl.count("CL_FIIL") && t.size() > 2 && (t.back() == U'a' || t.back() == U'e') && !isVowel(t[t.size() - 2]))
            yor = t.substr(0, t.size() - 1);
        for (const auto& v : vs)
            if (v != t && !index.count(v)) r.variants.push_back(v);
        if (!yor.empty() && !index.count(yor) && !vs.count(yor)) {
            r.variants.push_back(yor);
            r.yorStem = yor;
        }
    }
    return roots;
}

constexpr double kRarity = 0.3;
constexpr double kYorStemCost = 0.6;
std::string jsonKey(const std::string& s) { return nlohmann::json(s).dump(); }

void writeTable(const std::string& path, const std::vector<std::pair<std::string, int64_t>>& entries) {
    std::string out = "{\n";
    for (size_t i = 0; i < entries.size(); ++i) {
        out += "  " + jsonKey(entries[i].first) + ": " + std::to_string(entries[i].second);
        out += i + 1 < entries.size() ? ",\n" : "\n";
    }
    out += "}\n";
    writeFileAtomic(path, out);
}

}  // namespace

MorphTokenizerReport trainMorphTokenizer(const MorphTokenizerOptions& o, const std::string& outDir, Progress& progress) {
    MorphTokenizerReport rep;
    if (o.vocabSize < 1000 || o.vocabSize > 1000000)
        throw Error::badInput("train tokenizer --kind morph: --vocab-size must be between 1,000 and 1,000,000");
    if (o.corpora.empty()) throw Error::badInput("train tokenizer --kind morph: give the corpus (--input)");
    if (o.lexiconDir.empty())
        throw Error::badInput("train tokenizer --kind morph: give the lexicon folder (--lexicon DIR with "
                              "turkish_dictionary.txt and turkish_morphological_lexicon.txt, from nlptoolkit-dictionary)");
    std::vector<Root> roots = readLexicon(o.lexiconDir, rep);
    if (roots.empty())
        throw Error::badInput("train tokenizer --kind morph: the lexicon in " + o.lexiconDir +
                              " has no entry that is a word (letters only)");
    std::unordered_map<std::u32string, size_t> rootOf;  // a root or variant form → root
    size_t longestRoot = 0;
    for (size_t i = 0; i < roots.size(); ++i) {
        rootOf.emplace(roots[i].text, i);
        longestRoot = std::max(longestRoot, roots[i].text.size());
        for (const auto& v : roots[i].variants) {
            rootOf.emplace(v, i);
            longestRoot = std::max(longestRoot, v.size());
        }
    }

    // 1. The corpus: its records and word (letter run) counts, lowercase.
    std::vector<std::string> records;
    std::unordered_map<std::u32string, int64_t> types;
    std::set<char32_t> chars;
    {
        Progress reading(progress, 0.0, 0.25, "reading the corpus");
        for (size_t k = 0; k < o.corpora.size(); ++k) {
            Progress one(reading, double(k) / double(o.corpora.size()), double(k + 1) / double(o.corpora.size()),
                         o.corpora[k]);
            CorpusOptions co;
            co.maxRecords = o.maxSentences;
            streamCorpus(
                o.corpora[k], co,
                [&](CorpusRecord&& rec) {
                    std::string low = turkishLower(rec.text);
                    for (char& c : low)
                        if (c == '\n' || c == '\r') c = ' ';
                    const std::u32string cps = u32(low);
                    rep.chars += static_cast<int64_t>(cps.size());
                    size_t i = 0;
                    while (i < cps.size()) {
                        chars.insert(cps[i]);
                        if (!isLetter(cps[i])) {
                            ++i;
                            continue;
                        }
                        size_t j = i;
                        while (j < cps.size() && isLetter(cps[j])) chars.insert(cps[j++]);
                        ++types[cps.substr(i, j - i)];
                        ++rep.words;
                        i = j;
                    }
                    records.push_back(std::move(low));
                    ++rep.sentences;
                },
                one);
        }
    }
    if (rep.words == 0) throw Error::badInput("train tokenizer --kind morph: the corpus has no words");

    // 2. Each word type as root + suffix chain: the fewest templates, the longest root among equals.
    const SuffixParser parser;
    auto parseWord = [&](const std::u32string& w, size_t& root, std::vector<std::string>& chain) {
        int bestLen = -1;
        for (size_t e = std::min(w.size(), longestRoot); e >= 1; --e) {
            const auto it = rootOf.find(w.substr(0, e));
            if (it == rootOf.end()) continue;
            std::vector<std::string> c;
            if (e < w.size()) {
                std::u32string stem = w.substr(0, e);
                if (roots[it->second].frontHarmony) stem = frontLastVowel(stem);
                c = parser.parse(stem, w.substr(e));
                if (c.empty()) continue;
            }
            if (bestLen < 0 || static_cast<int>(c.size()) < bestLen) {
                bestLen = static_cast<int>(c.size());
                root = it->second;
                chain = std::move(c);
            }
        }
        return bestLen >= 0;
    };
    std::map<std::string, int64_t> chainCount;
    std::unordered_set<std::u32string> parsed;
    {
        Progress parsing(progress, 0.25, 0.45, "parsing words into roots and suffixes");
        size_t done = 0;
        for (const auto& [w, n] : types) {
            if (++done % 4096 == 0) parsing.report(double(done) / double(types.size()));
            size_t bestRoot = 0;
            std::vector<std::string> bestChain;
            if (!parseWord(w, bestRoot, bestChain)) continue;
            roots[bestRoot].count += n;
            rep.wordsParsed += n;
            parsed.insert(w);
            if (!bestChain.empty()) {
                std::string key;
                for (const auto& t : bestChain) key += (key.empty() ? "" : "+") + t;
                chainCount[key] += n;
            }
        }
    }
    progress.checkCancelled();

    // 3. The vocabulary: specials, roots, suffix groups, BPE.
    std::vector<std::pair<std::string, int64_t>> kokler = {{"<uppercase>", 0}, {"<unknown>", 1}, {" ", 2},
                                                           {"\n", 3},          {"\t", 4},        {"<pad>", 5},
                                                           {"<eos>", 6},        {"<allcaps>", 7}};
    std::unordered_set<std::string> taken = {"<uppercase>", "<unknown>", " ", "\n", "\t", "<pad>", "<eos>", "<allcaps>"};
    int64_t next = 8;
    // The encoder's extra cost of each root and suffix group: 0.3 for the rarest, 0 for the most frequent
    // (log of the corpus count), so that among segmentations of equal base cost the frequent root and
    // chain win (hak+ları, not hakla+rı).
    std::vector<std::pair<int64_t, double>> extraCost;
    // A verb's stem before -Hyor (başl of başla) is also the start of other words (amaçl|ı for amaç|lı):
    // it costs more, so that it only wins where nothing else reads the word (başl|ıyor).
    std::vector<std::pair<std::string, double>> formCost;
    auto rarity = [](int64_t count, int64_t maxCount) {
        return kRarity * (1.0 - std::log1p(double(count)) / std::log1p(double(std::max<int64_t>(maxCount, 1))));
    };
    int64_t maxRoot = 0;
    for (const Root& r : roots) maxRoot = std::max(maxRoot, r.count);
    {
        std::vector<size_t> order(roots.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            if (roots[a].count != roots[b].count) return roots[a].count > roots[b].count;
            return roots[a].proper < roots[b].proper;  // among unseen roots, common words before names
        });
        const auto budget = static_cast<int64_t>(double(o.vocabSize) * o.rootShare);
        for (size_t i : order) {
            if (rep.roots >= budget) break;
            const Root& r = roots[i];
            const std::string s = utf8(r.text);
            if (!taken.insert(s).second) continue;
            kokler.emplace_back(s, next);
            ++rep.rootForms;
            for (const auto& v : r.variants) {
                const std::string vs = utf8(v);
                if (!taken.insert(vs).second) continue;
                kokler.emplace_back(vs, next);
                if (v == r.yorStem) formCost.emplace_back(vs, kYorStemCost);
                ++rep.rootForms;
            }
            extraCost.emplace_back(next, rarity(r.count, maxRoot));
            ++rep.roots;
            ++next;
        }
    }
    std::vector<std::pair<std::string, int64_t>> ekler;
    {
        std::vector<std::vector<std::string>> chains;
        // Every single template, the most used first: a form two templates share (di: past -DH and
        // copula -(y)DH) belongs to the more frequent one's group; then the chains.
        std::vector<std::string> singles = turkishSuffixTemplates();
        std::stable_sort(singles.begin(), singles.end(), [&](const std::string& a, const std::string& b) {
            const auto ia = chainCount.find(a), ib = chainCount.find(b);
            return (ia == chainCount.end() ? 0 : ia->second) > (ib == chainCount.end() ? 0 : ib->second);
        });
        for (const auto& t : singles) chains.push_back({t});
        std::vector<std::pair<std::string, int64_t>> byCount(chainCount.begin(), chainCount.end());
        std::stable_sort(byCount.begin(), byCount.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        for (const auto& [key, n] : byCount) {
            if (key.find('+') == std::string::npos) continue;  // single templates are already in
            std::vector<std::string> chain;
            std::string part;
            std::istringstream in(key);
            while (std::getline(in, part, '+')) chain.push_back(part);
            chains.push_back(std::move(chain));
        }
        const auto budget = static_cast<int64_t>(double(o.vocabSize) * o.suffixShare);
        std::unordered_set<std::string> suffixTaken;
        int64_t maxChain = 0;
        for (const auto& [key, n] : chainCount) maxChain = std::max(maxChain, n);
        for (const auto& chain : chains) {
            std::string key;
            for (const auto& t : chain) key += (key.empty() ? "" : "+") + t;
            const auto cc = chainCount.find(key);
            if (rep.suffixGroups >= budget) break;
            // A chain that starts with a buffer y is two groups, its forms after a vowel (yla, ydı) and
            // after a consonant (la, dı): one id for both would be ambiguous where another suffix spells
            // the y-less form after a vowel too (söyle|di, the past, beside araba|ydı, the copula).
            const std::vector<std::u32string> forms = suffixChainForms(chain);
            const bool buffered = chain.front().rfind("(y)", 0) == 0;
            for (int part = 0; part < (buffered ? 2 : 1); ++part) {
                if (rep.suffixGroups >= budget) break;
                bool any = false;
                for (const auto& f : forms) {
                    if (buffered && (f[0] == U'y') != (part == 0)) continue;
                    const std::string s = utf8(f);
                    if (!suffixTaken.insert(s).second) continue;
                    ekler.emplace_back(s, next);
                    taken.insert(s);
                    ++rep.suffixForms;
                    any = true;
                }
                if (any) {
                    extraCost.emplace_back(next, rarity(cc == chainCount.end() ? 0 : cc->second, maxChain));
                    ++rep.suffixGroups;
                    ++next;
                }
            }
        }
    }
    progress.checkCancelled();

    // BPE on what roots and suffix chains do not cover.
    std::vector<std::pair<std::string, int64_t>> bpe;
    {
        Progress training(progress, 0.45, 0.95, "training BPE on the rest");
        const int64_t budget = o.vocabSize - next;
        // Every character first (the lossless encoder's last resort is one token per character), then
        // the ten digits (the code point escapes), then SentencePiece's pieces in its order.
        std::vector<std::string> singles;
        for (char32_t c = U'0'; c <= U'9'; ++c) singles.push_back(utf8(std::u32string(1, c)));
        for (char32_t c : chars)
            if (c != U' ' && c != U'\n' && c != U'\t' && c != U'\r') singles.push_back(utf8(std::u32string(1, c)));
        for (const auto& s : singles) {
            if (static_cast<int64_t>(bpe.size()) >= budget) break;
            if (taken.insert(s).second) bpe.emplace_back(s, next + static_cast<int64_t>(bpe.size()));
        }
        std::string pattern = (fs::temp_directory_path() / "embedlab-morphtrain-XXXXXX").string();
        if (pattern.find(' ') != std::string::npos || !::mkdtemp(pattern.data()))
            throw Error::runtime("cannot create a working folder under " + fs::temp_directory_path().string());
        struct Cleanup {
            std::string dir;
            ~Cleanup() {
                std::error_code e;
                fs::remove_all(dir, e);
            }
        } cleanup{pattern};
        int64_t restLines = 0;
        {
            std::ofstream f(pattern + "/rest.txt", std::ios::binary);
            for (const std::string& rec : records) {
                const std::u32string cps = u32(rec);
                std::u32string line;
                size_t i = 0;
                while (i < cps.size()) {
                    if (!isLetter(cps[i])) {
                        line += cps[i++];
                        continue;
                    }
                    size_t j = i;
                    while (j < cps.size() && isLetter(cps[j])) ++j;
                    const std::u32string w = cps.substr(i, j - i);
                    if (parsed.count(w)) {
                        line += U' ';
                    } else {
                        // SentencePiece's BPE trainer aborts the process on a word of more than 65,535
                        // characters: unparsed runs reach it in pieces of at most 64.
                        for (size_t c = 0; c < w.size(); c += 64) {
                            if (c > 0) line += U' ';
                            line += w.substr(c, 64);
                        }
                    }
                    i = j;
                }
                bool content = false;
                for (char32_t c : line) content = content || c != U' ';
                if (!content) continue;
                f << utf8(line) << '\n';
                ++restLines;
            }
            if (!f) throw Error::runtime("could not write the BPE training text to " + pattern);
        }
        const int64_t want = budget - static_cast<int64_t>(bpe.size());
        if (restLines > 0 && want > 0) {
            training.report(0.05, "training BPE on " + std::to_string(restLines) + " lines");
            SentencePieceModel::train(
                "--input=" + pattern + "/rest.txt --model_prefix=" + pattern + "/rest --model_type=bpe --vocab_size=" +
                std::to_string(2 * want + 256) +
                " --character_coverage=1.0 --byte_fallback=false --normalization_rule_name=identity "
                "--remove_extra_whitespaces=true --split_digits=true --hard_vocab_limit=false "
                "--shuffle_input_sentence=false --input_sentence_size=0 --num_threads=2 "
                "--max_sentence_length=1000000 --minloglevel=2",
                training);
            const auto model = SentencePieceModel::load(pattern + "/rest.model");
            static const std::string marker = "\xE2\x96\x81";  // ▁
            for (int32_t id = 0; id < model->vocabSize() && static_cast<int64_t>(bpe.size()) < budget; ++id) {
                if (model->pieceType(id) != SentencePieceModel::PieceType::Normal) continue;
                std::string p = model->idToPiece(id);
                if (p.compare(0, marker.size(), marker) == 0) p.erase(0, marker.size());
                if (p.empty() || p.find(marker) != std::string::npos) continue;
                // A piece that reads as root + suffixes would compete with that reading (olan = ol+an).
                const std::u32string pc = u32(p);
                size_t pr = 0;
                std::vector<std::string> pch;
                if (allLetters(pc) && parseWord(pc, pr, pch)) continue;
                if (taken.insert(p).second) bpe.emplace_back(p, next + static_cast<int64_t>(bpe.size()));
            }
        }
        rep.bpe = static_cast<int64_t>(bpe.size());
        next += rep.bpe;
    }
    rep.vocabSize = next;

    // 4. The files.
    writeTable(joinPath(outDir, "kokler.json"), kokler);
    writeTable(joinPath(outDir, "ekler.json"), ekler);
    writeTable(joinPath(outDir, "bpe_tokenler.json"), bpe);
    nlohmann::ordered_json m;
    m["format"] = "embedlab-morph";
    m["version"] = 1;
    m["encoder"] = "fewest-cost segmentation of each lowercase casing segment (docs/tokenizers.md)";
    m["costs"] = {{"root", 1.0}, {"inner_root", 1.5}, {"suffix", 1.0}, {"initial_suffix", 2.0}, {"bpe", 1.25}};
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
    for (const auto& [id, c] : extraCost) extra[std::to_string(id)] = std::round(c * 1e4) / 1e4;
    m["token_costs"] = std::move(extra);
    nlohmann::ordered_json forms = nlohmann::ordered_json::object();
    for (const auto& [f, c] : formCost) forms[f] = c;
    m["form_costs"] = std::move(forms);
    m["vocab_size"] = rep.vocabSize;
    m["roots"] = rep.roots;
    m["suffix_groups"] = rep.suffixGroups;
    m["bpe"] = rep.bpe;
    m["corpus_words"] = rep.words;
    m["corpus_words_parsed"] = rep.wordsParsed;
    writeFileAtomic(joinPath(outDir, "morph.json"), m.dump(2) + "\n");
    progress.report(1.0, "written");
    return rep;
}

}  // namespace embedlab
