#include "engine/io/corpus.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/io/file_io.h"
#include "engine/io/turkish_text.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <cstdio>
#include <memory>
#include <set>
#include <unordered_set>

namespace embedlab {
namespace {

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

bool endsWith(const std::string& s, const std::string& suf) {
    return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

}  // namespace

const char* corpusFormatName(CorpusFormat f) {
    switch (f) {
    case CorpusFormat::Auto: return "auto";
    case CorpusFormat::Text: return "text";
    case CorpusFormat::Csv: return "csv";
    case CorpusFormat::Tsv: return "tsv";
    case CorpusFormat::Jsonl: return "jsonl";
    }
    return "?";
}

CorpusFormat parseCorpusFormat(const std::string& name) {
    const std::string n = asciiLower(name);
    if (n == "auto" || n.empty()) return CorpusFormat::Auto;
    if (n == "text" || n == "txt" || n == "md") return CorpusFormat::Text;
    if (n == "csv") return CorpusFormat::Csv;
    if (n == "tsv") return CorpusFormat::Tsv;
    if (n == "jsonl" || n == "ndjson") return CorpusFormat::Jsonl;
    throw Error::badInput("unknown corpus format '" + name + "': use auto, text, csv, tsv or jsonl");
}

CorpusFormat corpusFormatFromPath(const std::string& path) {
    const std::string p = asciiLower(path);
    if (endsWith(p, ".csv")) return CorpusFormat::Csv;
    if (endsWith(p, ".tsv") || endsWith(p, ".tab")) return CorpusFormat::Tsv;
    if (endsWith(p, ".jsonl") || endsWith(p, ".ndjson")) return CorpusFormat::Jsonl;
    return CorpusFormat::Text;
}

const char* textUnitName(TextUnit u) {
    switch (u) {
    case TextUnit::Lines: return "lines";
    case TextUnit::Paragraphs: return "paragraphs";
    case TextUnit::Sentences: return "sentences";
    }
    return "?";
}

TextUnit parseTextUnit(const std::string& name) {
    const std::string n = asciiLower(name);
    if (n == "lines" || n == "line") return TextUnit::Lines;
    if (n == "paragraphs" || n == "paragraph") return TextUnit::Paragraphs;
    if (n == "sentences" || n == "sentence") return TextUnit::Sentences;
    throw Error::badInput("unknown text unit '" + name + "': use lines, paragraphs or sentences");
}

std::vector<std::string> Corpus::texts() const {
    std::vector<std::string> t;
    t.reserve(records.size());
    for (const auto& r : records) t.push_back(r.text);
    return t;
}

// ---------------------------------------------------------------------------------------------
// The streaming reader

namespace {

// A .csv/.tsv/.jsonl line (or a quoted CSV record) is held whole up to this size, then refused.
constexpr size_t kMaxStructuredLine = size_t{64} << 20;

class CorpusReader {
public:
    CorpusReader(const std::string& path, const CorpusOptions& o, const std::function<void(CorpusRecord&&)>& sink)
        : path_(path), o_(o), sink_(sink) {}

    CorpusInfo run(Progress& progress);

private:
    struct StopReading {};

    std::string where(int64_t line) const { return path_ + ":" + std::to_string(line); }
    void onRawLine(std::string_view raw);  // bytes of one line (8-bit / UTF-8)
    void onLine(std::string line);         // UTF-8, no line end
    void onEnd();
    void flushParagraph();
    void emitText(std::string text, const std::string& label, int64_t line);
    void emitRecord(std::string text, std::string label, int64_t line);
    void headerRow(const std::vector<std::string>& fields);
    void tableRow(const std::vector<std::string>& fields, int64_t line);
    std::vector<std::string> parseCsvRecord(const std::string& rec, int64_t line) const;
    static int64_t resolveColumn(const std::string& spec, const std::vector<std::string>& names, bool isText,
                                 const std::string& path);

