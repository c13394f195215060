// embedlab engine task — zero-shot word translation between English GloVe-style vectors and Turkish
// static vectors through dictionary pairs (`embedlab-cli transfer words`; engine/transfer/word_translation.h).
#pragma once

#include "engine/jobs/progress.h"
#include "engine/transfer/word_translation.h"

#include <nlohmann/json.hpp>

#include <string>

namespace embedlab::tasks {

struct TranslateWordsOptions {
    std::string englishVectors, turkishVectors;  // any vectors file embedlab reads, word-labelled
    std::string trainPairs, testPairs;            // en<TAB>tr
    transfer::WordTranslationOptions translation;
};

struct TranslateWordsResult {
    transfer::WordTranslationResult scores;
    int64_t englishWords = 0, turkishWords = 0, skippedTrain = 0, skippedTest = 0;
    double seconds = 0;
};

TranslateWordsResult translateWords(const TranslateWordsOptions& options, Progress& progress);
// The CLI's JSON: train_pairs, test_pairs, fit_pairs, en_to_tr / tr_to_en {queries, candidates,
// procrustes {p_at_1, p_at_5, queries}, random {…}, mean {…}}, english_words, turkish_words, seconds.
nlohmann::json toJson(const TranslateWordsResult& r);

}  // namespace embedlab::tasks
