#include "engine/models/model_writer.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/models/bert_model.h"
#include "engine/models/model.h"

#include <ATen/ATen.h>


#include <cstring>
#include <filesystem>

namespace embedlab {

namespace {
bool startsWith(const std::string& s, const char* p) { return s.compare(0, std::strlen(p), p) == 0; }

bool bertWithMlmHead(const Model& m) {
    return m.config().arch == Architecture::Bert && m.weights().count("lm_head.dense.weight") > 0;
}

void makeDirs(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!isDirectory(dir)) throw Error::runtime("cannot create the folder " + dir + ": " + ec.message());
}
}  // namespace

std::string huggingFaceWeightName(const Model& model, const std::string& n) {
    switch (model.config().arch) {
    case Architecture::Gemma3: return n == "lm_head.weight" ? n : "model." + n;
    case Architecture::Gpt2: return "transformer." + n;
    case Architecture::XlmRoberta: return startsWith(n, "lm_head.") ? n : "roberta." + n;
    case Architecture::Bert: {
        if (!bertWithMlmHead(model)) return n;
        for (const auto& [hf, canonical] : BertModel::bertHeadPrefixes())
            if (startsWith(n, canonical.c_str())) return hf + n.substr(canonical.size());
        return "bert." + n;
    }
    }
    return n;
}

void writeModelFolder(const Model& model, nlohmann::json config, const std::string& dir, at::ScalarType storeAs,
                      const std::function<void()>& check) {
    if (storeAs != at::kFloat && storeAs != at::kBFloat16) throw Error::badInput("models are stored as f32 or bf16");
    makeDirs(dir);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    {
        at::NoGradGuard noGrad;
        for (const auto& [name, t] : model.weights()) {
            at::Tensor d = t.detach();
            if (d.is_floating_point()) d = d.to(at::kCPU, storeAs);
            else d = d.to(at::kCPU);
            tensors.emplace_back(huggingFaceWeightName(model, name), d.contiguous());
        }
    }
    saveSafeTensors(joinPath(dir, "model.safetensors"), tensors, {{"format", "pt"}}, check);
    // The text part of a Gemma3ForConditionalGeneration is written as what it now is: a
    // Gemma3ForCausalLM (its own config, the model.* keys above).
    if (model.config().conditionalGeneration && config.contains("text_config") && config["text_config"].is_object()) {
        nlohmann::json text = config["text_config"];
        text["model_type"] = "gemma3_text";
        text["architectures"] = nlohmann::json::array({"Gemma3ForCausalLM"});
        for (const char* k : {"bos_token_id", "eos_token_id", "pad_token_id", "tie_word_embeddings"})
            if (!text.contains(k) && config.contains(k)) text[k] = config[k];
        config = text;
    }
    config["torch_dtype"] = storeAs == at::kFloat ? "float32" : "bfloat16";
    if (config.contains("dtype")) config["dtype"] = config["torch_dtype"];
    if (bertWithMlmHead(model)) config["architectures"] = nlohmann::json::array({"BertForMaskedLM"});
    writeFileAtomic(joinPath(dir, "config.json"), config.dump(2) + "\n");
}

std::vector<std::string> copyTokenizerFiles(const std::string& fromDir, const std::string& toDir) {
    static const char* kFiles[] = {"tokenizer.json", "tokenizer.json.gz", "tokenizer.model", "tokenizer_config.json",
                                   "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json",
                                   "merges.txt", "sentencepiece.bpe.model", "spiece.model", "kokler.json",
                                   "ekler.json", "bpe_tokenler.json", "generation_config.json"};
    std::vector<std::string> copied;
    if (fromDir.empty() || !isDirectory(fromDir)) return copied;
    makeDirs(toDir);
    for (const char* f : kFiles) {
        const std::string src = joinPath(fromDir, f);
        if (!isRegularFile(src)) continue;
        writeFileAtomic(joinPath(toDir, f), readFile(src));
        copied.push_back(f);
    }
    return copied;
}

}  // namespace embedlab
