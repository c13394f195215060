// embedlab engine — text corpora: reading .txt/.md (units: lines, paragraphs or sentences),
// .csv (RFC 4180) / .tsv (text and label column by name or index) and .jsonl (fields) in UTF-8 (with
// or without BOM), UTF-16 LE/BE (BOM), Windows-1254 or ISO-8859-9; Turkish sentence splitting;
// de-duplication; statistics. Turkish casing: engine/io/turkish_text.h (included).
//
// Files stream: they are read in 1 MiB chunks, decoded to UTF-8 and cut into records that go to a
// callback, so a 1 GB file is never held in memory (readCorpus() keeps only the records). Progress
// is reported per chunk (by bytes) and cancellation is checked at the same time.
//
// Encoding detection (unless overridden): a BOM (UTF-8, UTF-16 LE/BE); UTF-16 without BOM from the
// pattern of NUL bytes; else UTF-8 when the first 64 KiB are valid UTF-8; else an 8-bit Turkish code
// page: Windows-1254 when bytes 0x80–0x9F occur (they are printable there — ’ “ ” – … € — and C1
// controls in ISO-8859-9), else ISO-8859-9 (both decode such a file identically); the Turkish
// letters ç ğ ı İ ö ş ü counted in 0xC0–0xFF back the guess up (reported in `encodingReason`).
//
// Bad input (Error::badInput, with file and line): a binary file (NUL bytes / control characters),
// a UTF-8 file whose later line is not UTF-8 (mixed encodings — the first bad line is named), a
// missing column or field, a ragged TSV line, an unterminated CSV quote, invalid JSON, an empty corpus.
#pragma once

#include "engine/core/utf8.h"
#include "engine/io/turkish_text.h"
#include "engine/jobs/progress.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace embedlab {

enum class TextEncoding { Auto, Utf8, Utf16LE, Utf16BE, Windows1254, Iso8859_9 };
// "auto", "utf-8", "utf-16le", "utf-16be", "windows-1254", "iso-8859-9".
const char* encodingName(TextEncoding e);
// Accepts the names above and common aliases (utf8, cp1254, latin5, iso8859-9, ...). Throws BadInput.
TextEncoding parseEncoding(const std::string& name);

struct EncodingGuess {
    TextEncoding encoding = TextEncoding::Utf8;
    size_t bomBytes = 0;   // bytes of BOM to skip
    bool binary = false;   // the sample looks like binary data, not text
    std::string reason;    // why, for the user ("UTF-8 BOM", "valid UTF-8", "bytes 0x80–0x9F: ’ “ ” …")
};
// Guesses from the first bytes of a file (64 KiB are plenty).
EncodingGuess detectEncoding(std::string_view sample);
// Decodes a whole buffer (no BOM) to UTF-8. UTF-8 input is validated (throws BadInput when invalid).
std::string decodeToUtf8(std::string_view bytes, TextEncoding encoding);
// isValidUtf8(): engine/core/utf8.h.

enum class CorpusFormat { Auto, Text, Csv, Tsv, Jsonl };
const char* corpusFormatName(CorpusFormat f);  // "auto", "text", "csv", "tsv", "jsonl"
CorpusFormat parseCorpusFormat(const std::string& name);
// From the extension: .csv → Csv, .tsv/.tab → Tsv, .jsonl/.ndjson → Jsonl, anything else → Text.
CorpusFormat corpusFormatFromPath(const std::string& path);

enum class TextUnit { Lines, Paragraphs, Sentences };
const char* textUnitName(TextUnit u);  // "lines", "paragraphs", "sentences"
TextUnit parseTextUnit(const std::string& name);

struct CorpusOptions {
    CorpusFormat format = CorpusFormat::Auto;
    TextEncoding encoding = TextEncoding::Auto;  // Auto = detect
    TextUnit unit = TextUnit::Lines;             // .txt/.md; Sentences also applies to table/JSONL text
    // .csv/.tsv: a column name (from the header) or a 0-based index; "" = a column named text,
    // sentence, metin or cümle, else column 0. .jsonl: a field name ("" = "text"); a.b reads nested fields.
    std::string textColumn;
    std::string labelColumn;  // "" = no labels
    bool header = true;       // .csv/.tsv: the first row holds column names
    bool dedupe = false;      // drop exact repeats of an earlier record (by 64-bit hash of the text)
    bool trim = true;         // trim spaces at both ends of each record
    bool skipEmpty = true;    // drop empty records
    int64_t maxRecords = 0;   // stop after this many records (0 = all)
};

struct CorpusRecord {
    std::string text;
    std::string label;  // "" when there is no label column
    int64_t line = 0;   // 1-based line where the record starts
};

struct CorpusStats {
    int64_t records = 0;
    int64_t lines = 0;             // lines read
    int64_t bytes = 0;             // bytes of the file
    int64_t chars = 0;             // Unicode code points in the kept records
    int64_t words = 0;             // whitespace-separated words in the kept records
    int64_t uniqueWords = 0;       // distinct words after Turkish lower-casing
    int64_t duplicatesRemoved = 0;
    int64_t emptySkipped = 0;
    int64_t minChars = 0, maxChars = 0;
    double meanChars = 0;
    int64_t distinctLabels = 0;
};

struct CorpusInfo {
    std::string path;
    CorpusFormat format = CorpusFormat::Text;
    TextEncoding encoding = TextEncoding::Utf8;
    bool encodingDetected = true;  // false when given by the caller
    std::string encodingReason;
    std::vector<std::string> columns;  // .csv/.tsv header names (or "0", "1", ... without a header)
    int64_t textColumn = -1, labelColumn = -1;
    CorpusStats stats;
};

// Streams the corpus, calling `sink` once per record. Returns what was read. Throws Error.
CorpusInfo streamCorpus(const std::string& path, const CorpusOptions& options,
                        const std::function<void(CorpusRecord&&)>& sink, Progress& progress = nullProgress());

struct Corpus {
    std::vector<CorpusRecord> records;
    CorpusInfo info;
    std::vector<std::string> texts() const;
};
Corpus readCorpus(const std::string& path, const CorpusOptions& options = {}, Progress& progress = nullProgress());

// Turkish-aware sentence splitting of UTF-8 text. A sentence ends at . ! ? … or "..." (with any
// closing quotes/brackets after it) when whitespace and then an upper-case letter, a digit, an opening
// quote/bracket or the end of the text follow. Not after: abbreviations (Dr. Prof. Doç. Av. No. Sn.
// bkz. örn. ...; vb. vs. vd. end a sentence only before an upper-case word), single-letter initials
// ("A. Hamdi"), and ordinals before a lower-case word ("15. yüzyıl"); "3.5" has no space so never splits.
std::vector<std::string> splitSentences(std::string_view text);

}  // namespace embedlab
