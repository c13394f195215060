// embedlab engine — building the morphology-aware Turkish tokenizer ("embedlab-morph", issue #17):
// `embedlab-cli train tokenizer --kind morph`.
//
// The vocabulary, in the seed's folder format (kokler.json roots, ekler.json suffix allomorph groups,
// bpe_tokenler.json, the seed's special tokens at ids 0–6, <allcaps> at 7) plus morph.json, which names
// the format and holds the encoder's costs (engine/tokenizers/turkish_tokenizer.h):
//   1. roots — the entries of the nlptoolkit lexicon (turkish_dictionary.txt and
//      turkish_morphological_lexicon.txt) except derived entries that are another entry + an inflection
//      or a productive derivation (verme = ver+mA), with the variants the lexicon's flags name sharing
//      the root's id: softened final consonant (kitap/kitab, IS_SD), dropped vowel (ağız/ağz, IS_UD),
//      doubled consonant (hak/hakk, IS_DUP), a verb's stem before -Hyor (başla/başl, dearer in the
//      encoder: form_costs); ranked by how many corpus words they start (below);
//   2. suffix groups — every built-in suffix template (engine/tokenizers/turkish_suffixes.h) and the
//      most frequent chains of them in the corpus (-lArH+nDA: "larında", "lerinde", …), each group the
//      chain's forms after every stem (vowel harmony, consonant alternation) sharing one id;
//   3. BPE — SentencePiece BPE (libsentencepiece, through the shim) trained on the corpus text that
//      roots and suffix chains do not cover (unparsed words, numbers, punctuation, other scripts), its
//      pieces without the word-initial ▁; the ten digits and every character of the corpus first (as far
//      as the size allows).
// A corpus word (a lowercase letter run) is parsed as the root prefix whose rest is a chain of the
// fewest suffix templates (the longest root among equals); roots and chains are counted over word
// occurrences. Deterministic for the same corpus, lexicon and size.
#pragma once

#include "engine/jobs/progress.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace embedlab {

struct MorphTokenizerOptions {
    std::vector<std::string> corpora;  // read by the corpus reader (any format it knows)
    std::string lexiconDir;            // holds turkish_dictionary.txt and turkish_morphological_lexicon.txt
    int64_t vocabSize = 32768;
    double rootShare = 0.55;    // at most this share of the ids for roots
    double suffixShare = 0.12;  // at most this share for suffix groups
    int64_t maxSentences = 0;   // 0 = every record
};

struct MorphTokenizerReport {
    int64_t vocabSize = 0, roots = 0, rootForms = 0, suffixGroups = 0, suffixForms = 0, bpe = 0;
    int64_t sentences = 0, chars = 0, words = 0, wordsParsed = 0;
    int64_t lexiconEntries = 0, lexiconSkipped = 0;  // skipped: not letters only (abbreviations …) or malformed
    int64_t rootsDerived = 0;                        // lexicon entries read as root + suffixes
};

// Writes the four files into `outDir` (an existing, empty folder). The vocabulary has at most
// `vocabSize` ids (fewer when the corpus is too small for SentencePiece to learn that many pieces).
// Throws Error(BadInput) for a missing or empty lexicon, a missing or empty corpus, a vocabulary size
// outside 1,000 … 1,000,000; Error(Cancelled) when cancelled.
MorphTokenizerReport trainMorphTokenizer(const MorphTokenizerOptions& options, const std::string& outDir,
                                         Progress& progress);

}  // namespace embedlab