    std::string path_;
    CorpusOptions o_;
    const std::function<void(CorpusRecord&&)>& sink_;
    const Progress* progress_ = nullptr;  // checked before every record: a sink may be slow (encoding, aligning)
    CorpusInfo info_;
    int64_t lineNo_ = 0;
    bool headerDone_ = false;
    size_t expectedFields_ = 0;
    // paragraphs
    std::string para_;
    int64_t paraLine_ = 0;
    // CSV records spanning lines
    std::string csvRec_;
    int64_t csvLine_ = 0;
    bool csvInQuotes_ = false;
    // stats
    std::unordered_set<uint64_t> seen_, words_;
    std::set<std::string> labels_;
    bool checkMixed_ = false;
    // JSONL: the text field, chosen on the first object (the field chooser's list is info_.columns)
    bool jsonFieldsKnown_ = false;
    std::string jsonText_;
};

int64_t CorpusReader::resolveColumn(const std::string& spec, const std::vector<std::string>& names, bool isText,
                                    const std::string& path) {
    if (spec.empty()) {
        if (!isText) return -1;
        for (const char* cand : {"text", "sentence", "metin", "cümle", "cumle", "content", "body"})
            for (size_t i = 0; i < names.size(); ++i)
                if (turkishLower(names[i]) == cand || asciiLower(names[i]) == cand) return static_cast<int64_t>(i);
        return 0;
    }
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == spec) return static_cast<int64_t>(i);
    if (isAsciiDigits(spec)) {
        const int64_t k = std::stoll(spec);
        if (k < static_cast<int64_t>(names.size())) return k;
    }
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + ("'" + n + "'");
    throw Error::badInput(path + ": no column '" + spec + "' (" + (isText ? "text" : "label") + " column); the columns are " +
                          list);
}

void CorpusReader::emitRecord(std::string text, std::string label, int64_t line) {
    auto& st = info_.stats;
    if (o_.trim) text = trimSpaces(text);
    if (text.empty() && o_.skipEmpty) {
        st.emptySkipped++;
        return;
    }
    if (o_.dedupe && !seen_.insert(fnv1a(text)).second) {
        st.duplicatesRemoved++;
        return;
    }
    int64_t cps = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++cps;
    st.chars += cps;
    if (st.records == 0 || cps < st.minChars) st.minChars = cps;
    st.maxChars = std::max(st.maxChars, cps);
    // words
    size_t i = 0, n;
    while (i < text.size()) {
        while (i < text.size() && (n = utf8SpaceAt(text, i)) > 0) i += n;
        size_t b = i;
        while (i < text.size() && utf8SpaceAt(text, i) == 0) ++i;
        if (i > b) {
            st.words++;
            words_.insert(fnv1a(turkishLower(std::string_view(text).substr(b, i - b))));
        }
    }
    if (!label.empty()) labels_.insert(label);
    st.records++;
    if (progress_) progress_->checkCancelled();
    sink_(CorpusRecord{std::move(text), std::move(label), line});
    if (o_.maxRecords > 0 && st.records >= o_.maxRecords) throw StopReading{};
}

void CorpusReader::emitText(std::string text, const std::string& label, int64_t line) {
    if (o_.unit == TextUnit::Sentences) {
        for (auto& s : splitSentences(text)) emitRecord(std::move(s), label, line);
    } else {
        emitRecord(std::move(text), label, line);
    }
}

void CorpusReader::flushParagraph() {
    if (!para_.empty()) emitText(std::move(para_), {}, paraLine_);
    para_.clear();
}

std::vector<std::string> CorpusReader::parseCsvRecord(const std::string& rec, int64_t line) const {
    std::vector<std::string> fields;
    std::string f;
    bool quoted = false, wasQuoted = false;
    for (size_t i = 0; i < rec.size(); ++i) {
        const char c = rec[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < rec.size() && rec[i + 1] == '"') {
                    f.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                f.push_back(c);
            }
        } else if (c == '"' && f.empty() && !wasQuoted) {
            quoted = wasQuoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(f));
            f.clear();
            wasQuoted = false;
        } else if (c == '"') {
            throw Error::badInput(where(line) + ": a quote inside an unquoted CSV field (RFC 4180: quote the whole field "
                                                "and double the quote)");
        } else {
            if (wasQuoted && c != ' ' && c != '\r')
                throw Error::badInput(where(line) + ": text after the closing quote of a CSV field");
            if (!wasQuoted) f.push_back(c);
        }
    }
    fields.push_back(std::move(f));
    return fields;
}

