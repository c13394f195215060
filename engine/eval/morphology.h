// embedlab engine — the Turkish morphology benchmark: does a tokenizer cut words where their root ends?
//
// Gold data: a treebank of lines `word<TAB>root+POS+tags` (`^DB` at derivation boundaries; sentence
// and document marks `<S>`, `</S>`, `<DOC>` … carry a POS ending in "Tag"), e.g. the penntreebank.txt
// of nlptoolkit-morphologicalanalysis (docs/data.md). For every word occurrence (punctuation, numbers
// — PUNC, NUM, PERCENT, TIME, RANGE — and the marks excluded), the gold boundary is the root's length
// when the Turkish-lowercased word (İ→i, I→ı) starts with the lowercased root, or with the root whose
// last consonant is softened (p→b, ç→c, t→d, k→ğ or g); other words (vowel narrowing: diyor/de,
// ellipsis: kaydı/kayıt) are excluded and counted.
//
// Each word is tokenized on its own as it stands after a space in running text (" " + word, no special
// tokens). A piece belongs to the word when it covers at least one byte of the word's own characters
// (so "▁", "Ġ" or a space token alone do not, nor does a marker such as <uppercase> that covers none);
// the word's token boundaries are the starts of its pieces after the first, as byte offsets into the
// word (through the tokenizer's offsets). Then, over the included words:
//   boundary_hit    share of the words longer than their root with a boundary exactly at the root's end;
//   root_intact     share of the words with no boundary strictly inside the root;
//   tokens_per_word pieces per word;
// with bootstrap 95% intervals (percentiles of B resamples of the words, seeded).
#pragma once

#include "engine/jobs/progress.h"
#include "engine/tokenizers/tokenizer.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedlab::eval {

struct GoldWord {
    std::string word;      // as written
    std::string root;      // the analysis' root, as written
    std::string pos;       // the first POS tag after the root ("NOUN", "VERB", "PUNC", "BSTag" …)
    std::string analysis;  // root+POS+tags, whole
    int64_t sentence = 0;  // 0-based sentence index (a new one at each <S>)
};

struct Treebank {
    std::vector<GoldWord> words;  // every line with a word and an analysis, marks included
    int64_t sentences = 0;
    int64_t malformedLines = 0;   // no tab, an empty word or root: skipped and counted
    std::vector<std::string> warnings;  // the first few malformed lines, with their line numbers
};

// Reads a treebank (UTF-8; invalid UTF-8 replaced). Throws Error(BadInput) for a missing file or one
// with no word line.
Treebank readTreebank(const std::string& path, Progress& progress = nullProgress());

// True for words the benchmark never counts: punctuation, numbers, sentence and document marks.
bool isExcludedPos(const std::string& pos);

// The gold root/suffix boundary of `w`: the byte length of w.word's first n characters, n = the root's
// length in characters; 0 when the (softened) root does not start the word, which excludes it.
int64_t goldBoundaryBytes(const GoldWord& w);

struct BoundaryOptions {
    int bootstrap = 1000;  // resamples for the 95% intervals (0 → none)
    uint64_t seed = 0;
};

struct BoundaryResult {
    int64_t words = 0;         // words counted
    int64_t excluded = 0;      // words whose root does not start them (narrowing, ellipsis)
    int64_t skipped = 0;       // punctuation, numbers, marks
    int64_t longerThanRoot = 0;
    double boundaryHit = 0, rootIntact = 0, tokensPerWord = 0;
    std::pair<double, double> boundaryHitCi{0, 0}, rootIntactCi{0, 0};
};

BoundaryResult morphBoundaries(const Tokenizer& tokenizer, const Treebank& treebank,
                               const BoundaryOptions& options = {}, Progress& progress = nullProgress());

// The token boundaries (byte offsets into `word`, ascending, each in (0, size)) and the number of
// pieces of `word` tokenized after a space — the per-word step of morphBoundaries.
std::pair<std::vector<int64_t>, int64_t> wordBoundaries(const Tokenizer& tokenizer, const std::string& word);

}  // namespace embedlab::eval
