#include "engine/eval/classification.h"

#include "engine/core/error.h"
#include "engine/eval/label_metrics.h"
#include "engine/eval/tsv.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace embedlab::eval {

ClassificationData readClassificationData(const std::string& path) {
    const auto rows = readTsv(path, 3, 3, "text, label, split");
    struct Item {
        std::string text, label;
        bool train;
    };
    std::vector<Item> items;
    std::set<std::string> labels;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        std::string split = trim(r.fields[2]);
        std::transform(split.begin(), split.end(), split.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::string label = trim(r.fields[1]);
        if (i == 0 && split == "split") continue;  // header
        if (split == "dev" || split == "validation" || split == "valid") continue;
        if (split != "train" && split != "test")
            throw Error::badInput(path + ":" + std::to_string(r.line) + ": split must be 'train' or 'test', found '" +
                                  r.fields[2] + "'");
        if (label.empty()) throw Error::badInput(path + ":" + std::to_string(r.line) + ": empty label");
        items.push_back({r.fields[0], label, split == "train"});
        labels.insert(label);
    }
    ClassificationData d;
    d.labelNames.assign(labels.begin(), labels.end());
    std::map<std::string, int64_t> id;
    for (size_t i = 0; i < d.labelNames.size(); ++i) id[d.labelNames[i]] = static_cast<int64_t>(i);
    for (const auto& it : items) {
        if (it.train) {
            d.trainTexts.push_back(it.text);
            d.trainLabels.push_back(id[it.label]);
        } else {
            d.testTexts.push_back(it.text);
            d.testLabels.push_back(id[it.label]);
        }
    }
    if (d.trainTexts.empty()) throw Error::badInput(path + " has no 'train' lines");
    if (d.testTexts.empty()) throw Error::badInput(path + " has no 'test' lines");
    if (std::set<int64_t>(d.trainLabels.begin(), d.trainLabels.end()).size() < 2)
        throw Error::badInput(path + ": the train split needs at least 2 different labels");
    return d;
}

ClassificationResult evaluateClassification(const Matrix& train, const std::vector<int64_t>& trainLabels,
                                            const Matrix& test, const std::vector<int64_t>& testLabels,
                                            int64_t numClasses, const ClassificationOptions& o, Progress& progress) {
    if (train.rows != static_cast<int64_t>(trainLabels.size()) || test.rows != static_cast<int64_t>(testLabels.size()))
        throw Error::badInput("classification: labels and vectors differ in number");
    if (train.cols != test.cols) throw Error::badInput("classification: train and test vectors differ in dimension");
    ClassificationResult r;
    r.train = train.rows;
    r.test = test.rows;
    r.classes = numClasses;
    const int64_t runs = o.samplesPerLabel > 0 ? std::max<int64_t>(1, o.experiments) : 1;
    std::mt19937_64 rng(o.seed);
    double acc = 0, f1 = 0, f1w = 0;
    for (int64_t e = 0; e < runs; ++e) {
        Progress scope(progress, static_cast<double>(e) / runs, static_cast<double>(e + 1) / runs);
        scope.checkCancelled();
        Matrix x = train;
        std::vector<int64_t> y = trainLabels;
        if (o.samplesPerLabel > 0) {  // MTEB's _undersample_data: shuffle, keep the first n per label
            std::vector<int64_t> idx(static_cast<size_t>(train.rows));
            for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
            std::shuffle(idx.begin(), idx.end(), rng);
            std::map<int64_t, int64_t> taken;
            std::vector<int64_t> keep;
            for (int64_t i : idx)
                if (taken[trainLabels[static_cast<size_t>(i)]]++ < o.samplesPerLabel) keep.push_back(i);
            x = train.gather(keep);
            y.clear();
            for (int64_t i : keep) y.push_back(trainLabels[static_cast<size_t>(i)]);
        }
        // Train on the classes present, mapped to 0..m-1 (as sklearn's classes_).
        std::vector<int64_t> present(y);
        std::sort(present.begin(), present.end());
        present.erase(std::unique(present.begin(), present.end()), present.end());
        if (present.size() < 2) throw Error::badInput("classification: the train split needs at least 2 different labels");
        std::map<int64_t, int64_t> toLocal;
        for (size_t i = 0; i < present.size(); ++i) toLocal[present[i]] = static_cast<int64_t>(i);
        std::vector<int64_t> yl;
        for (int64_t v : y) yl.push_back(toLocal[v]);
        LogisticRegression lr(o.logreg);
        lr.fit(x, yl, static_cast<int64_t>(present.size()), progress);
        std::vector<int64_t> pred = lr.predict(test);
        for (auto& p : pred) p = present[static_cast<size_t>(p)];
        acc += accuracy(testLabels, pred);
        f1 += f1Macro(testLabels, pred);
        f1w += f1Weighted(testLabels, pred);
        r.iterations = lr.iterations();
        r.predicted = std::move(pred);
    }
    r.accuracy = acc / static_cast<double>(runs);
    r.f1 = f1 / static_cast<double>(runs);
    r.f1Weighted = f1w / static_cast<double>(runs);
    return r;
}

}  // namespace embedlab::eval
