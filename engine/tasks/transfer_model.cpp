#include "engine/tasks/transfer_model.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/models/dtype.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/tokenizers/token_surface.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <filesystem>

namespace embedlab::tasks {
namespace {

namespace fs = std::filesystem;

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Copies the target tokenizer's files into `dir`: a folder's tokenizer files, or one file under its
// canonical name with the tokenizer_config.json beside it.
void copyTargetTokenizer(const std::string& path, const std::string& dir) {
    if (isDirectory(path)) {
        if (copyTokenizerFiles(path, dir).empty())
            throw Error::badInput(path + ": no tokenizer files to copy into the new model");
        // The source model's generation settings do not belong to the new vocabulary.
        std::error_code ec;
        fs::remove(joinPath(dir, "generation_config.json"), ec);
        return;
    }
    std::string name = baseName(path);
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) name = "tokenizer.json";
    else if (name.size() > 8 && name.compare(name.size() - 8, 8, ".json.gz") == 0) name = "tokenizer.json.gz";
    else if (name.size() > 6 && name.compare(name.size() - 6, 6, ".model") == 0) name = "tokenizer.model";
    writeFileAtomic(joinPath(dir, name), readFile(path));
    const std::string cfg = joinPath(dirName(path), "tokenizer_config.json");
    if (isRegularFile(cfg)) writeFileAtomic(joinPath(dir, "tokenizer_config.json"), readFile(cfg));
}

// The config object that holds the text model's fields (text_config for a conditional-generation Gemma).
nlohmann::json& textConfig(nlohmann::json& j) {
    if (j.contains("text_config") && j["text_config"].is_object()) return j["text_config"];
    return j;
}

// The vocabulary-sized biases of the canonical weights (XLM-R's and BERT's MLM head).
bool isVocabularyBias(const std::string& name) { return name == "lm_head.bias" || name == "lm_head.decoder.bias"; }

// The same folder, also through a trailing slash, "." or a symbolic link.
bool sameFolder(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// A vocabulary-sized bias (an MLM head's) carried to the new vocabulary with the rows' sources.
at::Tensor transferBias(const at::Tensor& bias, const TransferResult& r, int64_t rows) {
    const at::Tensor b = bias.to(at::kCPU, at::kDouble).contiguous();
    const double* bp = b.data_ptr<double>();
    const double mean = b.mean().item<double>();
    at::Tensor out = at::full({rows}, mean, at::kDouble);
    double* op = out.data_ptr<double>();
    for (size_t t = 0; t < r.tokens.size(); ++t) {
        const auto& s = r.tokens[t].sources;
        if (s.empty()) continue;
        double v = 0;
        for (const auto& x : s) v += (x.weight ? *x.weight : 1.0 / static_cast<double>(s.size())) * bp[x.id];
        op[t] = v;
    }
    return out.to(bias.scalar_type());
}

}  // namespace

TransferTaskResult transferModel(const TransferTaskOptions& o, Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.sourceDir.empty()) throw Error::badInput("transfer: give the source model folder (--source)");
    if (o.targetTokenizer.empty()) throw Error::badInput("transfer: give the target tokenizer (--target-tokenizer)");
    if (o.outDir.empty()) throw Error::badInput("transfer: give the output folder (--out)");
    if (o.extraRows != "mean" && o.extraRows != "zero")
        throw Error::badInput("--extra-rows must be mean or zero, not \"" + o.extraRows + "\"");
    if (o.padVocabTo < 0) throw Error::badInput("--pad-vocab-to must be 0 or positive");
    checkOutputFolder(o.outDir, o.force);
    if (sameFolder(o.outDir, o.sourceDir)) throw Error::badInput("--out must not be the source folder");

    // 1. The source model (in the dtype it is stored in) and the two tokenizers.
    progress.report(0.0, "loading the source model");
    const ModelConfig srcCfg = loadModelConfig(o.sourceDir);
    const at::ScalarType dtype = srcCfg.torchDtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
    std::unique_ptr<Model> model = loadModel(o.sourceDir, c10::Device(c10::kCPU), dtype);
    const auto source = loadTokenizer(o.sourceTokenizer.empty() ? o.sourceDir : o.sourceTokenizer);
    const auto target = loadTokenizer(o.targetTokenizer);
    const at::Tensor emb = model->inputEmbeddings();
    const int64_t rows = emb.size(0), hidden = emb.size(1), srcVocab = source->vocabSize();
    nlohmann::json extra;
    extra["strategy"] = transferStrategyName(o.strategy);
    extra["source_model"] = o.sourceDir;
    extra["source_tokenizer"] = source->name();
    extra["source_vocab"] = srcVocab;
    extra["source_rows"] = rows;
    extra["target_tokenizer"] = target->name();
    if (rows != srcVocab) {
        // Rows padded beyond the tokenizer to a round size are the usual Hugging Face layout.
        // So are control tokens beyond the rows (Gemma 3's tokenizer has <image_soft_token> = 262144,
        // the text model 262,144 rows): they are never sources.
        const bool padding = rows > srcVocab && rows % 64 == 0 && rows - srcVocab < 1024;
        bool controlOnly = rows < srcVocab && srcVocab - rows < 1024;
        for (int64_t id = rows; controlOnly && id < srcVocab; ++id) controlOnly = isControlToken(*source, id);
        if (!padding && !controlOnly && !o.allowVocabMismatch)
            throw Error::badInput("the source model has " + std::to_string(rows) + " embedding rows but its tokenizer " +
                                  std::to_string(srcVocab) +
                                  " tokens; pass the model's own tokenizer (--source-tokenizer) or "
                                  "--allow-vocab-mismatch to use the ids both have");
        extra["vocab_mismatch"] = rows - srcVocab;
    }
    if (o.headStrategy) extra["head_strategy"] = transferStrategyName(*o.headStrategy);
    progress.report(0.1, "matching the vocabularies");

