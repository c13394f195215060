// The training inputs a person hands over: ids files (--ids, lines of comma-separated ids), pair files
// (ids<TAB>ids), and a checkpoint to resume (trainer_state.json, optimizer.safetensors) next to a
// valid model. The first byte picks which; the rest is the file. Only a result or embedlab::Error.
#include "fuzz_common.h"

#include "engine/jobs/progress.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/train/trainer.h"

#include <nlohmann/json.hpp>

#include <filesystem>

using namespace embedlab;

namespace {

// A 1-layer GPT-2 (vocabulary 16) and a complete checkpoint of it at step 1, made once.
struct Base {
    nlohmann::json config = {{"model_type", "gpt2"}, {"architectures", {"GPT2LMHeadModel"}}, {"vocab_size", 16},
                             {"n_embd", 8}, {"n_layer", 1}, {"n_head", 2}, {"n_positions", 16},
                             {"bos_token_id", 15}, {"eos_token_id", 15}};
    std::string dir = fuzz::scratchDir() + "/run";
    TrainerOptions options;
    TrainerData data;
    Base() {
        options.steps = 1;
        options.batchSize = 2;
        options.seqLen = 8;
        options.saveEvery = 1;
        options.evalEvery = -1;
        options.outDir = dir;
        data.configJson = config;
        data.train = TokenSequences::fromVectors({{1, 2, 3}, {4, 5, 6, 7}});
        std::filesystem::remove_all(dir);
        auto m = createRandomModel(parseModelConfig(config.dump()), 1);
        runTraining(*m, options, data, nullProgress());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static Base base;
    const int mode = data[0] % 4;
    const uint8_t* rest = data + 1;
    const size_t n = size - 1;
    if (mode == 0) {
        const std::string path = fuzz::writeScratch("ids.txt", rest, n);
        fuzz::expectResultOrError([&] {
            const TokenSequences s = readIdsFile(path, 8);
            FUZZ_CHECK(s.size() > 0);
            for (size_t i = 0; i < s.size(); ++i) FUZZ_CHECK(s.length(i) <= 8);
        });
    } else if (mode == 1) {
        const std::string path = fuzz::writeScratch("pairs.txt", rest, n);
        fuzz::expectResultOrError([&] {
            const TokenPairs p = readIdPairsFile(path, 8);
            FUZZ_CHECK(p.first.size() == p.second.size());
            for (size_t i = 0; i < p.first.size(); ++i) FUZZ_CHECK(p.first.length(i) > 0 && p.second.length(i) > 0);
        });
    } else {
        // A copy of the good checkpoint with one file replaced by the input, resumed for one more step.
        const std::string ckpt = fuzz::scratchDir() + "/resume/checkpoint-1";
        std::filesystem::remove_all(fuzz::scratchDir() + "/resume");
        std::filesystem::create_directories(ckpt);
        std::filesystem::copy(base.dir + "/checkpoint-1", ckpt, std::filesystem::copy_options::recursive |
                                                                   std::filesystem::copy_options::overwrite_existing);
        fuzz::writeScratch(mode == 2 ? "resume/checkpoint-1/trainer_state.json" : "resume/checkpoint-1/optimizer.safetensors",
                           rest, n);
        fuzz::expectResultOrError([&] {
            TrainerOptions o = base.options;
            o.steps = 2;
            o.saveEvery = 0;
            o.outDir = fuzz::scratchDir() + "/resume";
            o.resumeDir = o.outDir;
            auto m = createRandomModel(parseModelConfig(base.config.dump()), 2);
            const TrainResult r = runTraining(*m, o, base.data, nullProgress());
            FUZZ_CHECK(r.steps == 2 && r.resumedFrom == 1);
        });
    }
    return 0;
}
