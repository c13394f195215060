// Text generation for one or more prompts. See generate_text.h.
#include "engine/tasks/generate_text.h"

#include "engine/core/error.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/tokenizers/tokenizer.h"

#include <algorithm>

namespace embedlab::tasks {

std::vector<int64_t> encodePrompt(const Tokenizer* tokenizer, const std::string& text, bool addSpecial) {
    if (!tokenizer) throw Error::badInput("this model folder has no tokenizer, so text prompts cannot be encoded");
    std::vector<int64_t> ids = tokenizer->encode(text, addSpecial).ids;
    if (ids.empty()) throw Error::badInput("the prompt produced no tokens");
    return ids;
}

GenerateTextResult generateText(Model& model, const Tokenizer* tokenizer, const std::vector<std::vector<int64_t>>& prompts,
                                const GenerateTextOptions& options, Progress& progress,
                                const std::function<bool(size_t, const GenerationStep&)>& onToken) {
    const ModelConfig& c = model.config();
    if (!c.isCausalLM())
        throw Error::badInput("generation needs a causal language model (Gemma 3 or GPT-2); this model is " +
                              std::string(architectureName(c.arch)) + ", an encoder");
    if (prompts.empty()) throw Error::badInput("no prompt given");
    for (size_t p = 0; p < prompts.size(); ++p) {
        if (prompts[p].empty()) throw Error::badInput("prompt " + std::to_string(p + 1) + " has no tokens");
        for (int64_t id : prompts[p])
            if (id < 0 || id >= c.vocabSize)
                throw Error::badInput("token id " + std::to_string(id) + " is outside the vocabulary (0–" +
                                      std::to_string(c.vocabSize - 1) + ")");
    }
    GenerationOptions o = options.generation;
    o.interventions.check(c.numLayers, c.numHeads);  // also when nothing is generated
    GenerateTextResult out;
    if (options.stopAtEos) o.eosTokenIds = options.modelDir.empty() ? c.eosTokenIds : loadEosTokenIds(options.modelDir, c);
    else o.eosTokenIds.clear();
    out.eosTokenIds = o.eosTokenIds;
    if (tokenizer) {
        o.detokenize = [tokenizer](const std::vector<int64_t>& ids) { return tokenizer->decode(ids, true); };
    } else {
        o.detokenize = nullptr;
        if (!o.stopStrings.empty()) throw Error::badInput("stop strings need a tokenizer in the model folder");
    }
    std::vector<int64_t> produced(prompts.size(), 0);
    int64_t total = 0;
    const int64_t budget = std::max<int64_t>(1, o.maxNewTokens) * static_cast<int64_t>(prompts.size());
    auto step = [&](size_t p, const GenerationStep& s) {
        ++produced[p];
        ++total;
        const bool go = onToken ? onToken(p, s) : true;
        progress.report(double(total) / double(budget),
                        prompts.size() == 1 ? std::to_string(produced[p]) + " tokens"
                                            : "prompt " + std::to_string(p + 1) + ": " + std::to_string(produced[p]) + " tokens");
        return go;
    };
    o.onToken = nullptr;
    o.onBatchToken = nullptr;
    if (prompts.size() == 1) {
        o.onToken = [&](const GenerationStep& s) { return step(0, s); };
        out.results.push_back(generate(model, prompts[0], o, progress));
    } else {  // decoded together: one forward per step for the whole batch
        o.onBatchToken = step;
        out.results = generateBatch(model, prompts, o, progress);
    }
    return out;
}

}  // namespace embedlab::tasks
