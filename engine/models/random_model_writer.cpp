#include "engine/models/random_model_writer.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/jobs/progress.h"
#include "engine/models/weight_layout.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <new>

namespace embedlab {
namespace {

using nlohmann::json;

int64_t padId(const json& c) {
    auto it = c.find("pad_token_id");
    return it != c.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t tensorSeed(uint64_t seed, const std::string& name) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
    return splitmix64(splitmix64(seed) ^ h);
}

enum class Init { Normal, Zeros, Ones };

struct WeightPlan {
    Init init = Init::Normal;
    double std = 0.02;
    int64_t zeroRow = -1;  // an embedding's padding row, zeroed as nn.Embedding(padding_idx) does
};

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

WeightPlan planFor(const json& c, const ModelConfig& mc, const SafeTensorSpec& s) {
    WeightPlan p;
    p.std = mc.initializerRange;
    const std::string& n = s.name;
    if (mc.arch == Architecture::Gemma3) {
        if (endsWith(n, "norm.weight")) p.init = Init::Zeros;  // Gemma RMSNorm applies (1 + w)
        else if (endsWith(n, ".bias")) p.init = Init::Zeros;
        else if (n == "model.embed_tokens.weight") p.zeroRow = padId(c);
        return p;
    }
    if (mc.arch == Architecture::Gpt2) {
        if (n.find(".ln_") != std::string::npos) p.init = endsWith(n, ".weight") ? Init::Ones : Init::Zeros;
        else if (endsWith(n, ".bias")) p.init = Init::Zeros;
        else if (endsWith(n, "c_proj.weight"))  // GPT-2's scaled residual projections
            p.std = p.std / std::sqrt(2.0 * static_cast<double>(mc.numLayers));
        return p;
    }
    // bert / xlm-roberta
    if (n.find("LayerNorm") != std::string::npos || n.find("layer_norm") != std::string::npos)
        p.init = endsWith(n, ".weight") ? Init::Ones : Init::Zeros;
    else if (endsWith(n, ".bias")) p.init = Init::Zeros;
    else if (endsWith(n, "word_embeddings.weight")) p.zeroRow = padId(c);
    else if (mc.arch == Architecture::XlmRoberta && endsWith(n, "position_embeddings.weight")) p.zeroRow = padId(c);
    return p;
}

std::string torchDtypeName(const std::string& st) {
    if (st == "BF16") return "bfloat16";
    if (st == "F16") return "float16";
    return "float32";
}

at::ScalarType scalarTypeOf(const std::string& st) {
    if (st == "BF16") return at::kBFloat16;
    if (st == "F16") return at::kHalf;
    return at::kFloat;
}

// Generates one tensor. Normal draws happen in f32 in fixed chunks of rows, written into the output
// dtype, so the peak extra memory is one chunk and a bf16 model is the rounded f32 model.
at::Tensor generate(const SafeTensorSpec& s, const WeightPlan& p, uint64_t seed) {
    const auto st = scalarTypeOf(s.dtype);
    const auto opts = at::TensorOptions().dtype(st);
    if (p.init == Init::Zeros) return at::zeros(s.shape, opts);
    if (p.init == Init::Ones) return at::ones(s.shape, opts);
    at::Tensor out = at::empty(s.shape, opts);
    if (out.numel() == 0) return out;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(tensorSeed(seed, s.name));
    at::Tensor flat = out.dim() == 0 ? out.view({1, 1}) : out.view({out.size(0), -1});
    const int64_t rowElems = std::max<int64_t>(1, flat.size(1));
    const int64_t rowsPerChunk = std::max<int64_t>(1, (int64_t(1) << 22) / rowElems);
    at::Tensor buf;
    for (int64_t r = 0; r < flat.size(0); r += rowsPerChunk) {
        const int64_t rows = std::min(rowsPerChunk, flat.size(0) - r);
        at::Tensor dst = flat.narrow(0, r, rows);
        if (st == at::kFloat) {
            dst.normal_(0.0, p.std, gen);
        } else {
            if (!buf.defined() || buf.size(0) != rows) buf = at::empty({rows, flat.size(1)}, at::kFloat);
            buf.normal_(0.0, p.std, gen);
            dst.copy_(buf);
        }
    }
    if (p.zeroRow >= 0 && p.zeroRow < out.size(0)) out[p.zeroRow].zero_();
    return out;
}

void makeDirs(const std::string& dir) {
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir.find('/', pos + 1);
        cur = dir.substr(0, pos);
        if (cur.empty() || isDirectory(cur)) continue;
        if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
            throw Error::runtime("cannot create folder " + cur + ": " + std::strerror(errno));
    }
    if (!isDirectory(dir)) throw Error::runtime("cannot create folder " + dir);
}

}  // namespace