    // 2. Matching and rows.
    const auto tb = std::chrono::steady_clock::now();
    VocabularyMatchOptions mo;
    mo.corpusPath = o.corpus;
    mo.specialOverrides = o.specialOverrides;
    Progress matching(progress, 0.1, 0.5, "matching");
    const VocabularyMatch match = matchVocabularies(*source, *target, rows, mo, matching);
    std::optional<AuxiliaryVectors> aux;
    const bool needsAux = o.strategy == TransferStrategy::Focus || o.strategy == TransferStrategy::Omp ||
                          (o.headStrategy && (*o.headStrategy == TransferStrategy::Focus ||
                                              *o.headStrategy == TransferStrategy::Omp));
    if (!o.auxVectors.empty()) {
        int64_t skipped = 0;
        aux = readAuxiliaryVectors(o.auxVectors, *target, &skipped);
        extra["aux_vectors"] = aux->targetIds.size();
        extra["aux_rows_skipped"] = skipped;
    } else if (needsAux) {
        const bool bodyNeeds = o.strategy == TransferStrategy::Focus || o.strategy == TransferStrategy::Omp;
        throw Error::badInput(std::string("the ") + transferStrategyName(bodyNeeds ? o.strategy : *o.headStrategy) +
                              " strategy needs auxiliary vectors of the target tokens (--aux-vectors FILE)");
    }
    TransferOptions to;
    to.strategy = o.strategy;
    to.ompK = o.ompK;
    to.seed = o.seed;
    Progress building(progress, 0.5, 0.7, "input embeddings");
    const TransferResult embRes = buildTransfer(match, emb, to, aux ? &*aux : nullptr, building);
    const bool untied = !model->tiedLmHead() && model->lmHead().defined();
    std::optional<TransferResult> headRes;
    if (untied) {
        TransferOptions ho = to;
        if (o.headStrategy) ho.strategy = *o.headStrategy;
        Progress head(progress, 0.7, 0.8, "LM head");
        headRes = buildTransfer(match, model->lmHead(), ho, aux ? &*aux : nullptr, head);
    }
    const double buildSeconds = since(tb);

    // 3. The new weights and config.
    const int64_t V = target->vocabSize();
    int64_t newRows = V;
    if (o.padVocabTo > 0) newRows = (V + o.padVocabTo - 1) / o.padVocabTo * o.padVocabTo;
    auto grow = [&](const at::Tensor& r) {
        if (newRows == V) return r;
        at::Tensor extraRowsT = o.extraRows == "zero" ? at::zeros({newRows - V, hidden}, r.options())
                                                      : r.mean(0, true).expand({newRows - V, hidden});
        return at::cat({r, extraRowsT}, 0);
    };
    std::map<std::string, at::Tensor> weights;
    std::string embKey, headKey;
    for (const auto& [name, t] : model->weights()) {
        if (t.is_same(emb)) embKey = name;
        if (untied && t.is_same(model->lmHead())) headKey = name;
    }
    for (const auto& [name, t] : model->weights()) {
        if (name == embKey) weights[name] = grow(embRes.rows).to(dtype);
        else if (!headKey.empty() && name == headKey) weights[name] = grow(headRes->rows).to(dtype);
        else if (isVocabularyBias(name) && t.dim() == 1 && t.size(0) == rows) {
            at::Tensor b = transferBias(t, untied ? *headRes : embRes, V);
            if (newRows > V) b = at::cat({b, at::full({newRows - V}, o.extraRows == "zero" ? 0.0 : b.mean().item<double>(), b.options())});
            weights[name] = b;
        } else {
            weights[name] = t;
        }
    }
    nlohmann::json cfg = nlohmann::json::parse(readFile(joinPath(o.sourceDir, "config.json")));
    nlohmann::json& tc = textConfig(cfg);
    tc["vocab_size"] = newRows;
    // The target's special ids; one the target lacks becomes null (the source's id would name another
    // token: Gemma's bos 2 is the seed tokenizer's space).
    auto setId = [&](const char* key, std::optional<int64_t> id) {
        const nlohmann::json v = id ? nlohmann::json(*id) : nlohmann::json(nullptr);
        if (id || tc.contains(key)) tc[key] = v;
        if (&tc != &cfg && cfg.contains(key)) cfg[key] = v;
    };
    setId("bos_token_id", target->bosId());
    setId("eos_token_id", target->eosId());
    if (srcCfg.arch == Architecture::XlmRoberta) {
        // XLM-R's positions start after the padding id: changing it would shift every position.
        if (target->padId() && *target->padId() != srcCfg.padTokenId)
            extra["warning"] = "XLM-R keeps pad_token_id " + std::to_string(srcCfg.padTokenId) +
                               " (its positions depend on it); the target's pad is " + std::to_string(*target->padId());
    } else {
        setId("pad_token_id", target->padId());
    }
    ModelConfig newCfg = parseModelConfig(cfg.dump(), "the new config");
    progress.report(0.8, "writing the model");
    std::unique_ptr<Model> out = createModel(newCfg, std::move(weights), c10::Device(c10::kCPU), dtype);
    model.reset();

