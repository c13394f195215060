// embedlab engine — Turkish suffixes as templates with archiphonemes, realised by vowel harmony and
// consonant alternation, for the morphology-aware tokenizer (engine/tokenizers/morph_tokenizer_trainer.h).
//
// A template is written as in Turkish grammars (and the nlptoolkit lexicon): A = a|e (two-way harmony),
// H = ı|i|u|ü (four-way), D = d|t, C = c|ç, G = g|k (t, ç, k after a voiceless consonant — fıstıkçı
// şahap), a parenthesised (y), (n) or (s) only after a vowel, (H) or (A) only after a consonant; other
// letters stand for themselves. "(y)lA" after "araba" is "yla", after "kitap" "la"; "DAn" after "kitap"
// is "tan", after "ev" "den". In a chain, a suffix's final k (-lHk, -DHk, -(y)AcAk, -CHk, -mAk) becomes ğ
// before a vowel: kitap + lHk + (y)H = "lığı".
#pragma once

#include <string>
#include <vector>

namespace embedlab {

// Turkish phonology of one lowercase code point (the circumflexed â, î, û are vowels too): the decoder of
// the seed format and the suffix realisation use these.
bool isTurkishVowel(char32_t c);
bool isTurkishFrontVowel(char32_t c);  // e i ö ü î
bool isTurkishRoundVowel(char32_t c);  // o ö u ü û
bool isTurkishHighVowel(char32_t c);   // ı i u ü î û
bool isTurkishVoiceless(char32_t c);   // f s t k ç ş h p (fıstıkçı şahap)

// The built-in inventory: the common inflectional suffixes of nouns and verbs, person and copula
// endings, and the productive derivational suffixes (docs/tokenizers.md lists them).
const std::vector<std::string>& turkishSuffixTemplates();

// The surface form of `tmpl` after the lowercase `stem` (UTF-32). Throws Error(BadInput) for a
// malformed template.
std::u32string realizeSuffix(const std::string& tmpl, const std::u32string& stem);

// The surface form of a chain of templates after `stem`, with the final-k softening.
std::u32string realizeSuffixChain(const std::vector<std::string>& chain, const std::u32string& stem);

// Every surface form a chain takes after any stem (each last vowel, after a vowel, a voiced and a
// voiceless consonant), sorted and unique: the allomorph group that shares one id.
std::vector<std::u32string> suffixChainForms(const std::vector<std::string>& chain);

// Reads a word's rest after its root as a chain of templates.
class SuffixParser {
public:
    explicit SuffixParser(std::vector<std::string> templates = turkishSuffixTemplates());
    // The fewest templates whose chain realised after `stem` spells `rest` exactly (the first in template
    // order among equals), at most `maxLength` of them; empty when none does (and for an empty `rest`).
    std::vector<std::string> parse(const std::u32string& stem, const std::u32string& rest, int maxLength = 5) const;

private:
    std::vector<std::string> templates_;
    // realised_[context][t]: template t after a stem of that context (last vowel's harmony class × the
    // last letter a vowel, a voiced or a voiceless consonant), which is all a realisation depends on.
    std::vector<std::vector<std::u32string>> realised_;
    std::vector<bool> softens_;
    size_t longest_ = 0;  // the longest realisation: a rest longer than maxLength × this cannot parse
};

// SuffixParser(templates).parse(stem, rest, maxLength).
std::vector<std::string> parseSuffixChain(const std::u32string& stem, const std::u32string& rest,
                                          const std::vector<std::string>& templates, int maxLength = 5);

}  // namespace embedlab
