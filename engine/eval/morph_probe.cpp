#include "engine/eval/morph_probe.h"

#include "engine/core/error.h"
#include "engine/eval/logistic_regression.h"
#include "engine/eval/matrix.h"
#include "engine/io/turkish_text.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <unordered_map>

namespace embedlab::eval {

MorphFeature parseMorphFeature(const std::string& name) {
    if (name == "case") return MorphFeature::Case;
    if (name == "number") return MorphFeature::Number;
    if (name == "possessive") return MorphFeature::Possessive;
    if (name == "pos") return MorphFeature::Pos;
    throw Error::badInput("--feature must be case, number, possessive or pos, not \"" + name + "\"");
}

const char* morphFeatureName(MorphFeature f) {
    switch (f) {
    case MorphFeature::Case: return "case";
    case MorphFeature::Number: return "number";
    case MorphFeature::Possessive: return "possessive";
    case MorphFeature::Pos: return "pos";
    }
    return "?";
}

namespace {

std::vector<std::string> split(const std::string& s, const std::string& sep) {
    std::vector<std::string> out;
    size_t b = 0;
    for (;;) {
        const size_t e = s.find(sep, b);
        out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
        if (e == std::string::npos) return out;
        b = e + sep.size();
    }
}

}  // namespace

std::string morphFeatureValue(const std::string& analysis, MorphFeature f) {
    const std::vector<std::string> groups = split(analysis, "^DB+");
    std::vector<std::string> tags = split(groups.back(), "+");
    // The group's part of speech: after the root in the first group, first in a later one.
    const size_t posAt = groups.size() == 1 ? 1 : 0;
    if (tags.size() <= posAt) return {};
    const std::string pos = tags[posAt];
    if (f == MorphFeature::Pos) return pos;
    std::string value;
    for (size_t i = posAt + 1; i < tags.size(); ++i) {
        const std::string& t = tags[i];
        switch (f) {
        case MorphFeature::Case:
            if (t == "NOM" || t == "ACC" || t == "DAT" || t == "LOC" || t == "ABL" || t == "GEN" || t == "INS") value = t;
            break;
        case MorphFeature::Number:
            if (pos == "NOUN" && t.size() == 4 && t[0] == 'A' && (t[1] >= '1' && t[1] <= '3'))
                value = t.compare(2, 2, "SG") == 0 ? "SG" : t.compare(2, 2, "PL") == 0 ? "PL" : value;
            break;
        case MorphFeature::Possessive:
            if (pos == "NOUN" && (t == "PNON" || ((t.size() == 4 && t[0] == 'P' && t[1] >= '1' && t[1] <= '3') &&
                                                  (t.compare(2, 2, "SG") == 0 || t.compare(2, 2, "PL") == 0))))
                value = t;
            break;
        case MorphFeature::Pos: break;
        }
    }
    return value;
}

bool isProbeTestRoot(const std::string& root) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : root) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h % 5 == 0;
}

std::vector<ProbeWord> probeWords(const Treebank& tb, MorphFeature f) {
    struct Acc {
        std::map<std::string, std::pair<int64_t, int64_t>> values;  // value → (count, first index)
        std::map<std::string, std::string> rootOf;                  // value → root of its first occurrence
        int64_t count = 0;
    };
    std::unordered_map<std::string, size_t> index;
    std::vector<std::pair<std::string, Acc>> types;
    int64_t seen = 0;
    for (const GoldWord& w : tb.words) {
        if (isExcludedPos(w.pos)) continue;
        const std::string v = morphFeatureValue(w.analysis, f);
        if (v.empty() || (f == MorphFeature::Pos && isExcludedPos(v))) continue;
        const std::string lw = turkishLower(w.word);
        auto [it, fresh] = index.try_emplace(lw, types.size());
        if (fresh) types.emplace_back(lw, Acc{});
        Acc& a = types[it->second].second;
        auto [vit, vfresh] = a.values.try_emplace(v, std::make_pair(int64_t(0), seen));
        ++vit->second.first;
        if (vfresh) a.rootOf[v] = turkishLower(w.root);
        ++a.count;
        ++seen;
    }
    std::vector<ProbeWord> out;
    out.reserve(types.size());
    for (auto& [word, a] : types) {
        auto best = a.values.begin();
        for (auto it = a.values.begin(); it != a.values.end(); ++it)
            if (it->second.first > best->second.first ||
                (it->second.first == best->second.first && it->second.second < best->second.second))
                best = it;
        ProbeWord p;
        p.word = word;
        p.label = best->first;
        p.root = a.rootOf[best->first];
        p.count = a.count;
        p.test = isProbeTestRoot(p.root);
        out.push_back(std::move(p));
    }
    return out;
}

