// Writing a model back as a Hugging Face folder (engine/models/model_writer.h): every fixture model
// round-trips bit for bit under the key names its own file uses; BERT with an MLM head becomes
// BertForMaskedLM (tested in tests/engine/train); the text part of a Gemma3ForConditionalGeneration is
// written as a Gemma3ForCausalLM that loads on its own.
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include <filesystem>
#include <set>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {
std::set<std::string> keys(const std::string& file) {
    std::set<std::string> k;
    const auto f = SafeTensorsFile::open(file);  // kept alive: tensors() refers into it
    for (const auto& i : f->tensors()) k.insert(i.name);
    return k;
}
}  // namespace

TEST(ModelWriter, FixtureModelsRoundTripUnderTheirOwnKeyNames) {
    for (const char* name : {"gemma3_tiny", "gpt2_tiny", "bert_tiny", "xlmr_tiny"}) {
        const std::string src = test::fixture(std::string("models/") + name);
        const std::string out = test::tmpDir() + "/writer_" + name;
        fs::remove_all(out);
        auto m = loadModel(src);
        writeModelFolder(*m, nlohmann::json::parse(readFile(src + "/config.json")), out);
        EXPECT_EQ(keys(out + "/model.safetensors"), keys(src + "/model.safetensors")) << name;
        auto back = loadModel(out);
        ASSERT_EQ(back->weights().size(), m->weights().size()) << name;
        for (const auto& [n, t] : m->weights()) EXPECT_TRUE(at::equal(t, back->weights().at(n))) << name << " " << n;
        EXPECT_EQ(nlohmann::json::parse(readFile(out + "/config.json"))["torch_dtype"], "float32");
    }
}

TEST(ModelWriter, ConditionalGenerationTextPartIsWrittenAsACausalLm) {
    const std::string src = test::fixture("models/gemma3_tiny");
    const std::string dir = test::tmpDir() + "/writer_cond_src", out = test::tmpDir() + "/writer_cond_out";
    fs::remove_all(dir);
    fs::remove_all(out);
    fs::create_directories(dir);
    nlohmann::json text = nlohmann::json::parse(readFile(src + "/config.json"));
    nlohmann::json cfg = {{"model_type", "gemma3"}, {"architectures", {"Gemma3ForConditionalGeneration"}}, {"text_config", text}};
    writeFileAtomic(dir + "/config.json", cfg.dump());
    auto f = SafeTensorsFile::open(src + "/model.safetensors");
    std::vector<std::pair<std::string, at::Tensor>> ts;
    for (const auto& i : f->tensors()) ts.emplace_back("language_model." + i.name, f->tensor(i.name));
    saveSafeTensors(dir + "/model.safetensors", ts);
    auto m = loadModel(dir);
    ASSERT_TRUE(m->config().conditionalGeneration);
    writeModelFolder(*m, cfg, out);
    const auto written = nlohmann::json::parse(readFile(out + "/config.json"));
    EXPECT_EQ(written["model_type"], "gemma3_text");
    EXPECT_EQ(written["architectures"][0], "Gemma3ForCausalLM");
    EXPECT_EQ(keys(out + "/model.safetensors"), keys(src + "/model.safetensors"));
    auto back = loadModel(out);
    EXPECT_FALSE(back->config().conditionalGeneration);
    for (const auto& [n, t] : m->weights()) EXPECT_TRUE(at::equal(t, back->weights().at(n))) << n;
}
