// Train mode of every model family: autograd's gradients equal central finite differences in float64
// for every parameter group (embeddings incl. a tied head's second use, each layer, norms, biases,
// heads), with Gemma's soft-caps on; the training forward (plain ATen, graph recorded) equals the
// inference forward (fused kernels) in f32; freezing by group; the pad row gets no gradient (HF's
// padding_idx).
#include "engine/core/error.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/nn_ops.h"
#include "engine/train/parameters.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <map>
#include <random>

using namespace embedlab;

namespace {

std::unique_ptr<Model> fixtureModel(const std::string& name, c10::ScalarType dtype = at::kDouble) {
    return loadModel(test::fixture("models/" + name), c10::Device(c10::kCPU), dtype);
}

// A scalar of everything a family outputs: the LM cross-entropy (causal LMs), or a fixed random
// projection of the last hidden state, the pooler and the MLM logits (encoders).
at::Tensor scalarLoss(Model& m, const at::Tensor& ids, const at::Tensor& mask) {
    ForwardOptions o;
    o.hiddenStates = false;
    ForwardOutput out = m.forward(ids, mask, at::Tensor(), o);
    const auto opts = at::TensorOptions().dtype(out.lastHidden.scalar_type());
    if (m.config().isCausalLM()) {
        const int64_t L = ids.size(1);
        at::Tensor logits = out.logits.narrow(1, 0, L - 1);
        at::Tensor valid = mask.narrow(1, 1, L - 1);
        at::Tensor targets = ids.narrow(1, 1, L - 1).masked_fill(valid.eq(0), -100);
        return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}), {}, at::Reduction::Sum, -100);
    }
    // Drawn in f64 whatever the model's dtype, so f32 and f64 models see the same projection.
    at::Generator g = at::detail::createCPUGenerator(7);
    auto draw = [&](at::IntArrayRef sizes) { return at::randn(sizes, g, at::TensorOptions().dtype(at::kDouble)).to(opts); };
    at::Tensor r = draw(out.lastHidden.sizes());
    at::Tensor loss = (out.lastHidden * r * mask.unsqueeze(-1).to(r.scalar_type())).sum();
    if (out.pooler.defined()) loss = loss + (out.pooler * draw(out.pooler.sizes())).sum();
    if (out.logits.defined()) loss = loss + (out.logits * draw(out.logits.sizes()) * mask.unsqueeze(-1).to(r.scalar_type())).sum() * 0.1;
    return loss;
}

struct Batch {
    at::Tensor ids, mask;
};

Batch batchFor(const Model& m) {
    const int64_t V = m.config().vocabSize;
    std::mt19937 gen(3);
    std::vector<int64_t> ids = {5, 17, 200, 3, 44, 9, 311, 120, 7, 60, 61, 62};
    std::vector<int64_t> ids2 = {8, 400, 11, 12, 90, 2, 0, 0, 0, 0, 0, 0};  // right-padded
    for (auto& v : ids) v %= V;
    for (auto& v : ids2) v %= V;
    Batch b;
    b.ids = at::tensor(ids, at::kLong).view({1, -1});
    b.ids = at::cat({b.ids, at::tensor(ids2, at::kLong).view({1, -1})}, 0);
    b.mask = at::ones_like(b.ids);
    b.mask.select(0, 1).narrow(0, 6, 6).zero_();
    if (m.config().arch == Architecture::XlmRoberta) b.ids.select(0, 1).narrow(0, 6, 6).fill_(m.config().padTokenId);
    return b;
}

