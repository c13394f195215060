// Model engine against the reference fixtures (../shared/fixtures/README.md): hidden states, logits,
// pooled outputs, greedy ids, KV-cache decoding, batch vs single, f32 and bf16.
#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "engine/models/dtype.h"
#include "engine/models/embedding.h"
#include "engine/models/generation.h"
#include "engine/models/kv_cache.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "test_paths.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

using namespace embedlab;

namespace {

// The device the fixture checks run on: EMBEDLAB_TEST_DEVICE (e.g. "cuda", "cuda:1", "mps"), else the
// CPU. On a GPU machine: EMBEDLAB_TEST_DEVICE=cuda ctest -R engine.models (docs/models.md, Devices).
c10::Device testDevice() {
    const char* d = std::getenv("EMBEDLAB_TEST_DEVICE");
    return d && *d ? c10::Device(std::string(d)) : c10::Device(c10::kCPU);
}

struct Tol {
    double atol, rtol, relL2;  // relL2 <= 0: not checked
};
const Tol kF32{1e-4, 1e-4, 0};
const Tol kBf16{0.4, 0.03, 0.03};

// Compares on positions where mask == 1 (tensors [B, L, ...]) or everywhere (mask undefined).
void expectClose(const at::Tensor& actualIn, const at::Tensor& expectedIn, const at::Tensor& mask, const Tol& tol,
                 const std::string& what) {
    ASSERT_TRUE(actualIn.defined()) << what << ": not computed";
    at::Tensor a = actualIn.to(at::kCPU, at::kDouble), e = expectedIn.to(at::kCPU, at::kDouble);
    ASSERT_EQ(a.sizes(), e.sizes()) << what;
    if (mask.defined()) {
        at::Tensor m = mask.to(at::kBool);
        a = a.index({m});
        e = e.index({m});
    }
    at::Tensor viol = (a - e).abs() - (tol.atol + tol.rtol * e.abs());
    const double worst = viol.max().item<double>();
    EXPECT_LE(worst, 0.0) << what << ": max |diff| " << (a - e).abs().max().item<double>();
    if (tol.relL2 > 0) {
        const double rel = ((a - e).norm().item<double>()) / std::max(1e-12, e.norm().item<double>());
        EXPECT_LE(rel, tol.relL2) << what << ": relative L2 " << rel;
    }
}

std::vector<std::string> casesOf(const SafeTensorsFile& f) {
    std::set<std::string> s;
    for (const auto& t : f.tensors()) {
        const auto pos = t.name.find(".input_ids");
        if (pos != std::string::npos && pos + 10 == t.name.size()) s.insert(t.name.substr(0, pos));
    }
    return {s.begin(), s.end()};
}

struct FixtureRun {
    std::string model, expected;
    c10::ScalarType dtype;
    Tol tol;
};

void checkModel(const FixtureRun& r) {
    auto model = loadModel(test::fixture("models/" + r.model), testDevice(), r.dtype);
    ASSERT_EQ(model->device().type(), testDevice().type());
    auto ex = SafeTensorsFile::open(test::fixture("expected/" + r.expected + ".safetensors"));
    const auto& c = model->config();
    const auto cases = casesOf(*ex);
    ASSERT_FALSE(cases.empty());
    for (const auto& cs : cases) {
        SCOPED_TRACE(r.model + " " + cs + " " + dtypeName(r.dtype));
        at::Tensor ids = ex->tensor(cs + ".input_ids");
        at::Tensor mask = ex->tensor(cs + ".attention_mask");
        at::Tensor types = ex->find(cs + ".token_type_ids") ? ex->tensor(cs + ".token_type_ids") : at::Tensor();
        ForwardOptions o;
        ForwardOutput out = model->forward(ids, mask, types, o);
        ASSERT_EQ(static_cast<int64_t>(out.hiddenStates.size()), c.numLayers + 1);
        for (int64_t i = 0; i <= c.numLayers; ++i)
            expectClose(out.hiddenStates[static_cast<size_t>(i)], ex->tensor(cs + ".hidden_states." + std::to_string(i)),
                        mask, r.tol, cs + ".hidden_states." + std::to_string(i));
        expectClose(out.lastHidden, ex->tensor(cs + ".last_hidden_state"), mask, r.tol, cs + ".last_hidden_state");
        if (ex->find(cs + ".layer_output.0")) {
            for (int64_t i = 0; i < c.numLayers; ++i) {
                at::Tensor a = i + 1 < c.numLayers ? out.hiddenStates[static_cast<size_t>(i + 1)] : out.preNormLast;
                expectClose(a, ex->tensor(cs + ".layer_output." + std::to_string(i)), mask, r.tol,
                            cs + ".layer_output." + std::to_string(i));
            }
        }
        if (ex->find(cs + ".logits")) expectClose(out.logits, ex->tensor(cs + ".logits"), mask, r.tol, cs + ".logits");
        if (ex->find(cs + ".mlm_logits"))
            expectClose(out.logits, ex->tensor(cs + ".mlm_logits"), mask, r.tol, cs + ".mlm_logits");
        if (ex->find(cs + ".pooler_output"))
            expectClose(out.pooler, ex->tensor(cs + ".pooler_output"), at::Tensor(), r.tol, cs + ".pooler_output");
        // mean pooling through the embedding API (mask-aware, batches sorted by length)
        std::vector<std::vector<int64_t>> seqs;
        for (int64_t b = 0; b < ids.size(0); ++b) {
            const int64_t len = mask[b].sum().item<int64_t>();
            auto row = ids[b].narrow(0, 0, len).contiguous();
            seqs.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + len);
        }
        if (!types.defined() || types.max().item<int64_t>() == 0) {
            at::Tensor pooled = embedIds(*model, seqs, EmbeddingOptions{});
            expectClose(pooled, ex->tensor(cs + ".mean_pooled"), at::Tensor(), r.tol, cs + ".mean_pooled (embedIds)");
        }
        expectClose(poolHidden(out.lastHidden, mask, Pooling::Mean), ex->tensor(cs + ".mean_pooled"), at::Tensor(),
                    r.tol, cs + ".mean_pooled");
    }
}

}  // namespace

