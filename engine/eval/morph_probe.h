// embedlab engine — morphology probes: can a logistic regression read a Turkish word's case, number,
// possessive or part of speech off its vector? (`embedlab-cli morph probe`, issue #17.)
//
// Gold labels come from a treebank (engine/eval/morphology.h). An analysis is split at `^DB` into
// inflectional groups; the word's features are those of its last group (the word as it functions):
//   case        the last of NOM ACC DAT LOC ABL GEN INS in that group (words without one are left out);
//   number      SG or PL from its agreement tag (A1SG … A3PL), for words whose last group is a NOUN;
//   possessive  PNON, P1SG … P3PL, for words whose last group is a NOUN;
//   pos         the group's part of speech (the tag after the root in the first group, the first tag
//               of a later one).
// Punctuation, numbers and sentence marks never count (isExcludedPos). The probe works on word types:
// the Turkish-lowercased word, labelled with its most frequent value over its occurrences (ties: the
// first seen), and its root (lowercased) from that value's first occurrence.
//
// Split, fixed and root-disjoint: a type is a test word when FNV-1a-64 of its lowercased root's UTF-8
// bytes is 0 modulo 5, so no root has words on both sides. The probe is sklearn's
// LogisticRegression(C=1, lbfgs, 100 iterations) (engine/eval/logistic_regression.h) on the raw
// vectors, over the classes seen in training (test words of other classes are left out and counted).
// Reported beside it: the majority baseline (the most frequent training class, scored on the test
// words) and a control (the same probe trained on the training labels shuffled with a fixed seed).
#pragma once

#include "engine/eval/morphology.h"
#include "engine/jobs/progress.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace embedlab::eval {

enum class MorphFeature { Case, Number, Possessive, Pos };
// "case" | "number" | "possessive" | "pos"; throws Error(BadInput) otherwise.
MorphFeature parseMorphFeature(const std::string& name);
const char* morphFeatureName(MorphFeature f);

// The feature's value in an analysis ("" when it has none), e.g. ("yasa+NOUN+A3SG+PNON+LOC", Case) → "LOC".
std::string morphFeatureValue(const std::string& analysis, MorphFeature f);

struct ProbeWord {
    std::string word;   // Turkish-lowercased
    std::string root;   // lowercased
    std::string label;
    int64_t count = 0;  // occurrences in the treebank
    bool test = false;  // the root-disjoint split
};

// FNV-1a 64 of the root's bytes % 5 == 0.
bool isProbeTestRoot(const std::string& lowercasedRoot);

// The labelled word types of a treebank for one feature, in first-occurrence order.
std::vector<ProbeWord> probeWords(const Treebank& treebank, MorphFeature feature);

struct ProbeResult {
    double accuracy = 0, majority = 0, control = 0;
    int64_t train = 0, test = 0;       // words with a vector on each side
    int64_t missing = 0;               // labelled words without a vector (both sides)
    int64_t unseenClass = 0;           // test words whose class training never saw
    std::vector<std::string> classes;  // in training, by frequency
};

// Runs the probe. `vectorOf` returns a word's vector (all of one dimension) or nothing when there is
// none. Throws Error(BadInput) when fewer than two classes or no test word have vectors.
ProbeResult runMorphProbe(const std::vector<ProbeWord>& words,
                          const std::function<std::optional<std::vector<float>>(const std::string&)>& vectorOf,
                          uint64_t seed = 0, Progress& progress = nullProgress());

}  // namespace embedlab::eval