ProbeResult runMorphProbe(const std::vector<ProbeWord>& words,
                          const std::function<std::optional<std::vector<float>>(const std::string&)>& vectorOf,
                          uint64_t seed, Progress& progress) {
    ProbeResult r;
    std::vector<std::vector<float>> trainX, testX;
    std::vector<std::string> trainY, testY;
    int64_t dim = -1;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i % 512 == 0) progress.report(0.3 * static_cast<double>(i) / static_cast<double>(words.size()), "vectors");
        std::optional<std::vector<float>> v = vectorOf(words[i].word);
        if (!v) {
            ++r.missing;
            continue;
        }
        if (dim < 0) dim = static_cast<int64_t>(v->size());
        if (static_cast<int64_t>(v->size()) != dim) throw Error::badInput("morph probe: the vectors have different dimensions");
        (words[i].test ? testX : trainX).push_back(std::move(*v));
        (words[i].test ? testY : trainY).push_back(words[i].label);
    }
    std::map<std::string, int64_t> freq;
    for (const std::string& y : trainY) ++freq[y];
    std::vector<std::pair<int64_t, std::string>> byFreq;
    for (const auto& [k, n] : freq) byFreq.emplace_back(-n, k);
    std::sort(byFreq.begin(), byFreq.end());
    for (const auto& p : byFreq) r.classes.push_back(p.second);
    if (r.classes.size() < 2) throw Error::badInput("morph probe: fewer than two classes among the training words with vectors");
    std::map<std::string, int64_t> classId;
    for (size_t k = 0; k < r.classes.size(); ++k) classId[r.classes[k]] = static_cast<int64_t>(k);

    const auto toMatrix = [&](const std::vector<std::vector<float>>& rows, const std::vector<size_t>& keep) {
        Matrix m(static_cast<int64_t>(keep.size()), dim);
        for (size_t i = 0; i < keep.size(); ++i) std::copy(rows[keep[i]].begin(), rows[keep[i]].end(), m.row(static_cast<int64_t>(i)));
        return m;
    };
    std::vector<size_t> trainKeep(trainX.size()), testKeep;
    std::iota(trainKeep.begin(), trainKeep.end(), size_t(0));
    std::vector<int64_t> ytrain, ytest;
    for (const std::string& y : trainY) ytrain.push_back(classId[y]);
    for (size_t i = 0; i < testY.size(); ++i) {
        auto it = classId.find(testY[i]);
        if (it == classId.end()) {
            ++r.unseenClass;
            continue;
        }
        testKeep.push_back(i);
        ytest.push_back(it->second);
    }
    if (testKeep.empty()) throw Error::badInput("morph probe: no test word has a vector and a class seen in training");
    r.train = static_cast<int64_t>(trainKeep.size());
    r.test = static_cast<int64_t>(testKeep.size());
    const Matrix xtr = toMatrix(trainX, trainKeep), xte = toMatrix(testX, testKeep);
    const int64_t k = static_cast<int64_t>(r.classes.size());
    const auto score = [&](const std::vector<int64_t>& labels, Progress& p) {
        LogisticRegression lr;
        lr.fit(xtr, labels, k, p);
        const std::vector<int64_t> pred = lr.predict(xte);
        int64_t hit = 0;
        for (size_t i = 0; i < pred.size(); ++i) hit += pred[i] == ytest[i];
        return static_cast<double>(hit) / static_cast<double>(pred.size());
    };
    {
        Progress p(progress, 0.3, 0.65, "probe");
        r.accuracy = score(ytrain, p);
    }
    {
        std::vector<int64_t> shuffled = ytrain;
        std::mt19937_64 rng(seed);
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        Progress p(progress, 0.65, 1.0, "control");
        r.control = score(shuffled, p);
    }
    r.majority = static_cast<double>(std::count(ytest.begin(), ytest.end(), int64_t(0))) / static_cast<double>(ytest.size());
    progress.report(1.0, "probed");
    return r;
}

}  // namespace embedlab::eval
