// Morphology probes (engine/eval/morph_probe.h): feature values by hand on real treebank analyses;
// word types, labels and the root-disjoint split equal an independent Python reading of the same
// treebank; the probe's accuracy and majority baseline equal sklearn's LogisticRegression on the same
// words and vectors; the shuffled-label control stays near the majority baseline.
#include "engine/core/error.h"
#include "engine/eval/morph_probe.h"
#include "engine/eval/morphology.h"
#include "engine/io/file_io.h"
#include "reference.h"

#include <random>
#include <set>

using namespace embedlab;
using namespace embedlab::eval;
using embedlab::test::runPython;

TEST(MorphProbe, FeatureValuesByHand) {
    struct Case {
        const char* analysis;
        const char *kase, *number, *possessive, *pos;
    };
    const Case cases[] = {
        {"yasa+NOUN+A3SG+PNON+LOC", "LOC", "SG", "PNON", "NOUN"},
        {"savaş+NOUN+A3SG+PNON+ACC", "ACC", "SG", "PNON", "NOUN"},
        {"bulan+VERB^DB+VERB+CAUS+POS+NARR+COP+A3SG", "", "", "", "VERB"},
        {"değil+ADJ^DB+VERB+ZERO+PAST+A3SG", "", "", "", "VERB"},
        {"komite+NOUN+A3SG+P3SG+NOM", "NOM", "SG", "P3SG", "NOUN"},
        {"yol+NOUN+A3PL+PNON+NOM", "NOM", "PL", "PNON", "NOUN"},
        {"gel+VERB^DB+NOUN+INF2+A3SG+P3SG+ACC", "ACC", "SG", "P3SG", "NOUN"},
        {"ev+NOUN+A3SG+P1PL+LOC^DB+ADJ+REL", "", "", "", "ADJ"},  // the last group decides
        {"yeni+ADJ", "", "", "", "ADJ"},
        {"çal+VERB+POS+AOR+A3SG", "", "", "", "VERB"},             // verb agreement is not number
        {"o+PRON+DEMONSP+A3SG+PNON+DAT", "DAT", "", "", "PRON"},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(morphFeatureValue(c.analysis, MorphFeature::Case), c.kase) << c.analysis;
        EXPECT_EQ(morphFeatureValue(c.analysis, MorphFeature::Number), c.number) << c.analysis;
        EXPECT_EQ(morphFeatureValue(c.analysis, MorphFeature::Possessive), c.possessive) << c.analysis;
        EXPECT_EQ(morphFeatureValue(c.analysis, MorphFeature::Pos), c.pos) << c.analysis;
    }
    EXPECT_THROW(parseMorphFeature("tense"), Error);
}

namespace {

const char* kTreebank =
    "<S>\t<S>+BSTag\n"
    "Yasada\tyasa+NOUN+A3SG+PNON+LOC\n"
    "yasada\tyasa+NOUN+A3SG+PNON+LOC\n"
    "evde\tev+NOUN+A3SG+PNON+LOC\n"
    "evde\tev+NOUN+A3SG+PNON+LOC^DB+VERB+ZERO+PRES+A3SG\n"
    "evden\tev+NOUN+A3SG+PNON+ABL\n"
    ",\t,+PUNC\n"
    "İstanbul'a\tistanbul+NOUN+PROP+A3SG+PNON+DAT\n"
    "Kitabı\tkitap+NOUN+A3SG+PNON+ACC\n"
    "kitabı\tkitap+NOUN+A3SG+P3SG+NOM\n"
    "</S>\t</S>+ESTag\n";

}  // namespace

// Types: Turkish-lowercased, majority label (ties: first seen), punctuation and marks out.
TEST(MorphProbe, WordTypesAndLabels) {
    const std::string path = test::evalScratch("probe_tb.txt");
    writeFileAtomic(path, kTreebank);
    const Treebank tb = readTreebank(path);
    const std::vector<ProbeWord> w = probeWords(tb, MorphFeature::Case);
    ASSERT_EQ(w.size(), 5u);
    EXPECT_EQ(w[0].word, "yasada");
    EXPECT_EQ(w[0].count, 2);
    EXPECT_EQ(w[1].word, "evde");
    EXPECT_EQ(w[1].label, "LOC");  // its other analysis (a verb) has no case
    EXPECT_EQ(w[1].count, 1);
    EXPECT_EQ(w[3].word, "istanbul'a");
    EXPECT_EQ(w[3].root, "istanbul");
    EXPECT_EQ(w[4].word, "kitabı");
    EXPECT_EQ(w[4].label, "ACC");  // a tie: the first seen
    const std::vector<ProbeWord> pos = probeWords(tb, MorphFeature::Pos);
    ASSERT_EQ(pos.size(), 5u);
    EXPECT_EQ(pos[1].label, "NOUN");  // a tie NOUN/VERB: the first seen
}

