#include "engine/tasks/translate_words.h"

#include "engine/core/error.h"
#include "engine/io/vectors.h"

#include <chrono>

namespace embedlab::tasks {

TranslateWordsResult translateWords(const TranslateWordsOptions& o, Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.englishVectors.empty() || o.turkishVectors.empty())
        throw Error::badInput("transfer words: give --english-vectors and --turkish-vectors");
    if (o.trainPairs.empty() || o.testPairs.empty()) throw Error::badInput("transfer words: give --train and --test pairs");
    TranslateWordsResult r;
    const std::vector<transfer::WordPair> train = transfer::readWordPairs(o.trainPairs, &r.skippedTrain);
    const std::vector<transfer::WordPair> test = transfer::readWordPairs(o.testPairs, &r.skippedTest);
    if (train.empty()) throw Error::badInput("transfer words: " + o.trainPairs + " holds no one-word pair en<TAB>tr");
    if (test.empty()) throw Error::badInput("transfer words: " + o.testPairs + " holds no one-word pair en<TAB>tr");
    VectorSet en, tr;
    {
        Progress p(progress, 0.0, 0.4, "English vectors");
        en = readVectors(o.englishVectors, {}, nullptr, p);
    }
    {
        Progress p(progress, 0.4, 0.5, "Turkish vectors");
        tr = readVectors(o.turkishVectors, {}, nullptr, p);
    }
    r.englishWords = en.size();
    r.turkishWords = tr.size();
    Progress p(progress, 0.5, 1.0, "translation");
    r.scores = transfer::evaluateWordTranslation(en, tr, train, test, o.translation, p);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

nlohmann::json toJson(const TranslateWordsResult& r) {
    const auto scores = [](const transfer::TranslationScores& s) {
        return nlohmann::json{{"p_at_1", s.p1}, {"p_at_5", s.p5}, {"queries", s.queries}};
    };
    const auto dir = [&](const transfer::DirectionScores& d) {
        return nlohmann::json{{"queries", d.heldOutQueries}, {"candidates", d.candidates},
                              {"procrustes", scores(d.procrustes)}, {"random", scores(d.random)}, {"mean", scores(d.mean)}};
    };
    return {{"train_pairs", r.scores.trainPairs}, {"test_pairs", r.scores.testPairs}, {"fit_pairs", r.scores.fitPairs},
            {"skipped_lines", r.skippedTrain + r.skippedTest}, {"english_words", r.englishWords},
            {"turkish_words", r.turkishWords}, {"en_to_tr", dir(r.scores.enToTr)}, {"tr_to_en", dir(r.scores.trToEn)},
            {"seconds", r.seconds}};
}

}  // namespace embedlab::tasks
