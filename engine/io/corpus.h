// embedlab engine — text corpora: reading .txt/.md (units: lines, paragraphs or sentences),
// .csv (RFC 4180) / .tsv (text and label column by name or index) and .jsonl (fields); de-duplication;
// statistics. The public header of the corpus code: it also brings in the pieces the reader is built
// from — encodings (engine/io/text_encoding.h), sentence splitting (engine/io/sentence_splitter.h) and
// Turkish casing (engine/io/turkish_text.h).
//
// Files stream: they are read in 1 MiB chunks, decoded to UTF-8 and cut into records that go to a
// callback, so a 1 GB file is never held in memory (readCorpus() keeps only the records), and a line is
// held up to CorpusOptions::maxLineBytes, so neither is a 1 GB line. Progress
// is reported per chunk (by bytes) and cancellation is checked at the same time.
//
// The encoding is detected from the first 64 KiB unless given (detectEncoding(): a BOM, UTF-16's NUL
// bytes, valid UTF-8, else Windows-1254 or ISO-8859-9; reported in `encodingReason`).
//
// Bad input (Error::badInput, with file and line): a binary file (NUL bytes / control characters),
// a UTF-8 file whose later line is not UTF-8 (mixed encodings — the first bad line is named), a
// missing column or field, a ragged TSV line, an unterminated CSV quote, invalid JSON, an empty corpus.
#pragma once

#include "engine/io/sentence_splitter.h"
#include "engine/io/text_encoding.h"
#include "engine/io/turkish_text.h"
#include "engine/jobs/progress.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace embedlab {

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
    // sentence, metin, cümle, content or body, else column 0. .jsonl: a field name (a.b reads nested fields;
    // "" = the first object's field with one of those names, else its first field).
    std::string textColumn;
    std::string labelColumn;  // "" = no labels
    bool header = true;       // .csv/.tsv: the first row holds column names
    bool dedupe = false;      // drop exact repeats of an earlier record (by 64-bit hash of the text)
    bool trim = true;         // trim spaces at both ends of each record
    bool skipEmpty = true;    // drop empty records
    int64_t maxRecords = 0;   // stop after this many records (0 = all)
    // Plain text: a line longer than this keeps its first maxLineBytes (cut at a character boundary);
    // the rest is read and discarded, never held: a 1 GB one-line file is read in bounded memory.
    // Counted in CorpusStats::truncatedLines and logged. A .csv/.tsv/.jsonl line is read whole up to
    // 64 MiB (or maxLineBytes if larger) and refused past it (Error::badInput naming the line): a cut
    // record would be a different one. 0 = no limit.
    int64_t maxLineBytes = 1 << 20;
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
    int64_t truncatedLines = 0;      // lines cut at CorpusOptions::maxLineBytes
    int64_t firstTruncatedLine = 0;  // 1-based, 0 when none
};

struct CorpusInfo {
    std::string path;
    CorpusFormat format = CorpusFormat::Text;
    TextEncoding encoding = TextEncoding::Utf8;
    bool encodingDetected = true;  // false when given by the caller
    std::string encodingReason;
    std::vector<std::string> columns;  // .csv/.tsv header names (or "0", "1", ... without a header); .jsonl: the first object's fields
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

}  // namespace embedlab