// The whole pipeline on the real treebank (when installed) or the fixture sample against an
// independent Python reading: the same types, labels and split, and sklearn's accuracy on them.
TEST(MorphProbe, MatchesAnIndependentPythonProbe) {
    std::string tbPath = test::sourceDir() + "/data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt";
    if (!isRegularFile(tbPath)) {
        tbPath = test::evalScratch("probe_tb2.txt");
        std::string text;
        const char* roots[] = {"ev", "okul", "kitap", "masa", "yol", "kapı", "göz", "su", "el", "baş", "taş", "kuş"};
        const char* cases[] = {"NOM", "ACC", "DAT", "LOC"};
        const char* ends[] = {"", "i", "e", "de"};
        for (int i = 0; i < 12; ++i)
            for (int c = 0; c < 4; ++c)
                text += std::string(roots[i]) + ends[c] + "\t" + roots[i] + "+NOUN+A3SG+PNON+" + cases[c] + "\n";
        writeFileAtomic(tbPath, text);
    }
    const Treebank tb = readTreebank(tbPath);
    const std::vector<ProbeWord> words = probeWords(tb, MorphFeature::Case);
    // Vectors that carry the label weakly, plus noise: a word's vector is seeded by its text.
    std::map<std::string, int> classIndex;
    for (const char* c : {"NOM", "ACC", "DAT", "LOC", "ABL", "GEN", "INS"}) classIndex[c] = static_cast<int>(classIndex.size());
    const int dim = 12;
    std::map<std::string, std::vector<float>> vec;
    std::string vecText;
    int64_t shown = 0;
    for (const ProbeWord& w : words) {
        if (std::hash<std::string>{}(w.word) % 7 == 0) continue;  // some words have no vector
        std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>{}(w.word)));
        std::normal_distribution<float> nd(0.f, 1.f);
        std::vector<float> v(dim);
        for (float& x : v) x = nd(rng);
        v[static_cast<size_t>(classIndex[w.label])] += 1.5f;
        vec[w.word] = v;
        ++shown;
    }
    const ProbeResult r = runMorphProbe(words, [&](const std::string& s) -> std::optional<std::vector<float>> {
        auto it = vec.find(s);
        if (it == vec.end()) return std::nullopt;
        return it->second;
    });
    EXPECT_EQ(r.train + r.test + r.unseenClass, shown);
    EXPECT_EQ(r.missing, static_cast<int64_t>(words.size()) - shown);
    nlohmann::json v = nlohmann::json::object();
    for (const auto& [w, x] : vec) v[w] = x;
    const std::string vpath = test::evalScratch("probe_vec.json");
    writeFileAtomic(vpath, v.dump());
    const nlohmann::json ref = runPython(
        "import json, re, warnings, numpy as np\nwarnings.filterwarnings('ignore')\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "vec = json.load(open('" + vpath + "'))\n"
        "CASES = {'NOM','ACC','DAT','LOC','ABL','GEN','INS'}\n"
        "def lower(s): return s.replace('I', 'ı').replace('İ', 'i').lower()\n"
        "def fnv64(s):\n  h = 14695981039346656037\n  for b in s.encode(): h = ((h ^ b) * 1099511628211) % (1 << 64)\n  return h\n"
        "types = {}; order = []\n"
        "for line in open('" + tbPath + "', encoding='utf-8'):\n"
        "  line = line.rstrip('\\n')\n"
        "  if '\\t' not in line: continue\n"
        "  word, a = line.split('\\t', 1)\n"
        "  first = re.split(r'[+^]', a)\n"
        "  if len(first) < 2 or first[1].endswith('Tag') or first[1] in ('PUNC','NUM','PERCENT','TIME','RANGE'): continue\n"
        "  last = a.split('^DB+')[-1].split('+')\n"
        "  tags = last[1:] if '^DB+' not in a else last\n"
        "  if not tags: continue\n"
        "  c = [t for t in tags[1:] if t in CASES]\n"
        "  if not c: continue\n"
        "  w = lower(word)\n"
        "  if w not in types: types[w] = {}; order.append(w)\n"
        "  d = types[w]\n"
        "  if c[-1] not in d: d[c[-1]] = [0, len(d), lower(first[0])]\n"
        "  d[c[-1]][0] += 1\n"
        "tr, te = [], []\n"
        "for w in order:\n"
        "  lab, (n, k, root) = sorted(types[w].items(), key=lambda kv: (-kv[1][0], kv[1][1]))[0]\n"
        "  if w not in vec: continue\n"
        "  (te if fnv64(root) % 5 == 0 else tr).append((vec[w], lab))\n"
        "labs = sorted({l for _, l in tr})\n"
        "te = [(x, l) for x, l in te if l in labs]\n"
        "m = LogisticRegression(max_iter=100).fit(np.array([x for x, _ in tr]), [l for _, l in tr])\n"
        "p = m.predict(np.array([x for x, _ in te]))\n"
        "from collections import Counter\n"
        "maj = Counter(l for _, l in tr).most_common(1)[0][0]\n"
        "print(json.dumps({'types': len(order), 'train': len(tr), 'test': len(te), "
        "'acc': float(np.mean(p == np.array([l for _, l in te]))), "
        "'majority': float(np.mean(np.array([l for _, l in te]) == maj))}))\n",
        "morph_probe");
    EXPECT_EQ(static_cast<int64_t>(words.size()), ref["types"].get<int64_t>());
    EXPECT_EQ(r.train, ref["train"].get<int64_t>());
    EXPECT_EQ(r.test, ref["test"].get<int64_t>());
    EXPECT_NEAR(r.accuracy, ref["acc"].get<double>(), 0.02);
    EXPECT_NEAR(r.majority, ref["majority"].get<double>(), 1e-12);
    EXPECT_GT(r.accuracy, r.majority + 0.1);
    EXPECT_LT(r.control, r.majority + 0.05);
}

TEST(MorphProbe, TooFewClassesIsAClearError) {
    std::vector<ProbeWord> w = {{"ev", "ev", "NOM", 1, false}, {"su", "su", "NOM", 1, true}};
    EXPECT_THROW(runMorphProbe(w, [](const std::string&) { return std::optional<std::vector<float>>(std::vector<float>{1.f}); }), Error);
}