void CorpusReader::headerRow(const std::vector<std::string>& fields) {
    headerDone_ = true;
    expectedFields_ = fields.size();
    if (o_.header) {
        for (const auto& f : fields) info_.columns.push_back(trimSpaces(f));
    } else {
        for (size_t i = 0; i < fields.size(); ++i) info_.columns.push_back(std::to_string(i));
    }
    info_.textColumn = resolveColumn(o_.textColumn, info_.columns, true, path_);
    info_.labelColumn = resolveColumn(o_.labelColumn, info_.columns, false, path_);
}

void CorpusReader::tableRow(const std::vector<std::string>& fields, int64_t line) {
    if (!headerDone_) {
        headerRow(fields);
        if (o_.header) return;
    }
    if (info_.format == CorpusFormat::Tsv && fields.size() != expectedFields_)
        throw Error::badInput(where(line) + ": ragged TSV: " + std::to_string(fields.size()) + " fields where the " +
                              (o_.header ? "header has " : "first line has ") + std::to_string(expectedFields_));
    const int64_t need = std::max(info_.textColumn, info_.labelColumn);
    if (static_cast<int64_t>(fields.size()) <= need)
        throw Error::badInput(where(line) + ": missing column: the row has " + std::to_string(fields.size()) +
                              " fields, column " + std::to_string(need) + " ('" + info_.columns[static_cast<size_t>(need)] +
                              "') is needed");
    std::string label = info_.labelColumn >= 0 ? trimSpaces(fields[static_cast<size_t>(info_.labelColumn)]) : std::string();
    emitText(fields[static_cast<size_t>(info_.textColumn)], label, line);
}

