// embedlab engine — writing a Model back as a Hugging Face folder: model.safetensors with Hugging
// Face key names (tied weights stored once) and config.json. Used by training checkpoints, and by
// transfer and surgery that build a model in memory.
//
// Key names: Gemma 3 as Gemma3ForCausalLM (model.*, lm_head.weight when untied), GPT-2 as
// GPT2LMHeadModel (transformer.*), XLM-R as XLMRobertaForMaskedLM (roberta.*, lm_head.*), BERT as
// BertModel (no prefix) or, with an MLM head, as BertForMaskedLM (bert.*, cls.predictions.*).
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace embedlab {

class Model;

// The Hugging Face key of one of the model's canonical weight names.
std::string huggingFaceWeightName(const Model& model, const std::string& canonical);

// Writes DIR/model.safetensors (atomically; weights stored as `storeAs`, f32 or bf16) and
// DIR/config.json: `config` with torch_dtype set to what was stored and, for BERT with an MLM head,
// architectures ["BertForMaskedLM"]; the text part of a Gemma3ForConditionalGeneration is written as a
// Gemma3ForCausalLM with its text_config. Creates DIR. Throws Error(Runtime) on I/O (the disk is full …).
// `check` (a cancel) is called between tensors and 64 MB pieces; what it throws leaves no model file.
void writeModelFolder(const Model& model, nlohmann::json config, const std::string& dir,
                      at::ScalarType storeAs = at::kFloat, const std::function<void()>& check = {});

// Copies the tokenizer and generation files that exist in `fromDir` (tokenizer.json, tokenizer.model,
// tokenizer_config.json, special_tokens_map.json, vocab files, the seed format's JSON files,
// generation_config.json) into `toDir`, each atomically. Returns the names copied.
std::vector<std::string> copyTokenizerFiles(const std::string& fromDir, const std::string& toDir);

}  // namespace embedlab
