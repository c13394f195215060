// The seed-format Turkish tokenizer. Input byte 0 picks:
//   even — the text path: encode with the fixture vocabulary, losslessly, and require decode to give
//          back the (UTF-8-sanitised) text exactly — the lossless guarantee as a property; the
//          reference encoding and decoding of arbitrary ids must not fail either;
//   odd  — the files: the rest is ekler.json beside the fixture's kokler.json and bpe_tokenler.json.
// EMBEDLAB_FIXTURES (default ../shared/fixtures) locates tokenizers/turkish-seed.
#include "fuzz_common.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/tokenizers/turkish_tokenizer.h"

#include <cstdlib>
#include <filesystem>

using namespace embedlab;

namespace {
std::string seedDir() {
    const char* f = std::getenv("EMBEDLAB_FIXTURES");
    return std::string(f && *f ? f : "../shared/fixtures") + "/tokenizers/turkish-seed";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto lossless = loadTurkishTokenizer(seedDir(), TurkishEncoding::Lossless);
    static const auto reference = loadTurkishTokenizer(seedDir(), TurkishEncoding::Reference);
    if (size < 1) return 0;
    if ((data[0] & 1) == 0) {
        std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
        if (text.size() > 4096) return 0;
        sanitizeUtf8(text);
        const Encoding e = lossless->encode(text, false);
        FUZZ_CHECK(lossless->decode(e.ids, false) == text);  // the lossless guarantee
        FUZZ_CHECK(lossless->decode(e.ids, true) == text);   // no <pad>/<eos>/bare <unknown> emitted
        const Encoding r = reference->encode(text, false);
        (void)reference->decode(r.ids, false);
        std::vector<int64_t> ids;
        for (size_t i = 1; i + 1 < size && ids.size() < 256; i += 2) ids.push_back(int64_t(data[i]) << 7 | data[i + 1]);
        (void)lossless->decode(ids, false);
        return 0;
    }
    const std::string dir = fuzz::scratchDir() + "/seed";
    static const bool copied = [&] {
        std::filesystem::create_directories(dir);
        for (const char* f : {"kokler.json", "bpe_tokenler.json"})
            std::filesystem::copy_file(seedDir() + "/" + f, dir + "/" + f, std::filesystem::copy_options::overwrite_existing);
        return true;
    }();
    (void)copied;
    fuzz::writeScratch("seed/ekler.json", data + 1, size - 1);
    fuzz::expectResultOrError([&] {
        auto t = loadTurkishTokenizer(dir);
        const Encoding e = t->encode("Kitaplarımızdan geliyorum 5'te", false);
        (void)t->decode(e.ids, false);
    });
    return 0;
}
