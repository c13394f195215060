// Presets, weight layouts (checked against the fixtures' real HF files) and random model folders.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/models/model_config.h"
#include "engine/models/presets.h"
#include "engine/models/random_model_writer.h"
#include "engine/models/weight_layout.h"
#include "test_paths.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

using namespace embedlab;
using nlohmann::json;

namespace {

std::string outDir(const std::string& name) {
    ::mkdir(test::tmpDir().c_str(), 0755);
    return test::tmpDir() + "/presets/" + name;
}

json fixtureConfig(const std::string& model) { return json::parse(readFile(test::fixture("models/" + model + "/config.json"))); }

uint64_t paramCount(const std::vector<SafeTensorSpec>& specs) {
    uint64_t n = 0;
    for (const auto& s : specs) {
        uint64_t k = 1;
        for (auto d : s.shape) k *= static_cast<uint64_t>(d);
        n += k;
    }
    return n;
}

void expectBadConfig(const json& c, const std::string& fragment) {
    try {
        parseWritableConfig(c);
        ADD_FAILURE() << "accepted: " << c.dump();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(ModelPresets, LayoutsMatchTheFixtureFiles) {
    for (const std::string m : {"gemma3_tiny", "gpt2_tiny", "bert_tiny", "xlmr_tiny"}) {
        SCOPED_TRACE(m);
        const json c = fixtureConfig(m);
        auto specs = modelWeightSpecs(c, "f32");
        auto f = SafeTensorsFile::open(test::fixture("models/" + m + "/model.safetensors"));
        ASSERT_EQ(specs.size(), f->tensors().size());
        for (const auto& s : specs) {
            const SafeTensorInfo* i = f->find(s.name);
            ASSERT_NE(i, nullptr) << s.name;
            EXPECT_EQ(i->shape, s.shape) << s.name;
            EXPECT_EQ(i->dtype, "F32");
        }
    }
}

TEST(ModelPresets, PresetsHaveTheKnownParameterCounts) {
    EXPECT_EQ(modelPresetNames().size(), 5u);
    const std::map<std::string, std::pair<std::string, uint64_t>> expected = {
        {"gemma3-270m", {"gemma3", 268098176ull}},
        {"gemma3-270m-tr", {"gemma3", 268098176ull - (262144ull - 32768ull) * 640ull}},
        {"gpt2", {"gpt2", 124439808ull}},
        {"bert-base", {"bert", 109482240ull}},
        {"xlm-roberta-base", {"xlm-roberta", 278295186ull}},
    };
    for (const auto& name : modelPresetNames()) {
        SCOPED_TRACE(name);
        const json c = modelPreset(name);
        parseWritableConfig(c);
        EXPECT_EQ(modelFamily(c), expected.at(name).first);
        EXPECT_EQ(paramCount(modelWeightSpecs(c)), expected.at(name).second);
    }
    const json g = modelPreset("gemma3-270m");
    EXPECT_EQ(g["vocab_size"], 262144);
    EXPECT_EQ(g["layer_types"].size(), 18u);
    EXPECT_EQ(g["layer_types"][5], "full_attention");
    EXPECT_EQ(g["layer_types"][4], "sliding_attention");
    EXPECT_EQ(g["layer_types"][17], "full_attention");
    EXPECT_TRUE(g["attn_logit_softcapping"].is_null());
    EXPECT_EQ(g["rms_norm_eps"].get<double>(), 1e-6);
    const json tr = modelPreset("gemma3-270m-tr");
    EXPECT_EQ(tr["vocab_size"], 32768);
    EXPECT_EQ(tr["pad_token_id"], 5);
    EXPECT_EQ(tr["eos_token_id"], 6);
    EXPECT_EQ(modelPreset("xlm-roberta-base")["max_position_embeddings"], 514);
    EXPECT_THROW(modelPreset("gemma4"), Error);
}

TEST(ModelPresets, ValidationNamesTheField) {
    json c = fixtureConfig("bert_tiny");
    c["num_attention_heads"] = 5;
    expectBadConfig(c, "num_attention_heads");
    c = fixtureConfig("bert_tiny");
    c["hidden_size"] = -64;
    expectBadConfig(c, "hidden_size");
    c = fixtureConfig("gpt2_tiny");
    c["n_head"] = 3;
    expectBadConfig(c, "n_head");
    c = fixtureConfig("gpt2_tiny");
    c.erase("vocab_size");
    expectBadConfig(c, "vocab_size");
    c = fixtureConfig("gemma3_tiny");
    c["num_key_value_heads"] = 3;
    expectBadConfig(c, "num_key_value_heads");
    c = fixtureConfig("gemma3_tiny");
    c["layer_types"].erase(0);
    expectBadConfig(c, "layer_types");
    c = fixtureConfig("gemma3_tiny");
    c["intermediate_size"] = "128";
    expectBadConfig(c, "intermediate_size");
    c = fixtureConfig("gemma3_tiny");
    c["eos_token_id"] = 512;
    expectBadConfig(c, "eos_token_id");
    c = fixtureConfig("xlmr_tiny");
    c["max_position_embeddings"] = 2;
    expectBadConfig(c, "max_position_embeddings");
    expectBadConfig(json{{"model_type", "llama"}}, "llama");
    expectBadConfig(json::array(), "object");
}

TEST(ModelPresets, RandomModelFolderIsReproducibleAndInitialisedLikeHF) {
    const json c = fixtureConfig("gemma3_tiny");
    const std::string a = outDir("gemma_a"), b = outDir("gemma_b"), d = outDir("gemma_other"), h = outDir("gemma_bf16");
    auto r = writeRandomModel(c, a, 42, "f32");
    writeRandomModel(c, b, 42, "f32");
    writeRandomModel(c, d, 43, "f32");
    writeRandomModel(c, h, 42, "bf16");
    EXPECT_EQ(r.parameters, paramCount(modelWeightSpecs(c)));
    EXPECT_EQ(r.files, (std::vector<std::string>{"config.json", "generation_config.json", "model.safetensors"}));
    const std::string wa = readFile(a + "/model.safetensors");
    EXPECT_EQ(r.bytes, wa.size());
    EXPECT_EQ(wa, readFile(b + "/model.safetensors"));
    EXPECT_NE(wa, readFile(d + "/model.safetensors"));

    const json written = json::parse(readFile(a + "/config.json"));
    EXPECT_EQ(written["torch_dtype"], "float32");
    EXPECT_EQ(written["hidden_size"], 64);
    EXPECT_EQ(json::parse(readFile(h + "/config.json"))["torch_dtype"], "bfloat16");
    const json gen = json::parse(readFile(a + "/generation_config.json"));
    EXPECT_EQ(gen["bos_token_id"], 2);
    EXPECT_EQ(gen["eos_token_id"], 1);

    auto m = SafeTensorsCollection::openFolder(a);
    auto mb = SafeTensorsCollection::openFolder(h);
    EXPECT_EQ(m.names().size(), 80u);
    EXPECT_EQ(m.tensor("model.norm.weight").abs().sum().item<float>(), 0.0f);
    EXPECT_EQ(m.tensor("model.layers.0.self_attn.q_norm.weight").abs().sum().item<float>(), 0.0f);
    at::Tensor emb = m.tensor("model.embed_tokens.weight");
    EXPECT_EQ(emb[0].abs().sum().item<float>(), 0.0f);  // pad row
    const double sd = emb.narrow(0, 1, 511).std().item<double>();
    EXPECT_NEAR(sd, 0.02, 0.002);
    const double sdq = m.tensor("model.layers.3.mlp.up_proj.weight").std().item<double>();
    EXPECT_NEAR(sdq, 0.02, 0.002);
    // The bf16 folder holds the f32 values rounded to bf16.
    for (const auto& n : m.names()) {
        EXPECT_EQ(mb.info(n).dtype, "BF16");
        EXPECT_TRUE(at::equal(m.tensor(n).to(at::kBFloat16), mb.tensor(n))) << n;
    }
}

TEST(ModelPresets, EncodersAndGpt2InitLikeHF) {
    const std::string x = outDir("xlmr"), g = outDir("gpt2"), bt = outDir("bert");
    auto rx = writeRandomModel(fixtureConfig("xlmr_tiny"), x, 1);
    EXPECT_EQ(rx.files, (std::vector<std::string>{"config.json", "model.safetensors"}));
    auto mx = SafeTensorsCollection::openFolder(x);
    EXPECT_EQ(mx.tensor("roberta.embeddings.word_embeddings.weight")[1].abs().sum().item<float>(), 0.0f);
    EXPECT_EQ(mx.tensor("roberta.embeddings.position_embeddings.weight")[1].abs().sum().item<float>(), 0.0f);
    EXPECT_EQ(mx.tensor("lm_head.layer_norm.weight").sum().item<float>(), 64.0f);
    EXPECT_EQ(mx.tensor("lm_head.bias").abs().sum().item<float>(), 0.0f);

    writeRandomModel(fixtureConfig("gpt2_tiny"), g, 1);
    auto mg = SafeTensorsCollection::openFolder(g);
    EXPECT_EQ(mg.tensor("transformer.h.1.ln_2.weight").sum().item<float>(), 64.0f);
    EXPECT_NEAR(mg.tensor("transformer.h.0.mlp.c_proj.weight").std().item<double>(), 0.02 / 2.0, 0.002);
    EXPECT_EQ(json::parse(readFile(g + "/generation_config.json"))["eos_token_id"], 511);

    json bc = fixtureConfig("bert_tiny");
    bc["architectures"] = {"BertForMaskedLM"};  // the written layout is BertModel's, and says so
    writeRandomModel(bc, bt, 1, "bf16");
    EXPECT_EQ(json::parse(readFile(bt + "/config.json"))["architectures"][0], "BertModel");
    EXPECT_EQ(SafeTensorsCollection::openFolder(bt).info("pooler.dense.weight").dtype, "BF16");

    EXPECT_THROW(writeRandomModel(fixtureConfig("gpt2_tiny"), g, 1, "int8"), Error);
}

TEST(ModelPresets, WritingUsesTheLoadersValidator) {
    // What the loader refuses, the writer refuses, with the same message.
    json g = fixtureConfig("gpt2_tiny");
    g["scale_attn_by_inverse_layer_idx"] = true;
    std::string loader, writer;
    try {
        parseModelConfig(g.dump(), "config");
    } catch (const Error& e) {
        loader = e.what();
    }
    try {
        parseWritableConfig(g);
    } catch (const Error& e) {
        writer = e.what();
    }
    EXPECT_NE(loader.find("scale_attn_by_inverse_layer_idx"), std::string::npos) << loader;
    EXPECT_EQ(writer, loader);
    // What it accepts, the writer accepts (a whole number written as 64.0).
    json b = fixtureConfig("bert_tiny");
    b["hidden_size"] = 64.0;
    EXPECT_EQ(parseWritableConfig(b).hiddenSize, 64);
    // A config known by its architectures alone is written with its family's model_type, so the
    // folder loads.
    g = fixtureConfig("gpt2_tiny");
    g.erase("model_type");
    const std::string d = outDir("gpt2_by_architectures");
    writeRandomModel(g, d, 1);
    EXPECT_EQ(json::parse(readFile(d + "/config.json"))["model_type"], "gpt2");
    EXPECT_EQ(loadModelConfig(d).arch, Architecture::Gpt2);
}