    // 4. Write beside the destination, then put in place.
    TransferTaskResult res;
    res.report = transferReport(*source, *target, match, embRes, extra);
    if (headRes) {
        nlohmann::json h = transferReport(*source, *target, match, *headRes);
        res.report["head_summary"] = h["summary"];
    }
    res.report["summary"]["new_vocab_size"] = newRows;
    res.report["summary"]["seconds_build"] = buildSeconds;
    writeFolderAtomic(o.outDir, o.force, [&](const std::string& tmp) {
        writeModelFolder(*out, cfg, tmp, dtype, [&progress] { progress.checkCancelled(); });
        copyTargetTokenizer(o.targetTokenizer, tmp);
        writeFileAtomic(joinPath(tmp, "transfer_report.json"), res.report.dump(1) + "\n");
    });
    res.summary = res.report["summary"];
    res.seconds = since(t0);
    res.buildSeconds = buildSeconds;
    res.sourceVocab = srcVocab;
    res.targetVocab = V;
    res.hidden = hidden;
    progress.report(1.0, "written");
    return res;
}

std::vector<SourceNeighbor> nearestSourceTokens(const std::string& sourceDir, const std::string& modelDir,
                                                int64_t targetId, int k) {
    auto dtypeOf = [](const std::string& dir) {
        return loadModelConfig(dir).torchDtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
    };
    const auto src = loadModel(sourceDir, c10::Device(c10::kCPU), dtypeOf(sourceDir));
    const auto model = loadModel(modelDir, c10::Device(c10::kCPU), dtypeOf(modelDir));
    const at::Tensor S = src->inputEmbeddings(), M = model->inputEmbeddings();
    if (targetId < 0 || targetId >= M.size(0))
        throw Error::badInput("token id " + std::to_string(targetId) + " is outside the model's " +
                              std::to_string(M.size(0)) + " rows");
    if (S.size(1) != M.size(1))
        throw Error::badInput("the source's hidden size (" + std::to_string(S.size(1)) + ") differs from the model's (" +
                              std::to_string(M.size(1)) + ")");
    const auto tok = loadTokenizer(sourceDir);
    const at::Tensor q = M[targetId].to(at::kFloat);
    const double qn = q.norm().item<double>();
    std::vector<SourceNeighbor> out;
    if (!(qn > 0)) return out;
    // In blocks, so that a 262,144-row source is never converted whole.
    at::Tensor best = at::empty({0}, at::kFloat), bestIdx = at::empty({0}, at::kLong);
    const int64_t rows = S.size(0);
    for (int64_t r0 = 0; r0 < rows; r0 += 16384) {
        const at::Tensor block = S.slice(0, r0, std::min(rows, r0 + 16384)).to(at::kFloat);
        const at::Tensor cos = at::mv(block, q) / (block.norm(2, {1}) * qn).clamp_min(1e-30);
        best = at::cat({best, cos});
        bestIdx = at::cat({bestIdx, at::arange(r0, r0 + block.size(0), at::kLong)});
        const auto top = at::topk(best, std::min<int64_t>(k, best.size(0)));
        best = std::get<0>(top);
        bestIdx = bestIdx.index_select(0, std::get<1>(top));
    }
    for (int64_t i = 0; i < best.size(0); ++i) {
        const int64_t id = bestIdx[i].item<int64_t>();
        out.push_back({id, tok->idToToken(id), best[i].item<double>()});
    }
    return out;
}

}  // namespace embedlab::tasks
