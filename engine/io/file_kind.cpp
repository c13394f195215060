#include "engine/io/file_kind.h"

#include "engine/io/file_io.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace embedlab {

const char* fileKindName(FileKind k) {
    switch (k) {
    case FileKind::ModelFolder: return "model folder";
    case FileKind::Tokenizer: return "tokenizer";
    case FileKind::Corpus: return "corpus";
    case FileKind::Vectors: return "vectors";
    case FileKind::Missing: return "missing";
    case FileKind::Unknown: return "unknown";
    }
    return "unknown";
}

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string firstLine(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string line;
    char c;
    while (line.size() < 65536 && f.get(c) && c != '\n') line.push_back(c);
    return line;
}

bool looksBinary(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    char buf[4096];
    f.read(buf, sizeof(buf));
    const auto n = f.gcount();
    for (std::streamsize i = 0; i < n; ++i)
        if (buf[i] == '\0') return true;
    return false;
}

// A line of whitespace/tab separated numbers (optionally after one leading token, as in GloVe/.vec).
bool numericRow(const std::string& line, bool allowLeadingWord) {
    size_t i = 0, fields = 0, numbers = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        if (i >= line.size()) break;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
        const std::string tok = line.substr(i, j - i);
        char* end = nullptr;
        std::strtod(tok.c_str(), &end);
        if (end && *end == '\0') ++numbers;
        ++fields;
        i = j;
    }
    if (fields < 2) return false;
    return numbers == fields || (allowLeadingWord && numbers + 1 == fields && numbers >= 2);
}

}  // namespace

FileKind classifyPath(const std::string& path, std::string* why) {
    if (path.empty() || ::access(path.c_str(), R_OK) != 0) {
        if (why) *why = "cannot read " + (path.empty() ? std::string("an empty path") : path);
        return FileKind::Missing;
    }
    if (isDirectory(path)) {
        if (isRegularFile(joinPath(path, "config.json"))) return FileKind::ModelFolder;
        for (const char* f : {"tokenizer.json", "tokenizer.json.gz", "tokenizer.model", "kokler.json"})
            if (isRegularFile(joinPath(path, f))) return FileKind::Tokenizer;
        if (why)
            *why = path + " is a folder without config.json (a model) or tokenizer files (tokenizer.json, "
                          "tokenizer.model, kokler.json)";
        return FileKind::Unknown;
    }
    const std::string name = lower(baseName(path));
    if (name == "tokenizer.json" || name == "tokenizer.json.gz" || endsWith(name, ".model")) return FileKind::Tokenizer;
    if (endsWith(name, ".npy") || endsWith(name, ".safetensors") || endsWith(name, ".vec")) return FileKind::Vectors;
    if (endsWith(name, ".bin")) {
        // word2vec binary starts with an ASCII header "count dim\n".
        const std::string l = firstLine(path);
        if (numericRow(l, false)) return FileKind::Vectors;
        if (why) *why = path + ": a .bin file that is not word2vec binary (header 'count dim')";
        return FileKind::Unknown;
    }
    if (endsWith(name, ".tsv") || endsWith(name, ".txt")) {
        if (looksBinary(path)) {
            if (why) *why = path + " holds binary data, not text";
            return FileKind::Unknown;
        }
        const std::string l = firstLine(path);
        if (numericRow(l, endsWith(name, ".txt"))) return FileKind::Vectors;
        return FileKind::Corpus;
    }
    if (endsWith(name, ".md") || endsWith(name, ".csv") || endsWith(name, ".jsonl")) {
        if (looksBinary(path)) {
            if (why) *why = path + " holds binary data, not text";
            return FileKind::Unknown;
        }
        return FileKind::Corpus;
    }
    if (why)
        *why = baseName(path) +
               " is not a kind embedlab opens: drop a model folder, a tokenizer (tokenizer.json, .model), a corpus "
               "(.txt .md .csv .tsv .jsonl) or vectors (.npy .safetensors .vec .bin .tsv)";
    return FileKind::Unknown;
}

}  // namespace embedlab
