// config.json of every architecture: parseModelConfig + validateModelConfig.
#include "fuzz_common.h"
#include "engine/models/model_config.h"

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    fuzz::expectResultOrError([&] {
        ModelConfig c = parseModelConfig(text, "fuzz/config.json");
        validateModelConfig(c, "fuzz/config.json");
        FUZZ_CHECK(c.hiddenSize > 0 && c.numLayers > 0 && c.vocabSize > 0);  // what validation promises
    });
    return 0;
}