// Checks a few entries of every parameter against central differences.
void checkGradients(Model& m, int entriesPerTensor = 2) {
    m.makeTrainable();
    auto params = applyTrainSelection(m, parseTrainSelection("all", m.config().numLayers));
    const Batch b = batchFor(m);
    at::Tensor loss = scalarLoss(m, b.ids, b.mask);
    ASSERT_TRUE(loss.requires_grad());
    loss.backward();
    std::mt19937 gen(11);
    std::map<ParameterGroup, int> checked;
    int norms = 0, biases = 0;
    for (auto& p : params) {
        const at::Tensor grad = p.tensor.grad();
        ASSERT_TRUE(grad.defined()) << p.name << " received no gradient";
        at::Tensor flat = p.tensor.detach().view({-1});
        at::Tensor gflat = grad.reshape({-1});
        // The entries with the largest gradient (a real signal) and a random one.
        std::vector<int64_t> idx = {gflat.abs().argmax().item<int64_t>()};
        for (int k = 1; k < entriesPerTensor; ++k) idx.push_back(static_cast<int64_t>(gen() % static_cast<uint32_t>(flat.numel())));
        for (int64_t k : idx) {
            const double h = 1e-6;
            const double w0 = flat[k].item<double>();
            double plus, minus;
            {
                at::NoGradGuard ng;
                flat[k].fill_(w0 + h);
                plus = scalarLoss(m, b.ids, b.mask).item<double>();
                flat[k].fill_(w0 - h);
                minus = scalarLoss(m, b.ids, b.mask).item<double>();
                flat[k].fill_(w0);
            }
            const double fd = (plus - minus) / (2 * h);
            const double an = gflat[k].item<double>();
            EXPECT_NEAR(an, fd, 1e-6 + 1e-5 * std::abs(fd)) << p.name << "[" << k << "]";
        }
        ++checked[p.group];
        norms += p.norm;
        biases += p.bias;
    }
    EXPECT_GT(checked[ParameterGroup::Embeddings], 0);
    EXPECT_GT(checked[ParameterGroup::Layer], 0);
    EXPECT_GT(norms, 0);
    if (m.config().arch != Architecture::Gemma3) {
        EXPECT_GT(biases, 0);
    }
}

}  // namespace

TEST(Gradients, Gemma3MatchFiniteDifferencesIncludingTheTiedHead) {
    auto m = fixtureModel("gemma3_tiny");
    ASSERT_TRUE(m->tiedLmHead());
    checkGradients(*m);
}

TEST(Gradients, Gemma3WithSoftCapsAndAnUntiedHead) {
    ModelConfig c = fixtureModel("gemma3_tiny", at::kFloat)->config();
    c.attnLogitSoftcap = 20.0;
    c.finalLogitSoftcap = 8.0;
    c.tieWordEmbeddings = false;
    auto m = createRandomModel(c, 5, c10::Device(c10::kCPU), at::kDouble, 0.2);
    ASSERT_FALSE(m->tiedLmHead());
    checkGradients(*m);
    bool head = false;
    for (const auto& p : describeParameters(*m)) head |= p.group == ParameterGroup::Head;
    EXPECT_TRUE(head);
}

TEST(Gradients, Gpt2MatchFiniteDifferences) {
    auto m = fixtureModel("gpt2_tiny");
    checkGradients(*m);
}

TEST(Gradients, BertMatchFiniteDifferencesWithPoolerAndANewMlmHead) {
    auto m = fixtureModel("bert_tiny");
    const int64_t H = m->config().hiddenSize, V = m->config().vocabSize;
    m->setWeights({{"lm_head.dense.weight", at::randn({H, H}, at::kDouble) * 0.1},
                   {"lm_head.dense.bias", at::randn({H}, at::kDouble) * 0.1},
                   {"lm_head.layer_norm.weight", at::ones({H}, at::kDouble)},
                   {"lm_head.layer_norm.bias", at::zeros({H}, at::kDouble)},
                   {"lm_head.bias", at::zeros({V}, at::kDouble)}});
    checkGradients(*m);
}

TEST(Gradients, XlmRobertaMatchFiniteDifferences) {
    auto m = fixtureModel("xlmr_tiny");
    checkGradients(*m);
}

TEST(Gradients, TrainingForwardEqualsTheInferenceForward) {
    for (const char* name : {"gemma3_tiny", "gpt2_tiny", "bert_tiny", "xlmr_tiny"}) {
        auto m = fixtureModel(name, at::kFloat);
        const Batch b = batchFor(*m);
        ForwardOptions o;
        ForwardOutput inf = m->forward(b.ids, b.mask, at::Tensor(), o);
        EXPECT_TRUE(inf.lastHidden.is_inference()) << name;
        m->makeTrainable();
        EXPECT_TRUE(m->recordsGradients());
        ForwardOutput tr = m->forward(b.ids, b.mask, at::Tensor(), o);
        ASSERT_TRUE(tr.lastHidden.requires_grad()) << name;
        ASSERT_EQ(inf.hiddenStates.size(), tr.hiddenStates.size());
        const at::Tensor valid = b.mask.unsqueeze(-1).to(at::kBool);
        for (size_t i = 0; i < inf.hiddenStates.size(); ++i) {
            const at::Tensor a = inf.hiddenStates[i].masked_select(valid), t = tr.hiddenStates[i].detach().masked_select(valid);
            EXPECT_TRUE(at::allclose(a, t, 1e-4, 1e-5)) << name << " hidden " << i << " max diff "
                                                        << (a - t).abs().max().item<double>();
        }
        if (inf.logits.defined()) {
            EXPECT_TRUE(at::allclose(inf.logits, tr.logits.detach(), 1e-4, 1e-4)) << name;
        }
        // Under no_grad a trainable model runs as inference again.
        at::NoGradGuard ng;
        EXPECT_FALSE(m->recordsGradients());
        EXPECT_TRUE(m->forward(b.ids, b.mask, at::Tensor(), o).lastHidden.is_inference());
    }
}

