// embedlab engine — Turkish-aware sentence splitting of UTF-8 text (the corpus reader's `sentences` unit).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace embedlab {

// A sentence ends at . ! ? … or "..." (with any closing quotes/brackets after it) when whitespace and
// then an upper-case letter, a digit, an opening quote/bracket or the end of the text follow. Not after:
// abbreviations (Dr. Prof. Doç. Av. No. Sn. bkz. örn. ...; vb. vs. vd. end a sentence only before an
// upper-case word), single-letter initials ("A. Hamdi"), and ordinals before a lower-case word
// ("15. yüzyıl"); "3.5" has no space so never splits. Sentences are trimmed; empty ones are dropped.
std::vector<std::string> splitSentences(std::string_view text);

}  // namespace embedlab
