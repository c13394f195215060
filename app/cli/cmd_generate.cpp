// `embedlab-cli generate`: text generation with a causal LM (KV cache, greedy or sampled).
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/models/dtype.h"
#include "engine/models/generation.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tasks/generate_text.h"
#include "engine/tokenizers/tokenizer.h"

#include <c10/core/Device.h>

namespace embedlab::cli {

namespace {

bool hasTokenizerFiles(const std::string& dir) {
    for (const char* f : {"tokenizer.json", "tokenizer.json.gz", "tokenizer.model", "kokler.json"})
        if (isRegularFile(joinPath(dir, f))) return true;
    return false;
}

}  // namespace

std::vector<int64_t> promptIdsFromArgs(const Args& a, const std::string& dir, std::unique_ptr<Tokenizer>& tok,
                                       const std::string& command) {
    if (a.has("prompt") == a.has("ids")) throw UsageError("give exactly one of --prompt TEXT or --ids \"1,2,3\"");
    std::vector<int64_t> prompt;
    if (a.has("prompt")) {
        if (!hasTokenizerFiles(dir))
            throw Error::badInput(dir + " has no tokenizer (tokenizer.json, tokenizer.model or the seed's files); use --ids");
        tok = loadTokenizer(dir);
        prompt = tok->encode(a.get("prompt"), a.has("add-special")).ids;
        if (prompt.empty()) throw Error::badInput("the prompt produced no tokens");
        return prompt;
    }
    auto seqs = parseIdList(a.get("ids"));
    if (seqs.size() != 1) throw UsageError("--ids takes one sequence for " + command);
    if (hasTokenizerFiles(dir)) {
        try {
            tok = loadTokenizer(dir);
        } catch (const Error&) {
            tok.reset();  // ids work without a tokenizer; tokens are then ""
        }
    }
    return seqs[0];
}

namespace {

int runGenerate(Args& a) {
    const std::string dir = a.require("model");
    GenerationOptions o;
    o.maxNewTokens = a.getInt("max-new-tokens", -1);
    if (o.maxNewTokens < 0) throw UsageError("--max-new-tokens N is required (N >= 0)");
    o.temperature = a.getDouble("temperature", 0.0);
    o.topK = a.getInt("top-k", 0);
    o.topP = a.getDouble("top-p", 1.0);
    const long long seed = a.getInt("seed", 0);
    o.seed = static_cast<uint64_t>(seed);
    o.topLogprobs = a.getInt("top-logprobs", 0);
    o.repetitionPenalty = a.getDouble("repetition-penalty", 1.0);
    if (o.temperature < 0) throw UsageError("--temperature must be >= 0");
    if (o.topK < 0) throw UsageError("--top-k must be >= 0");
    if (!(o.topP > 0 && o.topP <= 1)) throw UsageError("--top-p must be in (0, 1]");
    if (o.topLogprobs < 0) throw UsageError("--top-logprobs must be >= 0");
    if (o.repetitionPenalty <= 0) throw UsageError("--repetition-penalty must be positive");
    o.interventions = Interventions::parse(a.get("zero-heads"), a.get("skip-layers"));

    std::unique_ptr<Tokenizer> tok;
    const std::vector<int64_t> prompt = promptIdsFromArgs(a, dir, tok, "generate");
    const c10::Device device(deviceFromArgs(a));
    const c10::ScalarType dtype = parseDtype(dtypeFromArgs(a));
    std::vector<std::string> warnings;
    auto model = loadModel(dir, device, dtype, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    for (const auto& s : a.getAll("stop")) o.stopStrings.push_back(s);
    // The engine task the app's Generation panel runs too (engine/tasks/generate_text.h).
    tasks::GenerateTextOptions to;
    to.generation = o;
    to.modelDir = dir;
    to.stopAtEos = !a.has("no-eos");
    StderrProgress progress(a, "generate");
    const GenerationResult r = tasks::generateText(*model, tok.get(), {prompt}, to, progress).results.front();
    auto tokenOf = [&](int64_t id) { return tok ? tok->idToToken(id) : std::string(); };
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : r.steps) {
        nlohmann::json top = nlohmann::json::array();
        for (const auto& t : s.top) top.push_back({{"id", t.id}, {"token", tokenOf(t.id)}, {"prob", t.prob}});
        steps.push_back({{"id", s.id}, {"token", tokenOf(s.id)}, {"prob", s.prob}, {"top", top}});
    }
    nlohmann::json j = {{"ids", r.ids},
                        {"text", r.text},
                        {"steps", steps},
                        {"prompt_tokens", r.promptTokens},
                        {"stop_reason", r.stopReason},
                        {"prefill_tokens_per_second", r.prefillTokensPerSecond},
                        {"decode_tokens_per_second", r.decodeTokensPerSecond},
                        {"dtype", dtypeName(dtype)},
                        {"device", device.str()}};
    // JSON must be valid UTF-8: token strings of byte-level vocabularies may not be.
    printJson(nlohmann::json::parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "generate",
    "generate --model DIR (--prompt TEXT | --ids \"1,2,3\") --max-new-tokens N [--temperature T] [--top-k K]\n"
    "  [--top-p P] [--seed S] [--top-logprobs K] [--repetition-penalty R] [--stop STR]... [--add-special] [--no-eos]\n"
    "  [--zero-heads L:H,...] [--skip-layers L,...]",
    {"add-special", "no-eos"},
    {"model", "prompt", "ids", "max-new-tokens", "temperature", "top-k", "top-p", "seed", "top-logprobs",
     "repetition-penalty", "stop", "zero-heads", "skip-layers"},
    runGenerate});

}  // namespace embedlab::cli
