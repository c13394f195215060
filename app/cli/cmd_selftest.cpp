// `embedlab-cli selftest --sp-model FILE [--text TEXT]`: SentencePiece and LibTorch in one process.
#include "app/cli/cli.h"

#include "engine/tokenizers/interop_selftest.h"

namespace embedlab::cli {
namespace {

int runSelfTest(Args& a) {
    const std::string model = a.require("sp-model");
    const std::string text = a.get("text", "Merhaba dünya!");
    printJson(nlohmann::json::parse(sentencePieceTorchSelfTest(model, text)));
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"selftest", "selftest --sp-model FILE.model [--text TEXT]", {}, {"sp-model", "text"},
                             runSelfTest});

}  // namespace embedlab::cli