TEST(ModelFixtures, Gemma3F32) { checkModel({"gemma3_tiny", "gemma3_tiny", at::kFloat, kF32}); }
TEST(ModelFixtures, Gemma3Bf16) { checkModel({"gemma3_tiny_bf16", "gemma3_tiny_bf16", at::kBFloat16, kBf16}); }
TEST(ModelFixtures, Gemma3F32WeightsRunInBf16AgainstF32) { checkModel({"gemma3_tiny", "gemma3_tiny", at::kBFloat16, kBf16}); }
TEST(ModelFixtures, Gemma3Bf16WeightsRunInF32) { checkModel({"gemma3_tiny_bf16", "gemma3_tiny", at::kFloat, kF32}); }
TEST(ModelFixtures, Gpt2F32) { checkModel({"gpt2_tiny", "gpt2_tiny", at::kFloat, kF32}); }
TEST(ModelFixtures, BertF32) { checkModel({"bert_tiny", "bert_tiny", at::kFloat, kF32}); }
TEST(ModelFixtures, XlmrF32) { checkModel({"xlmr_tiny", "xlmr_tiny", at::kFloat, kF32}); }

namespace {

void checkGreedy(const std::string& name, const std::string& expected, c10::ScalarType dtype, const Tol& tol) {
    auto model = loadModel(test::fixture("models/" + name), testDevice(), dtype);
    auto ex = SafeTensorsFile::open(test::fixture("expected/" + expected + ".safetensors"));
    int n = 0;
    for (const auto& cs : casesOf(*ex)) {
        if (!ex->find(cs + ".greedy_new_ids")) continue;
        SCOPED_TRACE(name + " " + cs);
        ++n;
        at::Tensor ids = ex->tensor(cs + ".input_ids").contiguous();
        std::vector<int64_t> prompt(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
        GenerationOptions o;
        o.maxNewTokens = 10;
        o.temperature = 0;
        o.keepLogits = true;
        o.topLogprobs = 3;
        GenerationResult g = generate(*model, prompt, o);
        at::Tensor want = ex->tensor(cs + ".greedy_new_ids").reshape({-1}).contiguous();
        std::vector<int64_t> wantIds(want.data_ptr<int64_t>(), want.data_ptr<int64_t>() + want.numel());
        EXPECT_EQ(g.ids, wantIds);
        ASSERT_EQ(g.stepLogits.size(), 10u);
        expectClose(at::stack(g.stepLogits), ex->tensor(cs + ".greedy_step_logits"), at::Tensor(), tol,
                    cs + ".greedy_step_logits");
        ASSERT_EQ(g.steps.size(), 10u);
        EXPECT_EQ(g.steps[0].top.size(), 3u);
        EXPECT_EQ(g.steps[0].top[0].id, g.ids[0]);
        EXPECT_GT(g.steps[0].prob, 0.0);
        EXPECT_EQ(g.stopReason, "length");
        EXPECT_EQ(g.promptTokens, static_cast<int64_t>(prompt.size()));
    }
    EXPECT_GT(n, 0);
}

// Prefill k tokens, then feed the rest one at a time through the cache: logits must equal the full pass.
void checkKvCache(const std::string& name, const std::string& expected, c10::ScalarType dtype, const Tol& tol, int64_t k) {
    auto model = loadModel(test::fixture("models/" + name), testDevice(), dtype);
    auto ex = SafeTensorsFile::open(test::fixture("expected/" + expected + ".safetensors"));
    for (const auto& cs : casesOf(*ex)) {
        if (cs == "batch") continue;
        SCOPED_TRACE(name + " " + cs);
        at::Tensor ids = ex->tensor(cs + ".input_ids");
        const int64_t L = ids.size(1);
        KVCache cache = model->makeCache();
        ForwardOptions fo;
        fo.hiddenStates = false;
        std::vector<at::Tensor> parts;
        parts.push_back(model->forwardCached(ids.narrow(1, 0, k), cache, fo).logits);
        for (int64_t t = k; t < L; ++t) parts.push_back(model->forwardCached(ids.narrow(1, t, 1), cache, fo).logits);
        EXPECT_EQ(cache.length(), L);
        expectClose(at::cat(parts, 1), ex->tensor(cs + ".logits"), at::Tensor(), tol, cs + ".logits (cached)");
        // Also in uneven chunks.
        cache.clear();
        parts.clear();
        for (int64_t t = 0; t < L;) {
            const int64_t n = std::min<int64_t>(L - t, 1 + (t % 3));
            parts.push_back(model->forwardCached(ids.narrow(1, t, n), cache, fo).logits);
            t += n;
        }
        expectClose(at::cat(parts, 1), ex->tensor(cs + ".logits"), at::Tensor(), tol, cs + ".logits (chunked)");
    }
}

}  // namespace

TEST(ModelGreedy, Gemma3F32) { checkGreedy("gemma3_tiny", "gemma3_tiny", at::kFloat, kF32); }
TEST(ModelGreedy, Gemma3Bf16) { checkGreedy("gemma3_tiny_bf16", "gemma3_tiny_bf16", at::kBFloat16, kBf16); }
TEST(ModelGreedy, Gpt2F32) { checkGreedy("gpt2_tiny", "gpt2_tiny", at::kFloat, kF32); }

TEST(ModelKvCache, Gemma3F32) { checkKvCache("gemma3_tiny", "gemma3_tiny", at::kFloat, kF32, 5); }
TEST(ModelKvCache, Gemma3F32PrefillOne) { checkKvCache("gemma3_tiny", "gemma3_tiny", at::kFloat, kF32, 1); }
TEST(ModelKvCache, Gemma3Bf16) { checkKvCache("gemma3_tiny_bf16", "gemma3_tiny_bf16", at::kBFloat16, kBf16, 5); }
TEST(ModelKvCache, Gpt2F32) { checkKvCache("gpt2_tiny", "gpt2_tiny", at::kFloat, kF32, 5); }

TEST(ModelKvCache, SlidingLayersKeepOnlyTheWindow) {
    // A long decode through a cache whose sliding layers compact; must equal the full pass.
    auto model = loadModel(test::fixture("models/gemma3_tiny"));
    at::Tensor ids = at::randint(3, 512, {1, 150}, at::TensorOptions().dtype(at::kLong));
    ForwardOptions fo;
    fo.hiddenStates = false;
    at::Tensor full = model->forward(ids, at::Tensor(), at::Tensor(), fo).logits;
    KVCache cache = model->makeCache();
    std::vector<at::Tensor> parts;
    parts.push_back(model->forwardCached(ids.narrow(1, 0, 3), cache, fo).logits);
    for (int64_t t = 3; t < 150; ++t) parts.push_back(model->forwardCached(ids.narrow(1, t, 1), cache, fo).logits);
    expectClose(at::cat(parts, 1), full, at::Tensor(), kF32, "long cached decode");
}

TEST(ModelBatch, RowsEqualSingleSequences) {
    for (const char* name : {"gemma3_tiny", "gpt2_tiny", "bert_tiny", "xlmr_tiny"}) {
        SCOPED_TRACE(name);
        auto model = loadModel(test::fixture(std::string("models/") + name));
        auto ex = SafeTensorsFile::open(test::fixture(std::string("expected/") + name + ".safetensors"));
        at::Tensor ids = ex->tensor("batch.input_ids"), mask = ex->tensor("batch.attention_mask");
        ForwardOutput batch = model->forward(ids, mask, at::Tensor(), ForwardOptions{});
        for (int64_t b = 0; b < ids.size(0); ++b) {
            const int64_t len = mask[b].sum().item<int64_t>();
            ForwardOutput one = model->forward(ids.narrow(0, b, 1).narrow(1, 0, len), at::Tensor(), at::Tensor(), ForwardOptions{});
            expectClose(batch.lastHidden.narrow(0, b, 1).narrow(1, 0, len), one.lastHidden, at::Tensor(), kF32, "row");
            if (one.logits.defined())
                expectClose(batch.logits.narrow(0, b, 1).narrow(1, 0, len), one.logits, at::Tensor(), kF32, "row logits");
        }
    }
}