void CorpusReader::onLine(std::string line) {
    ++lineNo_;
    info_.stats.lines = lineNo_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    switch (info_.format) {
    case CorpusFormat::Auto:
    case CorpusFormat::Text:
        if (o_.unit == TextUnit::Lines) {
            emitText(std::move(line), {}, lineNo_);
        } else {
            if (trimSpaces(line).empty()) {
                flushParagraph();
            } else {
                // A paragraph is held up to maxLineBytes: a longer one goes out in pieces.
                if (!para_.empty() && o_.maxLineBytes > 0 &&
                    static_cast<int64_t>(para_.size() + 1 + line.size()) > o_.maxLineBytes)
                    flushParagraph();
                if (para_.empty()) {
                    paraLine_ = lineNo_;
                    para_ = trimSpaces(line);
                } else {
                    para_ += ' ';
                    para_ += trimSpaces(line);
                }
            }
        }
        break;
    case CorpusFormat::Tsv: {
        if (line.empty()) break;
        std::vector<std::string> fields;
        size_t b = 0;
        while (true) {
            const size_t t = line.find('\t', b);
            fields.push_back(line.substr(b, t == std::string::npos ? std::string::npos : t - b));
            if (t == std::string::npos) break;
            b = t + 1;
        }
        tableRow(fields, lineNo_);
        break;
    }
    case CorpusFormat::Csv: {
        if (!csvInQuotes_) {
            if (line.empty()) break;
            csvRec_.clear();
            csvLine_ = lineNo_;
        } else {
            csvRec_.push_back('\n');
        }
        csvRec_ += line;
        if (csvInQuotes_ && o_.maxLineBytes > 0 && csvRec_.size() > kMaxStructuredLine)
            throw Error::badInput(where(csvLine_) + ": a quoted field runs on past " + std::to_string(kMaxStructuredLine >> 20) +
                                  " MiB (an unterminated quote?)");
        for (char c : line)
            if (c == '"') csvInQuotes_ = !csvInQuotes_;  // "" toggles twice: still correct
        if (!csvInQuotes_) tableRow(parseCsvRecord(csvRec_, csvLine_), csvLine_);
        break;
    }
    case CorpusFormat::Jsonl: {
        if (trimSpaces(line).empty()) break;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const std::exception& e) {
            throw Error::badInput(where(lineNo_) + ": not valid JSON (" + std::string(e.what()) + ")");
        }
        if (!j.is_object()) throw Error::badInput(where(lineNo_) + ": each line must be a JSON object");
        auto field = [&](const std::string& spec, bool required) -> std::string {
            const nlohmann::json* cur = &j;
            size_t b = 0;
            while (true) {
                const size_t dot = spec.find('.', b);
                const std::string key = spec.substr(b, dot == std::string::npos ? std::string::npos : dot - b);
                if (!cur->is_object() || !cur->contains(key)) {
                    if (!required) return {};
                    std::string keys;
                    if (j.is_object())
                        for (auto it = j.begin(); it != j.end(); ++it) keys += (keys.empty() ? "" : ", ") + it.key();
                    throw Error::badInput(where(lineNo_) + ": missing field '" + spec + "' (the object has: " + keys + ")");
                }
                cur = &(*cur)[key];
                if (dot == std::string::npos) break;
                b = dot + 1;
            }
            if (cur->is_string()) return cur->get<std::string>();
            if (cur->is_number() || cur->is_boolean()) return cur->dump();
            if (cur->is_null()) return {};
            throw Error::badInput(where(lineNo_) + ": field '" + spec + "' is not a string");
        };
        if (!jsonFieldsKnown_) {
            // The first object's fields (nested ones as a.b, arrays left out) are the columns; without a
            // chosen field the text is the one a table's text column would be (text, sentence, metin,
            // cümle, content, body — else the first field).
            jsonFieldsKnown_ = true;
            std::function<void(const nlohmann::json&, const std::string&)> walk = [&](const nlohmann::json& o,
                                                                                      const std::string& prefix) {
                for (auto it = o.begin(); it != o.end(); ++it) {
                    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
                    if (it->is_object()) walk(*it, key);
                    else if (!it->is_array()) info_.columns.push_back(key);
                }
            };
            walk(j, {});
            jsonText_ = o_.textColumn;
            if (jsonText_.empty())
                jsonText_ = info_.columns.empty() ? std::string("text")
                                                  : info_.columns[static_cast<size_t>(resolveColumn("", info_.columns, true, path_))];
            auto indexOf = [&](const std::string& name) -> int64_t {
                for (size_t i = 0; i < info_.columns.size(); ++i)
                    if (info_.columns[i] == name) return static_cast<int64_t>(i);
                return -1;
            };
            info_.textColumn = indexOf(jsonText_);
            info_.labelColumn = o_.labelColumn.empty() ? -1 : indexOf(o_.labelColumn);
        }
        const std::string text = field(jsonText_, true);
        const std::string label = o_.labelColumn.empty() ? std::string() : field(o_.labelColumn, true);
        emitText(text, label, lineNo_);
        break;
    }
    }
}

void CorpusReader::onRawLine(std::string_view raw) {
    const int64_t line = lineNo_ + 1;
    if (info_.encoding == TextEncoding::Utf8) {
        if (!isValidUtf8(raw))
            throw Error::badInput(where(line) + ": this line is not valid UTF-8" +
                                  (info_.encodingDetected ? " although the file before it is (mixed encodings in one file?)"
                                                          : "") +
                                  "; convert the file to UTF-8 or choose its encoding (e.g. windows-1254)");
        onLine(std::string(raw));
        return;
    }
    if (checkMixed_) {
        bool multi = false;
        if (isValidUtf8Sample(raw, multi) && multi && isValidUtf8(raw))
            throw Error::badInput(where(line) + ": this line is UTF-8 but the file was detected as " +
                                  std::string(encodingName(info_.encoding)) +
                                  " from its start (mixed encodings in one file); convert the file to one encoding");
    }
    std::string out;
    appendDecoded8bit(raw, info_.encoding, out);
    onLine(std::move(out));
}

