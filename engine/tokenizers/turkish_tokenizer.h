// embedlab engine — the seed's Turkish morphological tokenizer format ("turkish-seed").
//
// A folder with kokler.json (roots + special tokens), ekler.json (suffix allomorph groups) and
// bpe_tokenler.json; each maps a surface string to an id and several surface strings may share one id
// (lar/ler, kitap/kitab). Decoding picks each token's surface form from its context. Two encodings:
// - Lossless (the default): decode(encode(x)) == x for every valid UTF-8 text, by construction — the
//   reference's ids wherever the decoder gives the text back exactly, otherwise another segmentation
//   of the word, and characters no token spells as code point escapes (<unknown> digits <unknown>);
// - Reference: the same ids as the seed's reference implementation (malibayram/turkish-tokenizer,
//   TurkishTokenizer.encode), for models trained on them; docs/tokenizers.md lists what does not come
//   back then.
#pragma once

#include "engine/tokenizers/tokenizer.h"

#include <memory>
#include <string>
#include <vector>

namespace embedlab {

enum class TurkishEncoding { Lossless, Reference };

// Loads the three files from `dir`. Throws Error(BadInput) naming the missing or malformed file.
std::unique_ptr<Tokenizer> loadTurkishTokenizer(const std::string& dir,
                                                TurkishEncoding mode = TurkishEncoding::Lossless);

// True when `dir` holds kokler.json, ekler.json and bpe_tokenler.json.
bool isTurkishTokenizerDir(const std::string& dir);

// The surface strings of a seed-format ekler.json (suffix allomorphs, e.g. "lar", "ler", "dır" …),
// without the placeholder entries ("ek_temp_…"). Throws Error(BadInput).
std::vector<std::string> loadTurkishSuffixList(const std::string& eklerJsonPath);

// An offline Turkish word check with hunspell-tr through libhunspell (built in when EMBEDLAB_HAVE_HUNSPELL
// is defined). The dictionary is <prefix>.dic/.aff, UTF-8 or ISO-8859-9 encoded (detected from the .aff).
// instance() uses $EMBEDLAB_TR_HUNSPELL or /usr/share/hunspell/tr_TR. Thread-safe.
class TurkishSpeller {
public:
    explicit TurkishSpeller(const std::string& dictPrefix);
    ~TurkishSpeller();
    TurkishSpeller(const TurkishSpeller&) = delete;
    TurkishSpeller& operator=(const TurkishSpeller&) = delete;
    static const TurkishSpeller& instance();

    bool available() const;
    // A UTF-8 word as written (hunspell handles capitalised and all-caps words itself).
    bool check(const std::string& word) const;
    // check() and the dictionary gives the word itself as one of its stems (a bare root, not an inflected form).
    bool isStem(const std::string& word) const;
    // The number of letter runs in `text` (letters joined by inner apostrophes) that check() rejects.
    size_t rejectedRuns(const std::string& text) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace embedlab