// The f32 product path (where the fused CPU kernels would run) gives the f64 gradients, which the
// finite differences above pin down: a kernel that wrote through data_ptr would cut the graph here.
TEST(Gradients, Float32GradientsEqualTheFloat64Ones) {
    for (const char* name : {"gemma3_tiny", "gpt2_tiny", "bert_tiny", "xlmr_tiny"}) {
        auto m32 = fixtureModel(name, at::kFloat);
        auto m64 = fixtureModel(name, at::kDouble);
        std::map<std::string, at::Tensor> grads;
        for (Model* m : {m32.get(), m64.get()}) {
            m->makeTrainable();
            applyTrainSelection(*m, parseTrainSelection("all", m->config().numLayers));
            const Batch b = batchFor(*m);
            scalarLoss(*m, b.ids, b.mask).backward();
        }
        for (const auto& p : describeParameters(*m32)) {
            const at::Tensor g32 = p.tensor.grad();
            const at::Tensor g64 = m64->weights().at(p.name).grad();
            ASSERT_TRUE(g32.defined() && g64.defined()) << name << " " << p.name;
            // Attention's key bias has a zero gradient in exact arithmetic: an absolute floor for it.
            const double diff = (g32.to(at::kDouble) - g64).norm().item<double>();
            EXPECT_LT(diff, 1e-3 * g64.norm().item<double>() + 1e-5) << name << " " << p.name;
        }
    }
}

TEST(Gradients, FrozenGroupsGetNoGradientAndThePadRowNone) {
    auto m = fixtureModel("gemma3_tiny");
    m->makeTrainable();
    auto chosen = applyTrainSelection(*m, parseTrainSelection("layers:1,3", m->config().numLayers));
    for (const auto& p : chosen) EXPECT_TRUE(p.layer == 1 || p.layer == 3) << p.name;
    const Batch b = batchFor(*m);
    scalarLoss(*m, b.ids, b.mask).backward();
    for (const auto& p : describeParameters(*m)) {
        const bool on = p.layer == 1 || p.layer == 3;
        EXPECT_EQ(p.tensor.grad().defined(), on) << p.name;
    }
    // Embeddings: the pad id receives nothing from its lookups, even at a real position (HF's padding_idx).
    auto e = fixtureModel("bert_tiny");
    e->makeTrainable();
    applyTrainSelection(*e, parseTrainSelection("embeddings", e->config().numLayers));
    Batch withPad = batchFor(*e);
    withPad.ids[0][2] = e->config().padTokenId;  // mask 1 there
    ASSERT_EQ(withPad.mask[0][2].item<int64_t>(), 1);
    scalarLoss(*e, withPad.ids, withPad.mask).backward();
    const at::Tensor g = e->inputEmbeddings().grad();
    ASSERT_TRUE(g.defined());
    EXPECT_EQ(g[e->config().padTokenId].abs().sum().item<double>(), 0.0);
    EXPECT_GT(g[5].abs().sum().item<double>(), 0.0);
}

TEST(Gradients, TrainSelectionParsesAndRejects) {
    EXPECT_TRUE(parseTrainSelection("all", 4).all);
    auto s = parseTrainSelection("embeddings+head", 4);
    EXPECT_TRUE(s.embeddings && s.head && !s.all);
    EXPECT_EQ(parseTrainSelection("layers:0-2,3", 4).layers.size(), 4u);
    EXPECT_EQ(parseTrainSelection("embeddings+layers:1", 4).describe(), "embeddings+layers:1");
    EXPECT_THROW(parseTrainSelection("layers:4", 4), Error);
    EXPECT_THROW(parseTrainSelection("bodies", 4), Error);
    EXPECT_THROW(parseTrainSelection("", 4), Error);
    auto m = fixtureModel("gpt2_tiny", at::kFloat);
    m->makeTrainable();
    EXPECT_THROW(applyTrainSelection(*m, parseTrainSelection("head", 2)), Error);  // GPT-2's head is tied
}