void CorpusReader::onEnd() {
    if (info_.format == CorpusFormat::Csv && csvInQuotes_)
        throw Error::badInput(where(csvLine_) + ": a CSV quote opened here is never closed");
    if ((info_.format == CorpusFormat::Text || info_.format == CorpusFormat::Auto) && o_.unit != TextUnit::Lines)
        flushParagraph();
}

CorpusInfo CorpusReader::run(Progress& progress) {
    progress_ = &progress;
    info_.path = path_;
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) throw Error::badInput("cannot open " + path_ + ": no such file");
    if (S_ISDIR(st.st_mode)) throw Error::badInput(path_ + " is a folder, not a corpus file");
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path_.c_str(), "rb"), &std::fclose);
    if (!f) throw Error::badInput("cannot open " + path_ + " for reading");
    info_.stats.bytes = static_cast<int64_t>(st.st_size);
    info_.format = o_.format == CorpusFormat::Auto ? corpusFormatFromPath(path_) : o_.format;

    const size_t kChunk = 1 << 20;
    std::string buf(kChunk, '\0');
    size_t got = std::fread(&buf[0], 1, kChunk, f.get());
    buf.resize(got);
    const EncodingGuess g = detectEncoding(std::string_view(buf).substr(0, 64 * 1024));
    if (g.binary && (o_.encoding == TextEncoding::Auto || o_.encoding == TextEncoding::Utf8 ||
                     o_.encoding == TextEncoding::Windows1254 || o_.encoding == TextEncoding::Iso8859_9))
        throw Error::badInput(path_ + " looks like a binary file (" + g.reason +
                              "), not text: a corpus is a .txt, .md, .csv, .tsv or .jsonl file");
    size_t skip = 0;
    if (o_.encoding == TextEncoding::Auto) {
        info_.encoding = g.encoding;
        info_.encodingReason = g.reason;
        skip = g.bomBytes;
        checkMixed_ = info_.encoding == TextEncoding::Windows1254 || info_.encoding == TextEncoding::Iso8859_9;
    } else {
        info_.encoding = o_.encoding;
        info_.encodingDetected = false;
        info_.encodingReason = "given";
        // skip a BOM that matches the given encoding
        if (g.bomBytes && g.encoding == o_.encoding) skip = g.bomBytes;
    }
    const bool utf16 = info_.encoding == TextEncoding::Utf16LE || info_.encoding == TextEncoding::Utf16BE;
    Utf16Decoder u16(info_.encoding == TextEncoding::Utf16BE);
    std::string pending;  // an incomplete line (raw bytes, or UTF-8 for UTF-16 input)
    std::string decoded;  // UTF-16 input: this chunk as UTF-8
    int64_t done = 0;
    // Long lines: `pending` never holds more than maxLineBytes of one line; past that the line's rest
    // is skipped up to its newline (`skipping`).
    // Plain text loses only a long line's tail; a .csv/.tsv/.jsonl record cut short would be a different
    // (or broken) record, so there a line is read whole up to kMaxStructuredLine and refused past it.
    const bool plainText = info_.format == CorpusFormat::Text;
    const size_t cap = o_.maxLineBytes <= 0 ? std::string::npos
                       : plainText         ? static_cast<size_t>(o_.maxLineBytes)
                                           : std::max(static_cast<size_t>(o_.maxLineBytes), kMaxStructuredLine);
    const bool utf8Cut = info_.encoding == TextEncoding::Utf8 || utf16;
    bool skipping = false;
    auto cutLength = [&](std::string_view line) {  // ≤ cap, at a character boundary
        size_t n = std::min(cap, line.size());
        if (utf8Cut)
            while (n > 0 && n < line.size() && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
        return n;
    };
    auto truncated = [&](int64_t line) {
        if (!plainText)
            throw Error::badInput(where(line) + ": a line longer than " + std::to_string(cap >> 20) +
                                  " MiB in a " + corpusFormatName(info_.format) +
                                  " file (its records are read whole): split the file, or read it as plain text");
        if (info_.stats.truncatedLines++ == 0) {
            info_.stats.firstTruncatedLine = line;
            progress.log(where(line) + ": a line longer than " + std::to_string(cap) + " bytes keeps its first " +
                         std::to_string(cap) + " (later long lines are cut too; CorpusStats::truncatedLines counts them)");
        }
    };
    try {
        bool first = true;
        while (!buf.empty() || first) {
            std::string_view chunk(buf);
            if (first) chunk.remove_prefix(std::min(skip, chunk.size()));
            first = false;
            if (utf16) {
                decoded.clear();
                u16.feed(chunk, decoded);
                chunk = decoded;
            }
            if (skipping) {
                const size_t nl = chunk.find('\n');
                if (nl == std::string_view::npos) chunk = {};
                else {
                    chunk.remove_prefix(nl);
                    skipping = false;
                }
            }
            pending.append(chunk.data(), chunk.size());
            size_t b = 0;
            while (true) {
                const size_t nl = pending.find('\n', b);
                if (nl == std::string::npos) break;
                std::string_view line = std::string_view(pending).substr(b, nl - b);
                if (line.size() > cap && !(line.size() == cap + 1 && line.back() == '\r')) {  // CRLF: the \r is not text
                    truncated(lineNo_ + 1);
                    line = line.substr(0, cutLength(line));
                }
                if (utf16) {
                    onLine(std::string(line));
                } else {
                    onRawLine(line);
                }
                b = nl + 1;
            }
            pending.erase(0, b);
            if (pending.size() > cap && !(pending.size() == cap + 1 && pending.back() == '\r')) {  // no end yet, too long
                truncated(lineNo_ + 1);
                pending.resize(cutLength(pending));
                skipping = true;
            }
            done += static_cast<int64_t>(buf.size());
            progress.report(info_.stats.bytes > 0 ? static_cast<double>(done) / static_cast<double>(info_.stats.bytes) : 1.0,
                            "reading " + baseName(path_));
            buf.resize(kChunk);
            got = std::fread(&buf[0], 1, kChunk, f.get());
            buf.resize(got);
            if (got == 0) break;
        }
        if (utf16 && !skipping) u16.finish(pending);
        if (!pending.empty()) {
            if (utf16) onLine(std::move(pending));
            else onRawLine(pending);
        }
        onEnd();
    } catch (const StopReading&) {
    }
    auto& s = info_.stats;
    s.uniqueWords = static_cast<int64_t>(words_.size());
    s.distinctLabels = static_cast<int64_t>(labels_.size());
    s.meanChars = s.records ? static_cast<double>(s.chars) / static_cast<double>(s.records) : 0.0;
    if (s.records == 0) {
        std::string why = s.lines == 0 ? "the file is empty" : "no non-empty text records in " + std::to_string(s.lines) + " lines";
        if (s.duplicatesRemoved) why += " after removing duplicates";
        throw Error::badInput(path_ + ": empty corpus (" + why + ")");
    }
    progress.report(1.0, "reading " + baseName(path_));
    return info_;
}

}  // namespace

CorpusInfo streamCorpus(const std::string& path, const CorpusOptions& options,
                        const std::function<void(CorpusRecord&&)>& sink, Progress& progress) {
    CorpusReader r(path, options, sink);
    return r.run(progress);
}

Corpus readCorpus(const std::string& path, const CorpusOptions& options, Progress& progress) {
    Corpus c;
    c.info = streamCorpus(path, options, [&](CorpusRecord&& r) { c.records.push_back(std::move(r)); }, progress);
    return c;
}

}  // namespace embedlab