// `embedlab-cli tokenize`: one JSON line per input line.
//   tokenize --tokenizer PATH [--add-special] [--input FILE]         → {"ids":[...],"tokens":[...]}
//   tokenize --tokenizer PATH --decode [--skip-special] [--input FILE] → {"text":"..."} per JSON id array
// Lines are split on '\n' (a trailing '\r' is dropped). Invalid UTF-8 is replaced by U+FFFD with a
// warning naming the line on stderr. An empty line encodes to no tokens (plus the post-processor's
// specials with --add-special); in --decode mode it decodes as [].
// A seed-format Turkish tokenizer encodes losslessly unless --turkish-encoding reference asks for the
// seed reference implementation's ids (docs/tokenizers.md).
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/tokenizers/turkish_tokenizer.h"

#include <cstdio>
#include <fstream>
#include <iostream>

namespace embedlab::cli {
namespace {

std::vector<int64_t> parseIds(const std::string& line, size_t lineNo) {
    if (line.find_first_not_of(" \t") == std::string::npos) return {};
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    auto bad = [&]() {
        return Error::badInput("line " + std::to_string(lineNo) + ": expected a JSON array of token ids, got '" +
                               line.substr(0, 80) + "'");
    };
    if (j.is_discarded() || !j.is_array()) throw bad();
    std::vector<int64_t> ids;
    ids.reserve(j.size());
    for (const auto& v : j) {
        if (!v.is_number_integer()) throw bad();
        ids.push_back(v.get<int64_t>());
    }
    return ids;
}

int runTokenize(Args& a) {
    const std::string path = a.require("tokenizer");
    const bool decode = a.has("decode");
    if (a.has("skip-special") && !decode) throw UsageError("--skip-special applies only with --decode");
    if (a.has("add-special") && decode) throw UsageError("--add-special applies only without --decode");
    std::unique_ptr<Tokenizer> tok;
    if (a.has("turkish-encoding")) {
        const std::string mode = a.get("turkish-encoding");
        if (mode != "lossless" && mode != "reference")
            throw UsageError("--turkish-encoding is lossless or reference, not '" + mode + "'");
        if (!isTurkishTokenizerDir(path))
            throw UsageError("--turkish-encoding applies only to a seed-format Turkish tokenizer folder");
        tok = loadTurkishTokenizer(path, mode == "reference" ? TurkishEncoding::Reference : TurkishEncoding::Lossless);
    } else {
        tok = loadTokenizer(path);
    }

    std::ifstream file;
    std::istream* in = &std::cin;
    if (a.has("input")) {
        const std::string inPath = a.get("input");
        file.open(inPath, std::ios::binary);
        if (!file) throw Error::badInput("cannot open input file " + inPath);
        in = &file;
    }
    const bool addSpecial = a.has("add-special"), skipSpecial = a.has("skip-special");
    std::string line;
    size_t lineNo = 0;
    while (std::getline(*in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (const size_t n = sanitizeUtf8(line))
            std::fprintf(stderr, "warning: line %zu: %zu invalid UTF-8 sequence%s replaced by U+FFFD\n", lineNo, n,
                         n == 1 ? "" : "s");
        if (decode) {
            printJson({{"text", tok->decode(parseIds(line, lineNo), skipSpecial)}});
        } else {
            const Encoding e = tok->encode(line, addSpecial);
            printJson({{"ids", e.ids}, {"tokens", e.tokens}});
        }
    }
    if (in->bad()) throw Error::runtime("reading the input failed");
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"tokenize",
                            "tokenize --tokenizer PATH [--add-special] [--turkish-encoding lossless|reference] [--input FILE]\n"
                            "tokenize --tokenizer PATH --decode [--skip-special] [--input FILE]",
                            {"add-special", "decode", "skip-special"},
                            {"tokenizer", "input", "turkish-encoding"},
                            runTokenize});

}  // namespace embedlab::cli
