// SentencePiece models through the dlmopen shim (the protobuf parser of libsentencepiece in its own
// namespace): load, encode, decode.
#include "fuzz_common.h"
#include "engine/tokenizers/sentencepiece_tokenizer.h"

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = fuzz::writeScratch("m.model", data, size);
    fuzz::expectResultOrError([&] {
        auto tok = loadSentencePieceTokenizer(path);
        const Encoding e = tok->encode("Merhaba dünya, nasılsınız? 😀", true);
        FUZZ_CHECK(e.tokens.size() == e.ids.size() && e.offsets.size() == e.ids.size());
        (void)tok->decode(e.ids, false);
        (void)tok->decode({0, 1, 2, 3, 100000}, true);
    });
    return 0;
}