RandomModelSummary writeRandomModel(const json& configIn, const std::string& outDir, uint64_t seed,
                                    const std::string& dtype, Progress* progress) {
    const std::string st = weightDtypeName(dtype);
    const ModelConfig mc = parseWritableConfig(configIn);
    std::vector<SafeTensorSpec> specs = modelWeightSpecs(configIn, st);
    const std::string fam = architectureName(mc.arch);

    json config = configIn;
    config["model_type"] = mc.modelType;  // also when the config named only its architectures
    static const std::map<std::string, std::string> kArch = {{"gemma3", "Gemma3ForCausalLM"},
                                                             {"gpt2", "GPT2LMHeadModel"},
                                                             {"bert", "BertModel"},
                                                             {"xlm-roberta", "XLMRobertaForMaskedLM"}};
    config["architectures"] = json::array({kArch.at(fam)});  // the layout that is written
    config["torch_dtype"] = torchDtypeName(st);
    if (config.contains("dtype")) config["dtype"] = torchDtypeName(st);  // transformers >= 4.56 spelling
    if (fam == "gemma3" && !config.contains("head_dim")) config["head_dim"] = 256;

    uint64_t params = 0, dataBytes = 0;
    for (const auto& s : specs) {
        uint64_t n = 1;
        for (int64_t d : s.shape) n *= static_cast<uint64_t>(d);
        params += n;
    }
    dataBytes = params * (st == "F32" ? 4 : 2);

    makeDirs(outDir);
    struct statvfs vfs {};
    if (::statvfs(outDir.c_str(), &vfs) == 0) {
        const uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
        if (dataBytes > avail)
            throw Error::runtime("not enough disk space in " + outDir + ": the weights need " +
                                 std::to_string(dataBytes) + " bytes, " + std::to_string(avail) + " are free");
    }

    const std::string weights = joinPath(outDir, "model.safetensors");
    uint64_t done = 0;
    if (progress) progress->report(0.0, "writing " + weights);
    try {
        writeSafeTensorsStreaming(
            weights, specs,
            [&](const SafeTensorSpec& s) {
                at::Tensor t = generate(s, planFor(config, mc, s), seed);
                done += static_cast<uint64_t>(t.numel()) * t.element_size();
                if (progress) progress->report(dataBytes ? double(done) / double(dataBytes) : 1.0, s.name);
                return t;
            },
            {{"format", "pt"}});
    } catch (const std::bad_alloc&) {
        throw Error::runtime("out of memory while generating weights for " + outDir);
    } catch (const c10::Error& e) {
        throw Error::runtime(std::string("weight generation failed: ") + e.what_without_backtrace());
    }

    RandomModelSummary r;
    r.path = outDir;
    r.parameters = params;
    struct stat sb {};
    if (::stat(weights.c_str(), &sb) == 0) r.bytes = static_cast<uint64_t>(sb.st_size);
    writeFileAtomic(joinPath(outDir, "config.json"), config.dump(2) + "\n");
    r.files = {"config.json"};
    const json gen = generationConfigFor(config);
    if (!gen.empty()) {
        writeFileAtomic(joinPath(outDir, "generation_config.json"), gen.dump(2) + "\n");
        r.files.push_back("generation_config.json");
    }
    r.files.push_back("model.safetensors");
    if (progress) progress->report(1.0, "done");
    return r;
}

}  // namespace embedlab
