// embedlab engine — corpus statistics of a tokenizer (`embedlab-cli tokstats`, the tokenizer lab).
// Every figure is defined precisely in docs/tokenizers.md ("Tokenizer metrics").
#pragma once

#include "engine/jobs/progress.h"
#include "engine/tokenizers/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

struct TokenizerStats {
    std::string name;
    int64_t lines = 0;
    int64_t tokens = 0;         // encode(line, addSpecial=false) summed over lines
    int64_t words = 0;          // whitespace-separated words
    int64_t chars = 0;          // Unicode code points (line terminators not counted)
    double fertility = 0.0;     // tokens / words
    int64_t unique_tokens = 0;  // distinct ids that occurred
    double tr_pct = 0.0;        // % of the unique non-special tokens that are Turkish words or morphemes
    double pure_pct = 0.0;      // % of the unique non-special tokens that are whole morphological units
    double seconds = 0.0;       // wall time of encoding the corpus
    bool lexicon = false;       // hunspell-tr was available for tr_pct/pure_pct
};

struct TokenizerStatsOptions {
    // Known Turkish suffixes and roots (e.g. the seed's ekler.json / kokler.json surface strings), used
    // for tokenizers that have no lists of their own. Empty: hunspell only.
    std::vector<std::string> suffixes;
    std::vector<std::string> roots;
};

// The token's text as a word piece: the space markers "▁" (SentencePiece), "Ġ" (byte-level BPE) and
// "##" (WordPiece) removed at the start, surrounding whitespace trimmed.
std::string stripSpaceMarkers(const std::string& token);

// Statistics over `lines` (each one line of text, already valid UTF-8). Reports progress every 256 lines.
TokenizerStats computeTokenizerStats(const Tokenizer& tok, const std::vector<std::string>& lines, Progress& progress,
                                     const TokenizerStatsOptions& options = {});

// Reads a UTF-8 text file as lines ("\n" or "\r\n"); invalid UTF-8 is replaced by U+FFFD and the 1-based
// numbers of the affected lines go to `invalidLines`. Throws Error(BadInput) if the file is missing or holds
// no text (only empty or whitespace lines).
std::vector<std::string> readCorpusLines(const std::string& path, std::vector<size_t>* invalidLines = nullptr);

TokenizerStats computeTokenizerStatsFile(const Tokenizer& tok, const std::string& path, Progress& progress,
                                         const TokenizerStatsOptions& options = {});

}  // namespace embedlab
