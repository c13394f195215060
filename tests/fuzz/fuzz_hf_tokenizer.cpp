// tokenizer.json of every model kind (BPE, byte-level BPE, WordPiece, Unigram; normalizers,
// pre-tokenizers, post-processors, decoders): load, then encode a mixed Turkish/English/emoji text and
// decode what came out.
#include "fuzz_common.h"
#include "engine/tokenizers/hf_tokenizer.h"

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string json(reinterpret_cast<const char*>(data), size);
    fuzz::expectResultOrError([&] {
        auto tok = loadHfTokenizerFromString(json, "{}", "fuzz");
        for (bool special : {false, true}) {
            const Encoding e = tok->encode("Çekoslovakyalılaştıramadıklarımızdan mısınız? Hello, world! 😀 ①", special);
            FUZZ_CHECK(e.tokens.size() == e.ids.size() && e.offsets.size() == e.ids.size());
            (void)tok->decode(e.ids, false);
            (void)tok->decode(e.ids, true);
        }
        (void)tok->decode({0, 1, 2, -1, 1 << 30}, false);
    });
    return 0;
}
