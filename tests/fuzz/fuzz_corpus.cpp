// Corpora: encoding detection and decoding of raw bytes, the sentence splitter, and the corpus reader
// on a file (the first byte picks the format: text, csv, tsv or jsonl, and the unit).
#include "fuzz_common.h"
#include "engine/io/corpus.h"

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    fuzz::expectResultOrError([&] {
        const EncodingGuess g = detectEncoding(bytes);
        const std::string utf8 = decodeToUtf8(bytes, g.encoding);
        FUZZ_CHECK(isValidUtf8(utf8));  // decoding always produces valid UTF-8
        (void)splitSentences(utf8);
        (void)turkishLower(utf8);
        (void)turkishUpper(utf8);
    });
    static const char* ext[] = {".txt", ".csv", ".tsv", ".jsonl"};
    const std::string path = fuzz::writeScratch(std::string("corpus") + ext[data[0] & 3], data + 1, size - 1);
    fuzz::expectResultOrError([&] {
        CorpusOptions o;
        o.unit = static_cast<TextUnit>((data[0] >> 2) % 3);
        (void)readCorpus(path, o);
    });
    return 0;
}
