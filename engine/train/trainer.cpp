#include "engine/train/trainer.h"

#include "engine/core/error.h"
#include "engine/dist/checksum.h"
#include "engine/dist/collective.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/jobs/progress.h"
#include "engine/models/generation.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/models/nn_ops.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/train/lm_head_loss.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace embedlab {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Data parallel: every rank's gradients summed in place (each rank's loss is already divided by the
// global batch's count, so the sum is the global mean's gradient). Flattened into buckets of at most
// `bucketBytes` (one all-reduce each, as torch.nn.parallel.DistributedDataParallel's 25 MB buckets) and
// copied back. A parameter that got a gradient on no rank keeps none (the optimizer skips it, as in one
// process: BERT's pooler under mlm); one that got a gradient on some rank counts as zeros where it got
// none. After the backward pass, not overlapped with it.
void sumGradientsAcrossRanks(std::vector<ParameterInfo>& params, Collective& group, int64_t bucketBytes = 25 << 20) {
    at::NoGradGuard ng;
    at::Tensor has = at::zeros({static_cast<int64_t>(params.size())}, at::kFloat);
    {
        auto h = has.accessor<float, 1>();
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].tensor.grad().defined()) h[static_cast<int64_t>(i)] = 1.0f;
    }
    group.allReduce(has, Collective::Op::Max);
    const auto hasA = has.accessor<float, 1>();
    size_t i = 0;
    while (i < params.size()) {
        std::vector<at::Tensor> grads;
        int64_t bytes = 0;
        size_t j = i;
        for (; j < params.size(); ++j) {
            if (hasA[static_cast<int64_t>(j)] == 0.0f) continue;
            at::Tensor& t = params[j].tensor;
            const int64_t b = t.numel() * static_cast<int64_t>(t.element_size());
            if (!grads.empty() && bytes + b > bucketBytes) break;
            if (!t.mutable_grad().defined()) t.mutable_grad() = at::zeros_like(t);
            grads.push_back(t.mutable_grad());
            bytes += b;
        }
        if (!grads.empty()) {
            std::vector<at::Tensor> flat;
            for (const at::Tensor& g : grads) flat.push_back(g.reshape({-1}));
            at::Tensor bucket = at::cat(flat);
            group.allReduce(bucket);
            int64_t off = 0;
            for (at::Tensor& g : grads) {
                g.copy_(bucket.narrow(0, off, g.numel()).view(g.sizes()));
                off += g.numel();
            }
        }
        i = j;
    }
}

// Sets CPU/CUDA autocast to bf16 for its lifetime (f32 master weights, bf16 products).
class Bf16Autocast {
public:
    explicit Bf16Autocast(bool on, bool cuda) : on_(on), cuda_(cuda) {
        if (!on_) return;
        if (cuda_) {
            prevEnabled_ = at::autocast::is_enabled();
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
            at::autocast::set_enabled(true);
        } else {
            prevEnabled_ = at::autocast::is_cpu_enabled();
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
        }
        at::autocast::increment_nesting();
    }
    ~Bf16Autocast() {
        if (!on_) return;
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        if (cuda_) at::autocast::set_enabled(prevEnabled_);
        else at::autocast::set_cpu_enabled(prevEnabled_);
    }

private:
    bool on_, cuda_;
    bool prevEnabled_ = false;
};

// Sum of the next-token cross-entropies at real positions, and how many there are.
struct LossSum {
    at::Tensor sum;
    int64_t count = 0;
};

int64_t lmTargets(const TokenBatch& b) {
    if (b.ids.size(1) < 2) return 0;
    return b.mask.narrow(1, 1, b.ids.size(1) - 1).sum().item<int64_t>();
}

// `cancel` (the training steps pass their Progress) is checked before every layer of the forward.
LossSum lmLoss(Model& model, const TokenBatch& b, const Progress* cancel = nullptr) {
    // The final hidden states, then the LM head and the cross-entropy in chunks (lm_head_loss.h): the
    // [tokens, vocab] logits are never held whole.
    ForwardOptions fo;
    fo.cancel = cancel;
    fo.hiddenStates = false;
    fo.logits = false;
    const int64_t L = b.ids.size(1);
    ForwardOutput out = model.forward(b.ids, b.mask, at::Tensor(), fo);
    const at::Tensor h = out.lastHidden.narrow(1, 0, L - 1);
    const at::Tensor valid = b.mask.narrow(1, 1, L - 1).to(h.device());
    const at::Tensor targets = b.ids.narrow(1, 1, L - 1).to(h.device()).masked_fill(valid.eq(0), -100);
    LossSum r;
    r.sum = lmHeadCrossEntropySum(h.reshape({-1, h.size(-1)}), model.lmHead(), targets.reshape({-1}),
                                  model.config().finalLogitSoftcap);
    r.count = valid.sum().item<int64_t>();
    return r;
}

}  // namespace

MlmBatch maskForMlm(const TokenBatch& b, int64_t j, const TrainerOptions& o, const TrainerData& d, int64_t vocab) {
    if (!d.maskId) throw Error::badInput("mlm: the tokenizer has no mask token ([MASK] / <mask>)");
    at::Generator gen = at::detail::createCPUGenerator(o.seed * 1000003ull + static_cast<uint64_t>(j) * 7919ull + 17);
    const int64_t B = b.ids.size(0), L = b.ids.size(1);
    MlmBatch m;
    m.ids = b.ids.clone();
    m.mask = b.mask;
    m.labels = at::full({B, L}, -100, at::kLong);
    const at::Tensor u = at::rand({B, L}, gen, at::TensorOptions().dtype(at::kDouble));
    const at::Tensor kind = at::rand({B, L}, gen, at::TensorOptions().dtype(at::kDouble));
    const at::Tensor repl = at::randint(vocab, {B, L}, gen, at::TensorOptions().dtype(at::kLong));
    auto ids = m.ids.accessor<int64_t, 2>();
    auto labels = m.labels.accessor<int64_t, 2>();
    auto mask = b.mask.accessor<int64_t, 2>();
    auto ua = u.accessor<double, 2>();
    auto ka = kind.accessor<double, 2>();
    auto ra = repl.accessor<int64_t, 2>();
    auto special = [&](int64_t id) {
        for (int64_t s : d.specialIds)
            if (s == id) return true;
        return false;
    };
    for (int64_t i = 0; i < B; ++i) {
        int64_t chosen = 0, first = -1;
        double best = 2.0;
        for (int64_t t = 0; t < L; ++t) {
            if (!mask[i][t] || special(ids[i][t])) continue;
            if (ua[i][t] < best) best = ua[i][t], first = t;  // the most likely one, if none is drawn
            if (ua[i][t] < o.maskProbability) {
                labels[i][t] = ids[i][t];
                ++chosen;
            }
        }
        if (chosen == 0 && first >= 0) labels[i][first] = ids[i][first], chosen = 1;
        for (int64_t t = 0; t < L; ++t) {
            if (labels[i][t] < 0) continue;
            if (ka[i][t] < 0.8) ids[i][t] = *d.maskId;
            else if (ka[i][t] < 0.9) ids[i][t] = ra[i][t];
        }
        m.predictions += chosen;
    }
    return m;
}

namespace {

LossSum mlmLoss(Model& model, const MlmBatch& b, const Progress* cancel = nullptr) {
    ForwardOptions fo;
    fo.cancel = cancel;
    fo.hiddenStates = false;
    fo.logits = true;
    ForwardOutput out = model.forward(b.ids, b.mask, at::Tensor(), fo);
    if (!out.logits.defined()) throw Error::badInput("mlm: the model has no MLM head");
    const at::Tensor logits = nn::atLeastF32(out.logits);
    LossSum r;
    r.sum = at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), b.labels.to(logits.device()).reshape({-1}), {},
                                   at::Reduction::Sum, -100);
    r.count = b.predictions;
    return r;
}

at::Tensor pooled(Model& model, const TokenBatch& b, const std::string& pooling, const Progress* cancel = nullptr) {
    ForwardOptions fo;
    fo.cancel = cancel;
    fo.hiddenStates = false;
    fo.logits = false;
    ForwardOutput out = model.forward(b.ids, b.mask, at::Tensor(), fo);
    const at::Tensor h = nn::atLeastF32(out.lastHidden);
    const at::Tensor mask = b.mask.to(h.device()).to(h.scalar_type());
    if (pooling == "cls") return h.select(1, 0);
    if (pooling == "last") {
        const at::Tensor last = (b.mask.sum(1) - 1).to(h.device());
        return h.index({at::arange(h.size(0), last.options()), last});
    }
    if (pooling == "max") return h.masked_fill(mask.unsqueeze(-1).eq(0), -1e30).amax(1);
    return (h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, true);
}

at::Tensor infoNce(const at::Tensor& a, const at::Tensor& b, const at::Tensor& scale, const std::vector<int64_t>& dims) {
    std::vector<int64_t> ds = dims.empty() ? std::vector<int64_t>{a.size(1)} : dims;
    at::Tensor total;
    const at::Tensor target = at::arange(a.size(0), at::TensorOptions().dtype(at::kLong).device(a.device()));
    for (int64_t d : ds) {
        const at::Tensor x = a.narrow(1, 0, d), y = b.narrow(1, 0, d);
        const at::Tensor xn = x / x.norm(2, {1}, true).clamp_min(1e-12);
        const at::Tensor yn = y / y.norm(2, {1}, true).clamp_min(1e-12);
        const at::Tensor logits = at::matmul(xn, yn.t()) * scale;
        const at::Tensor l = (at::cross_entropy_loss(logits, target) + at::cross_entropy_loss(logits.t(), target)) / 2;
        total = total.defined() ? total + l : l;
    }
    return total / static_cast<double>(ds.size());
}

std::string stepDirName(int64_t step) { return "checkpoint-" + std::to_string(step); }

// FNV-1a over every token and sequence boundary: a resume must draw from the same data.
std::string fingerprint(const TokenSequences& s, uint64_t h = 1469598103934665603ull) {
    auto mix = [&h](int64_t v) {
        for (int i = 0; i < 8; ++i) {
            h ^= static_cast<uint64_t>(v >> (8 * i)) & 0xff;
            h *= 1099511628211ull;
        }
    };
    for (size_t i = 0; i < s.size(); ++i) {
        mix(s.length(i));
        const int32_t* p = s.sequence(i);
        for (int64_t t = 0; t < s.length(i); ++t) mix(p[t]);
    }
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// Puts `from` at `to` atomically: a hard link renamed over the destination (instant, no second copy
// of the weights; checkpoint files are never changed in place), else a copy, fsynced and renamed.
void fsyncDir(const std::string& dir);

void linkOrCopyFileAtomic(const fs::path& from, const std::string& to) {
    const std::string tmp = to + ".link-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove(tmp, ec);
    fs::create_hard_link(from, tmp, ec);
    if (!ec) {
        fs::rename(tmp, to, ec);
        const bool moved = !ec;
        fs::remove(tmp, ec);  // rename() leaves both names when they already were links of one file
        if (moved) {
            fsyncDir(fs::path(to).parent_path().string());  // the new name survives a power cut
            return;
        }
    }
    AtomicFile out(to);
    std::ifstream in(from, std::ios::binary);
    if (!in) throw Error::runtime("cannot read " + from.string());
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0) out.write(buf.data(), static_cast<uint64_t>(in.gcount()));
    }
    out.commit();
}

// What a run killed while writing a checkpoint leaves (kill -9, a power cut): its partial folder
// `.checkpoint-N.partial-PID` and the final model's `NAME.link-PID` (removed when that process is
// gone; a live writer's are never touched), and `checkpoint-N.old` — the step's previous version,
// moved aside just before the new one was renamed into place: put back when the new one is missing,
// else removed.
void removeDeadWritersLeftovers(const std::string& dir) {
    std::error_code ec;
    bool liveWriter = false;  // another run writing here now: leave its .old folders alone
    auto deadWriter = [](const std::string& name, const std::string& marker) {
        const size_t at = name.rfind(marker);
        if (at == std::string::npos) return false;
        const std::string pid = name.substr(at + marker.size());
        if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
        const pid_t p = static_cast<pid_t>(std::stol(pid));
        return p != ::getpid() && ::kill(p, 0) != 0 && errno == ESRCH;
    };
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        const size_t at = n.rfind(".partial-");
        if (n.rfind(".checkpoint-", 0) == 0 && at != std::string::npos && !deadWriter(n, ".partial-") &&
            n.substr(at + 9) != std::to_string(::getpid()))
            liveWriter = true;
    }
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        const bool partial = n.rfind(".checkpoint-", 0) == 0 && deadWriter(n, ".partial-");
        const bool link = n.find(".link-") != std::string::npos && deadWriter(n, ".link-");
        if (partial || link) {
            fs::remove_all(e.path(), ec);
        } else if (!liveWriter && n.rfind("checkpoint-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".old") == 0) {
            const fs::path current = e.path().parent_path() / n.substr(0, n.size() - 4);
            if (!fs::exists(current, ec)) fs::rename(e.path(), current, ec);
            else fs::remove_all(e.path(), ec);
        }
    }
}

void fsyncDir(const std::string& dir) {
    FILE* f = std::fopen(dir.c_str(), "r");
    if (!f) return;
    ::fsync(fileno(f));
    std::fclose(f);
}

bool completeCheckpoint(const fs::path& p) {
    return fs::is_regular_file(p / "trainer_state.json") && fs::is_regular_file(p / "model.safetensors") &&
           fs::is_regular_file(p / "config.json");
}

std::vector<std::pair<int64_t, fs::path>> checkpoints(const std::string& dir) {
    std::vector<std::pair<int64_t, fs::path>> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("checkpoint-", 0) != 0 || !e.is_directory()) continue;
        const std::string num = n.substr(11);
        if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) continue;
        out.emplace_back(std::stoll(num), e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

nlohmann::json optionsJson(const TrainerOptions& o) {
    nlohmann::json j;
    j["objective"] = o.objective;
    j["steps"] = o.steps;
    j["batch_size"] = o.batchSize;
    j["seq_len"] = o.seqLen;
    j["grad_accum"] = o.gradAccum;
    j["optimizer"] = o.optimizer.kind;
    j["lr"] = o.schedule.baseLr;
    j["weight_decay"] = o.optimizer.weightDecay;
    j["betas"] = {o.optimizer.beta1, o.optimizer.beta2};
    j["eps"] = o.optimizer.eps;
    j["warmup"] = o.schedule.warmup;
    j["schedule"] = o.schedule.kind;
    j["clip"] = o.clip;
    j["train"] = o.train;
    j["shuffle"] = o.shuffle;
    j["seed"] = o.seed;
    j["dtype"] = o.dtype;
    j["pooling"] = o.pooling;
    j["temperature"] = o.temperature;
    j["learn_temperature"] = o.learnTemperature;
    j["matryoshka"] = o.matryoshka;
    j["distill_layer"] = o.distillLayer;
    j["distill_loss"] = o.distillLoss;
    return j;
}

}  // namespace

std::string latestCheckpoint(const std::string& dir) {
    auto all = checkpoints(dir);
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (completeCheckpoint(it->second)) return it->second.string();
    return {};
}

void clearDeadCheckpointWriters(const std::string& path) {
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (fs::path(dir).filename().string().rfind("checkpoint-", 0) == 0) dir = fs::path(dir).parent_path().string();
    std::error_code ec;
    if (!dir.empty() && fs::is_directory(dir, ec)) removeDeadWritersLeftovers(dir);
}

std::string previousCheckpointHint(const std::string& checkpoint) {
    const fs::path p(checkpoint);
    const std::string n = p.filename().string();
    if (n.rfind("checkpoint-", 0) != 0) return {};
    int64_t step = 0;
    try {
        step = std::stoll(n.substr(11));
    } catch (const std::exception&) {
        return {};
    }
    std::string previous;
    for (const auto& [k, path] : checkpoints(p.parent_path().string()))
        if (k < step && completeCheckpoint(path)) previous = path.string();
    if (previous.empty()) return "; there is no earlier checkpoint";
    return "; the checkpoint before it is " + previous + " (--resume " + previous + ")";
}

std::string resolveCheckpoint(const std::string& pathIn) {
    std::string path = pathIn;
    while (path.size() > 1 && path.back() == '/') path.pop_back();  // "checkpoint-3/" from tab completion
    const std::string latest = latestCheckpoint(path);
    if (!latest.empty()) return latest;
    const fs::path p(path);
    if (p.filename().string().rfind("checkpoint-", 0) == 0 && completeCheckpoint(p)) return path;
    return {};
}

std::string TrainingEstimate::describe() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.0f MB (weights %.0f, gradients %.0f, optimizer %.0f, activations %.0f)",
                  totalBytes() / 1e6, weightBytes / 1e6, gradientBytes / 1e6, optimizerBytes / 1e6, activationBytes / 1e6);
    return buf;
}

TrainingEstimate estimateTraining(const ModelConfig& c, const TrainerOptions& o, bool measureSpeed) {
    TrainingEstimate e;
    std::map<std::string, std::vector<int64_t>> optional;
    auto shapes = expectedTensorShapes(c, &optional);
    if (o.objective == "mlm")
        for (const auto& [n, s] : optional)
            if (n.rfind("lm_head.", 0) == 0 && n != "lm_head.decoder.bias" && (n != "lm_head.decoder.weight" || !c.tieWordEmbeddings))
                shapes[n] = s;
    const TrainSelection sel = parseTrainSelection(o.train, c.numLayers);
    for (const auto& [n, s] : shapes) {
        const ParameterInfo p = classifyParameter(n, s);
        e.parameters += p.numel;
        if (sel.includes(p)) e.trainable += p.numel;
    }
    e.weightBytes = 4.0 * static_cast<double>(e.parameters);
    e.gradientBytes = 4.0 * static_cast<double>(e.trainable);
    e.optimizerBytes = o.optimizer.kind == "adamw" ? 8.0 * static_cast<double>(e.trainable) : 0.0;
    // Activations kept for backward per token and layer: ~16 hidden-sized tensors, the feed-forward's,
    // the attention probabilities; plus a chunk of LM-head logits (lm_head_loss.h).
    const bool pairs = o.objective == "contrastive";
    e.tokensPerStep = static_cast<double>(o.batchSize) * static_cast<double>(o.seqLen) * (pairs ? 2 : 1);
    const double tokensPerMicro = e.tokensPerStep;  // accumulation frees each micro-batch's activations
    const double perLayer = 16.0 * c.hiddenSize + 4.0 * c.intermediateSize + 2.0 * c.numHeads * o.seqLen;
    e.activationBytes = 4.0 * tokensPerMicro * perLayer * c.numLayers + 4.0 * tokensPerMicro * c.hiddenSize * 4 +
                        (pairs ? 0.0 : 16.0 * 1024 * 1024 * 2);
    e.flopsPerStep = 6.0 * static_cast<double>(e.parameters) * e.tokensPerStep * static_cast<double>(o.gradAccum) +
                     12.0 * c.numLayers * e.tokensPerStep * o.gradAccum * o.seqLen * c.numHeads * c.headDim;
    std::ifstream mi("/proc/meminfo");
    std::string key, unit;
    double kb = 0;
    while (mi >> key >> kb >> unit)
        if (key == "MemAvailable:") {
            e.availableBytes = kb * 1024.0;
            break;
        }
    if (measureSpeed) {
        at::NoGradGuard ng;
        const at::Tensor a = at::randn({512, 512}), b = at::randn({512, 512});
        at::matmul(a, b);  // warm-up
        const auto t0 = Clock::now();
        int reps = 0;
        while (secondsSince(t0) < 0.05 || reps < 2) {
            at::matmul(a, b);
            ++reps;
        }
        // Training reaches about half of a square product's rate (small and skinny products, the
        // element-wise work between them).
        e.measuredGflops = 0.5 * 2.0 * 512.0 * 512.0 * 512.0 * reps / secondsSince(t0) / 1e9;
    }
    return e;
}

TrainResult runTraining(Model& model, const TrainerOptions& o, const TrainerData& d, Progress& progress) {
    const auto& c = model.config();
    if (o.objective != "lm" && o.objective != "mlm" && o.objective != "contrastive" && o.objective != "distill")
        throw Error::badInput("unknown objective '" + o.objective + "' (use lm, mlm, contrastive or distill)");
    if (o.objective == "lm" && !c.isCausalLM())
        throw Error::badInput(std::string("lm needs a causal LM (Gemma 3, GPT-2); ") + architectureName(c.arch) +
                              " is an encoder: use mlm or contrastive");
    if (o.objective == "mlm" && c.isCausalLM())
        throw Error::badInput(std::string("mlm needs an encoder (BERT, XLM-R); ") + architectureName(c.arch) + " is a causal LM: use lm");
    if (o.steps < 1) throw Error::badInput("--steps must be at least 1");
    if (o.batchSize < 1) throw Error::badInput("--batch-size must be at least 1");
    if (o.gradAccum < 1) throw Error::badInput("--grad-accum must be at least 1");
    if (o.clip < 0) throw Error::badInput("--clip must not be negative (0 = off)");
    if (o.dtype != "f32" && o.dtype != "bf16") throw Error::badInput("--dtype: use f32 or bf16 for training");
    Collective* group = d.collective && d.collective->worldSize() > 1 ? d.collective : nullptr;
    const int64_t W = group ? group->worldSize() : 1, R = group ? group->rank() : 0;
    const bool root = R == 0;
    if (group && o.objective != "lm" && o.objective != "mlm")
        throw Error::badInput(o.objective + " training runs in one process: data-parallel training (--world-size) covers lm "
                                            "and mlm, whose loss is a token mean that ranks can split exactly");
    if (o.objective == "contrastive") {
        if (!(o.temperature > 0)) throw Error::badInput("--temperature must be positive");
        if (o.pooling != "mean" && o.pooling != "cls" && o.pooling != "last" && o.pooling != "max")
            throw Error::badInput("--pooling: use mean, cls, last or max");
        for (int64_t dm : o.matryoshka)
            if (dm < 1 || dm > c.hiddenSize)
                throw Error::badInput("--matryoshka: " + std::to_string(dm) + " is outside 1.." + std::to_string(c.hiddenSize));
        if (d.trainPairs.first.size() < 1) throw Error::badInput("contrastive: no training pairs");
        if (o.batchSize < 2) throw Error::badInput("contrastive: --batch-size must be at least 2 (in-batch negatives)");
    } else if (o.objective == "distill") {
        if (!d.teacher) throw Error::badInput("distill needs a teacher model (--teacher DIR)");
        const auto& tc = d.teacher->config();
        if (tc.hiddenSize != c.hiddenSize)
            throw Error::badInput("distill: the teacher's hidden size (" + std::to_string(tc.hiddenSize) +
                                  ") differs from the student's (" + std::to_string(c.hiddenSize) + ")");
        const int64_t layer = o.distillLayer < 0 ? c.numLayers : o.distillLayer;
        if (layer > c.numLayers || layer > tc.numLayers)
            throw Error::badInput("--layer " + std::to_string(layer) + " is beyond the student's (" + std::to_string(c.numLayers) +
                                  ") or the teacher's (" + std::to_string(tc.numLayers) + ") layers");
        if (o.distillLoss != "mse" && o.distillLoss != "cosine") throw Error::badInput("--distill-loss: use mse or cosine");
        if (d.trainPairs.first.size() < 1) throw Error::badInput("distill: no training text with aligned tokens");
        if (d.trainAlign.size() != d.trainPairs.first.size() || d.heldOutAlign.size() != d.heldOutPairs.first.size())
            throw Error::badInput("distill: every sequence pair needs its alignment");
    } else if (d.train.size() == 0) {
        throw Error::badInput("no training sequences");
    }
    if (o.outDir.empty()) throw Error::badInput("--out is required");
    // Ids the model cannot embed mean the tokenizer does not belong to this model.
    auto checkIds = [&](const TokenSequences& s, const char* what) {
        if (s.size() == 0) return;
        if (s.minId() < 0 || s.maxId() >= c.vocabSize)
            throw Error::badInput(std::string(what) + ": token id " + std::to_string(s.maxId() >= c.vocabSize ? s.maxId() : s.minId()) +
                                  " is outside the model's vocabulary (0.." + std::to_string(c.vocabSize - 1) +
                                  "): the tokenizer or ids do not belong to this model");
    };
    checkIds(d.train, "training data");
    checkIds(d.heldOut, "held-out data");
    checkIds(d.trainPairs.first, "training data");
    checkIds(d.heldOutPairs.first, "held-out data");
    if (o.objective != "distill") {  // a teacher's ids belong to the teacher's vocabulary
        checkIds(d.trainPairs.second, "training data");
        checkIds(d.heldOutPairs.second, "held-out data");
    } else {
        for (const TokenSequences* s2 : {&d.trainPairs.second, &d.heldOutPairs.second})
            if (s2->size() && (s2->minId() < 0 || s2->maxId() >= d.teacher->config().vocabSize))
                throw Error::badInput("distill: a teacher token id is outside the teacher's vocabulary: the teacher's "
                                      "tokenizer does not belong to the teacher model");
    }
    // Memory: refuse what cannot fit, with the numbers (the caller may have checked already, before
    // the model was built: tasks::trainModel does).
    const TrainingEstimate est = model.device().is_cpu() ? estimateTraining(c, o) : TrainingEstimate{};
    if (!est.fits()) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "; %.0f MB available", est.availableBytes / 1e6);
        throw Error::runtime("this run needs about " + est.describe() + buf +
                             ": lower --batch-size or --seq-len, or train fewer groups");
    }

    model.makeTrainable();
    if (o.objective == "mlm" && !model.weights().count("lm_head.dense.weight")) {
        // A new MLM head (BERT checkpoints saved as BertModel have none): dense N(0, σ), LayerNorm 1/0, bias 0.
        const int64_t H = c.hiddenSize;
        at::Generator gen = at::detail::createCPUGenerator(o.seed + 77);
        at::Tensor dense = at::empty({H, H}, at::kFloat);
        {
            at::NoGradGuard ng;
            dense.normal_(0.0, c.initializerRange, gen);
        }
        model.setWeights({{"lm_head.dense.weight", dense},
                          {"lm_head.dense.bias", at::zeros({H})},
                          {"lm_head.layer_norm.weight", at::ones({H})},
                          {"lm_head.layer_norm.bias", at::zeros({H})},
                          {"lm_head.bias", at::zeros({c.vocabSize})}});
        progress.log("a new MLM head was initialised (the checkpoint has none)");
    }
    const TrainSelection selection = parseTrainSelection(o.train, c.numLayers);
    std::vector<ParameterInfo> params = applyTrainSelection(model, selection);
    at::Tensor logScale;  // contrastive: log(1/τ)
    if (o.objective == "contrastive") {
        at::NoGradGuard ng;
        logScale = at::full({1}, std::log(1.0 / o.temperature), at::TensorOptions().dtype(at::kFloat).device(model.device()));
    }
    if (o.learnTemperature && logScale.defined()) {
        logScale.requires_grad_(true);
        ParameterInfo p;
        p.name = "logit_scale";
        p.group = ParameterGroup::Other;
        p.tensor = logScale;
        params.push_back(p);
    }
    // The logits' scale 1/τ: fixed (exactly 1/τ) or learned as log(1/τ).
    auto scaleOf = [&]() -> at::Tensor {
        if (o.learnTemperature) return logScale.exp();
        return at::full({1}, 1.0 / o.temperature, at::TensorOptions().dtype(at::kFloat).device(model.device()));
    };
    // A cancel reaches into the backward pass: every trained tensor's gradient hook checks it (autograd
    // passes the Error(Cancelled) out of backward() unchanged), so a long backward stops after the
    // current layer's gradients, not at the end of the step. The hooks leave with the run.
    struct CancelHooks {
        std::vector<std::pair<at::Tensor, unsigned>> hooks;
        ~CancelHooks() {
            for (auto& [t, h] : hooks) t.remove_hook(h);
        }
    } cancelHooks;
    for (const ParameterInfo& p : params)
        if (p.tensor.requires_grad())
            cancelHooks.hooks.emplace_back(p.tensor, p.tensor.register_hook([&progress](const at::Tensor&) { progress.checkCancelled(); }));
    std::unique_ptr<Optimizer> optimizer = makeOptimizer(params, o.optimizer);
    LrSchedule schedule = o.schedule;
    schedule.totalSteps = o.steps;
    validateSchedule(schedule);

    const std::string dataFingerprint = o.objective == "contrastive" || o.objective == "distill"
                                            ? fingerprint(d.trainPairs.second, std::stoull(fingerprint(d.trainPairs.first), nullptr, 16))
                                            : fingerprint(d.train);
    TrainResult result;
    result.outDir = o.outDir;
    int64_t start = 0;
    if (o.resumeDir.empty()) {
        // A fresh run never mixes with another run's checkpoints (pruning and --resume would pick them up).
        auto old = checkpoints(o.outDir);
        if (!old.empty())
            throw Error::badInput(o.outDir + " already holds checkpoints (" + old.back().second.filename().string() +
                                  "): continue them with --resume " + o.outDir + ", or choose another --out");
    }
    // Whatever way this returns, the model leaves training frozen: later forwards run as inference.
    struct Freeze {
        std::vector<ParameterInfo>& ps;
        ~Freeze() {
            for (auto& p : ps) {
                p.tensor.requires_grad_(false);
                p.tensor.mutable_grad() = at::Tensor();
            }
        }
    } freeze{params};
    if (!o.resumeDir.empty()) {
        // Every malformed piece of a checkpoint is a clear message naming it (a fuzz harness checks),
        // and the checkpoint before it, which a resume can take instead.
        const std::string ckpt = resolveCheckpoint(o.resumeDir);
        if (ckpt.empty()) throw Error::badInput("--resume: " + o.resumeDir + " holds no complete checkpoint");
        const std::string hint = previousCheckpointHint(ckpt);
        struct ShapeMismatch {
            std::string what;
        };
        try {
            nlohmann::json st;
            try {
                st = nlohmann::json::parse(readFile(joinPath(ckpt, "trainer_state.json")));
            } catch (const nlohmann::json::exception& e) {
                throw Error::badInput(ckpt + "/trainer_state.json is damaged: " + e.what() + hint);
            }
            const nlohmann::json now = optionsJson(o);
            if (!st.is_object() || !st.contains("options") || !st["options"].is_object() || !st.contains("step"))
                throw Error::badInput(ckpt + "/trainer_state.json is not a trainer state (no step or options)" + hint);
            const nlohmann::json& was = st["options"];
            // First: another world size also means another per-rank batch size (the global batch is W·B).
            if (was.value("world_size", int64_t{1}) != W)
                throw Error::badInput("--resume: the checkpoint was trained by " + std::to_string(was.value("world_size", int64_t{1})) +
                                      " rank(s), this run has " + std::to_string(W) + "; resume with the same world size");
            for (const char* k : {"objective", "batch_size", "seq_len", "grad_accum", "optimizer", "lr", "weight_decay", "betas",
                                  "eps", "warmup", "schedule", "clip", "train", "shuffle", "seed", "dtype", "pooling",
                                  "temperature", "learn_temperature", "matryoshka"})
                if (was.value(k, nlohmann::json()) != now[k])
                    throw Error::badInput("--resume: the checkpoint was trained with " + std::string(k) + " = " +
                                          was.value(k, nlohmann::json()).dump() + ", this run asks for " + now[k].dump());
            if (o.objective == "distill")
                for (const char* k : {"distill_layer", "distill_loss"})
                    if (was.value(k, nlohmann::json()) != now[k])
                        throw Error::badInput("--resume: the checkpoint was distilled with " + std::string(k) + " = " +
                                              was.value(k, nlohmann::json()).dump() + ", this run asks for " + now[k].dump());
            if (st.value("data_fingerprint", std::string()) != dataFingerprint)
                throw Error::badInput("--resume: the training data differ from the checkpoint's (" + st.value("data", std::string()) +
                                      "); resume with the same data");
            // The weights: the checkpoint's, whatever model the caller passed.
            try {
                const auto f = SafeTensorsFile::open(joinPath(ckpt, "model.safetensors"));
                at::NoGradGuard ng;
                for (const auto& [name, t] : model.weights()) {
                    const std::string key = huggingFaceWeightName(model, name);
                    if (!f->find(key)) throw Error::badInput("--resume: " + ckpt + "/model.safetensors has no '" + key + "'");
                    const at::Tensor v = f->tensor(key);
                    if (v.sizes() != t.sizes()) throw ShapeMismatch{"--resume: '" + key + "' has another shape in the checkpoint"};
                    t.detach().copy_(v);
                }
            } catch (const ShapeMismatch& m) {  // another model, not a damaged file: no hint
                throw Error::badInput(m.what);
            } catch (const Error& e) {
                throw Error::badInput(std::string(e.what()) + hint);
            }
            start = st.value("step", int64_t{0});
            if (start < 0) throw Error::badInput(ckpt + "/trainer_state.json: a negative step");
            if (start >= o.steps)
                throw Error::badInput("--resume: the checkpoint is at step " + std::to_string(start) + ", not before --steps " +
                                      std::to_string(o.steps));
            if (o.optimizer.kind == "adamw") {
                try {
                    const auto f = SafeTensorsFile::open(joinPath(ckpt, "optimizer.safetensors"));
                    std::map<std::string, at::Tensor> state;
                    for (const auto& info : f->tensors()) state[info.name] = f->tensor(info.name).to(model.device()).clone();
                    optimizer->loadState(state);
                } catch (const Error& e) {
                    throw Error::badInput(std::string(e.what()) + hint);
                }
            }
            if (logScale.defined() && st.contains("logit_scale")) {
                at::NoGradGuard ng;
                logScale.fill_(st["logit_scale"].get<double>());
            }
            // The log so far, also as metric points: a chart of the resumed run shows the whole curve.
            for (const auto& line : st.value("log", nlohmann::json::array())) {
                result.log.push_back(line);
                const double at = line.value("step", 0.0);
                for (const char* k : {"loss", "lr", "grad_norm", "eval_loss", "eval_ppl"})
                    if (line.contains(k) && line[k].is_number()) progress.metric(k, at, line[k].get<double>());
            }
            result.resumedFrom = start;
            progress.log("resumed from " + ckpt + " at step " + std::to_string(start));
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput("--resume: " + ckpt + "/trainer_state.json is damaged (" + std::string(e.what()) + ")" + hint);
        } catch (const c10::Error& e) {
            throw Error::badInput("--resume: the tensors of " + ckpt + " are damaged (" + std::string(e.what_without_backtrace()) + ")" +
                                  hint);
        }
    }

    // Data parallel: every rank must start from the same weights, options and data.
    if (group) {
        nlohmann::json opts = optionsJson(o);
        opts["mask_probability"] = o.maskProbability;
        opts["mask_id"] = d.maskId ? *d.maskId : -1;
        opts["pad_id"] = d.padId;
        opts["special_ids"] = d.specialIds;
        opts["config"] = d.configJson;
        opts["data_fingerprint"] = dataFingerprint;
        opts["start"] = start;
        group->requireSame(checksumText(opts.dump()), "the training options, the model's config, the data or the resumed step");
        group->requireSame(checksumTensors(model.weights()), "the model's weights");
        if (root) progress.log("data parallel: " + std::to_string(W) + " ranks, a global batch of " + std::to_string(W * o.batchSize) +
                               " sequences per micro-batch");
    }

    std::unique_ptr<std::ofstream> logFile;
    if (!o.logPath.empty() && root) {
        logFile = std::make_unique<std::ofstream>(o.logPath, std::ios::trunc);
        if (!*logFile) throw Error::badInput("cannot write the log " + o.logPath);
        for (const auto& l : result.log) *logFile << l.dump() << "\n";
        logFile->flush();
    }
    auto emit = [&](const nlohmann::json& line) {
        result.log.push_back(line);  // on every rank (the same lines); rank 0 alone writes the file
        if (logFile) {
            *logFile << line.dump() << "\n";
            logFile->flush();
        }
    };

    const bool bf16 = o.dtype == "bf16";
    const int64_t K = o.gradAccum;
    const bool contrastive = o.objective == "contrastive";
    const bool distill = o.objective == "distill";
    const bool paired = contrastive || distill;  // batches of sequence pairs; the loss is a mean over micro-batches
    const size_t N = paired ? d.trainPairs.first.size() : d.train.size();
    const int64_t distillLayer = o.distillLayer < 0 ? c.numLayers : o.distillLayer;
    auto alignsOf = [](const std::vector<std::vector<TokenAlignment>>& all, const std::vector<size_t>& rows) {
        std::vector<const std::vector<TokenAlignment>*> out;
        for (size_t r : rows) out.push_back(&all[r]);
        return out;
    };

    // Held-out evaluation: token-mean loss (lm/mlm) or mean batch loss (contrastive), without a graph.
    // Rank 0 alone evaluates, samples, logs and writes checkpoints (the weights are the same on every rank).
    auto evaluate = [&](int64_t step) {
        const size_t M = paired ? d.heldOutPairs.first.size() : d.heldOut.size();
        if (M == 0 || !root) return;
        at::NoGradGuard ng;
        Bf16Autocast autocast(bf16, model.device().is_cuda());
        double sum = 0;
        int64_t count = 0, batches = 0;
        for (size_t b0 = 0; b0 < M; b0 += static_cast<size_t>(o.batchSize)) {
            progress.checkCancelled();  // a held-out set can take many batches
            std::vector<size_t> rows;
            for (size_t r = b0; r < std::min(M, b0 + static_cast<size_t>(o.batchSize)); ++r) rows.push_back(r);
            if (distill) {
                const DistillLoss l = distillLoss(model, *d.teacher, makeBatch(d.heldOutPairs.first, rows, d.padId),
                                                  makeBatch(d.heldOutPairs.second, rows, d.teacherPadId),
                                                  alignsOf(d.heldOutAlign, rows), distillLayer, o.distillLoss);
                if (l.pairs == 0) continue;
                sum += l.loss.item<double>();
                ++batches;
            } else if (contrastive) {
                if (rows.size() < 2) break;
                const at::Tensor a = pooled(model, makeBatch(d.heldOutPairs.first, rows, d.padId), o.pooling);
                const at::Tensor p = pooled(model, makeBatch(d.heldOutPairs.second, rows, d.padId), o.pooling);
                sum += infoNce(a, p, scaleOf(), o.matryoshka).item<double>();
                ++batches;
            } else if (o.objective == "lm") {
                LossSum l = lmLoss(model, makeBatch(d.heldOut, rows, d.padId));
                sum += l.sum.item<double>();
                count += l.count;
            } else {
                // Held-out masks are drawn from the batch index alone (stable across evaluations).
                MlmBatch mb = maskForMlm(makeBatch(d.heldOut, rows, d.padId), -1 - static_cast<int64_t>(b0), o, d, c.vocabSize);
                LossSum l = mlmLoss(model, mb);
                sum += l.sum.item<double>();
                count += l.count;
            }
        }
        nlohmann::json line;
        line["step"] = step;
        const double loss = paired ? (batches ? sum / batches : 0.0) : (count ? sum / count : 0.0);
        line["eval_loss"] = loss;
        result.evalLoss = loss;
        if (!paired) {
            line["eval_ppl"] = std::exp(loss);
            result.evalPpl = std::exp(loss);
            if (o.objective == "lm" && d.tokensPerChar > 0) {
                result.evalBpc = loss / std::log(2.0) * d.tokensPerChar;
                line["eval_bpc"] = *result.evalBpc;
            }
        }
        emit(line);
        progress.metric("eval_loss", static_cast<double>(step), loss);
        if (!paired) progress.metric("eval_ppl", static_cast<double>(step), std::exp(loss));
    };

    auto sample = [&](int64_t step) {
        if (!c.isCausalLM() || o.sampleEvery <= 0 || !root) return;
        std::vector<int64_t> prompt = o.samplePrompt;
        if (prompt.empty() && d.tokenizer && d.tokenizer->bosId()) prompt = {*d.tokenizer->bosId()};
        if (prompt.empty() && d.heldOut.size() > 0) prompt.assign(d.heldOut.sequence(0), d.heldOut.sequence(0) + std::min<int64_t>(4, d.heldOut.length(0)));
        if (prompt.empty()) prompt = {d.train.sequence(0)[0]};
        GenerationOptions g;
        g.maxNewTokens = o.sampleTokens;
        g.temperature = 0.0;
        // Cancelled between tokens; a child at the current fraction, so that the sample's own
        // fractions do not move the run's.
        const double at = static_cast<double>(step - start) / static_cast<double>(std::max<int64_t>(1, o.steps - start));
        Progress sampling(progress, at, at, "sample");
        GenerationResult r = generate(model, prompt, g, sampling);
        std::vector<int64_t> all = prompt;
        all.insert(all.end(), r.ids.begin(), r.ids.end());
        std::string text;
        if (d.tokenizer) text = d.tokenizer->decode(all, false);
        else
            for (int64_t id : all) text += (text.empty() ? "" : " ") + std::to_string(id);
        result.samples.push_back(text);
        nlohmann::json line;
        line["step"] = step;
        line["sample"] = text;
        emit(line);
        progress.log("sample at step " + std::to_string(step) + ": " + text);
    };

    auto checkpoint = [&](int64_t step) {
        if (!root) return;
        const std::string finalDir = joinPath(o.outDir, stepDirName(step));
        const std::string tmp = joinPath(o.outDir, "." + stepDirName(step) + ".partial-" + std::to_string(::getpid()));
        std::error_code ec;
        fs::remove_all(tmp, ec);
        // A cancel during the write abandons it (checked between tensors and every 64 MB): the
        // partial folder is removed and the previous checkpoint is the latest.
        const std::function<void()> check = [&progress] { progress.checkCancelled(); };
        try {
            writeModelFolder(model, d.configJson, tmp, at::kFloat, check);
            copyTokenizerFiles(d.tokenizerDir, tmp);
            if (o.optimizer.kind == "adamw") {
                std::vector<std::pair<std::string, at::Tensor>> st;
                for (auto& [n, t] : optimizer->state()) st.emplace_back(n, t);
                saveSafeTensors(joinPath(tmp, "optimizer.safetensors"), st, {{"format", "pt"}}, check);
            }
            nlohmann::json state;
            state["step"] = step;
            state["options"] = optionsJson(o);
            state["options"]["world_size"] = W;
            state["data"] = d.dataDescription;
            state["data_fingerprint"] = dataFingerprint;
            state["log"] = result.log;
            if (logScale.defined()) state["logit_scale"] = logScale.item<double>();
            writeFileAtomic(joinPath(tmp, "trainer_state.json"), state.dump(1) + "\n");
        } catch (...) {
            fs::remove_all(tmp, ec);  // the previous checkpoint is untouched
            throw;
        }
        const std::string old = finalDir + ".old";
        fs::remove_all(old, ec);
        try {
            if (fs::exists(finalDir)) fs::rename(finalDir, old);
            fs::rename(tmp, finalDir);
        } catch (const fs::filesystem_error& e) {
            fs::remove_all(tmp, ec);
            throw Error::runtime("could not put the checkpoint in place: " + std::string(e.what()));
        }
        fsyncDir(o.outDir);
        fs::remove_all(old, ec);
        // Keep the last `keep`: only checkpoints of earlier steps are ever removed.
        std::vector<fs::path> older;
        for (const auto& [n, path] : checkpoints(o.outDir))
            if (n < step) older.push_back(path);
        const size_t keepOlder = static_cast<size_t>(std::max<int64_t>(1, o.keep) - 1);
        for (size_t i = 0; i + keepOlder < older.size(); ++i) fs::remove_all(older[i], ec);
        progress.log("checkpoint written: step " + std::to_string(step));
    };

    if (root) {
        std::error_code ec;
        fs::create_directories(o.outDir, ec);
        if (!fs::is_directory(o.outDir)) throw Error::badInput("cannot create the output folder " + o.outDir + ": " + ec.message());
        removeDeadWritersLeftovers(o.outDir);
    }
    const auto t0 = Clock::now();
    int64_t tokensThisRun = 0;
    double lastLoss = 0.0;
    if (start == 0 && o.evalEvery >= 0) evaluate(0);  // where held-out loss starts
    for (int64_t step = start; step < o.steps; ++step) {
        progress.waitWhilePaused();  // throws when cancelled
        const auto ts = Clock::now();
        const double lr = schedule.at(step);
        // The step's micro-batches, drawn up front: the token count normalises every one of them.
        std::vector<TokenBatch> batches, seconds;
        std::vector<MlmBatch> masked;
        std::vector<std::vector<const std::vector<TokenAlignment>*>> stepAligns;
        int64_t total = 0, tokens = 0;
        for (int64_t m = 0; m < K; ++m) {
            const int64_t j = step * K + m;
            if (group) {
                // Micro-batch j of the global batch (W·B rows, drawn as one rank with batch W·B would),
                // masked as a whole, then this rank's rows R·B … R·B+B−1.
                const auto rows = batchRows(j, o.batchSize * W, N, o.shuffle, o.seed);
                TokenBatch global = makeBatch(d.train, rows, d.padId);
                TokenBatch mine;
                mine.ids = global.ids.narrow(0, R * o.batchSize, o.batchSize).contiguous();
                mine.mask = global.mask.narrow(0, R * o.batchSize, o.batchSize).contiguous();
                mine.realTokens = mine.mask.sum().item<int64_t>();
                if (o.objective == "mlm") {
                    MlmBatch all = maskForMlm(global, j, o, d, c.vocabSize);
                    MlmBatch part;
                    part.ids = all.ids.narrow(0, R * o.batchSize, o.batchSize).contiguous();
                    part.mask = all.mask.narrow(0, R * o.batchSize, o.batchSize).contiguous();
                    part.labels = all.labels.narrow(0, R * o.batchSize, o.batchSize).contiguous();
                    part.predictions = (part.labels >= 0).sum().item<int64_t>();
                    masked.push_back(part);
                    total += all.predictions;
                } else {
                    total += lmTargets(global);
                }
                tokens += global.realTokens;
                batches.push_back(std::move(mine));
                continue;
            }
            const auto rows = batchRows(j, o.batchSize, N, o.shuffle, o.seed);
            if (paired) {
                batches.push_back(makeBatch(d.trainPairs.first, rows, d.padId));
                seconds.push_back(makeBatch(d.trainPairs.second, rows, distill ? d.teacherPadId : d.padId));
                if (distill) stepAligns.push_back(alignsOf(d.trainAlign, rows));
                tokens += batches.back().realTokens + (distill ? 0 : seconds.back().realTokens);
            } else {
                batches.push_back(makeBatch(d.train, rows, d.padId));
                tokens += batches.back().realTokens;
                if (o.objective == "mlm") {
                    masked.push_back(maskForMlm(batches.back(), j, o, d, c.vocabSize));
                    total += masked.back().predictions;
                } else {
                    total += lmTargets(batches.back());
                }
            }
        }
        if (!paired && total == 0)
            throw Error::badInput("step " + std::to_string(step + 1) + " has no token to predict (sequences of one token?)");
        optimizer->zeroGrad();
        double lossSum = 0.0;
        for (int64_t m = 0; m < K; ++m) {
            progress.checkCancelled();  // between micro-batches, as the hooks within each backward
            at::Tensor loss;
            {
                Bf16Autocast autocast(bf16, model.device().is_cuda());
                if (distill) {
                    const DistillLoss l = distillLoss(model, *d.teacher, batches[m], seconds[m], stepAligns[m], distillLayer,
                                                      o.distillLoss);
                    if (l.pairs == 0) continue;
                    loss = l.loss / static_cast<double>(K);
                } else if (contrastive) {
                    const at::Tensor a = pooled(model, batches[m], o.pooling, &progress);
                    const at::Tensor p = pooled(model, seconds[m], o.pooling, &progress);
                    loss = infoNce(a, p, scaleOf(), o.matryoshka) / static_cast<double>(K);
                } else {
                    LossSum l = o.objective == "mlm" ? mlmLoss(model, masked[m], &progress) : lmLoss(model, batches[m], &progress);
                    loss = l.sum / static_cast<double>(total);
                }
            }
            lossSum += loss.item<double>();
            loss.backward();
        }
        if (group) {
            sumGradientsAcrossRanks(params, *group);
            lossSum = group->allReduceScalar(lossSum);
        }
        const double lossValue = lossSum;
        if (!std::isfinite(lossValue)) {
            const std::string last = latestCheckpoint(o.outDir);
            throw Error::runtime("the loss became " + std::string(std::isnan(lossValue) ? "NaN" : "infinite") + " at step " +
                                 std::to_string(step + 1) + " (lower --lr or use --clip); " +
                                 (last.empty() ? "no checkpoint was written" : "the last good checkpoint is " + last));
        }
        const double gradNorm = clipGradNorm(params, o.clip);
        if (!std::isfinite(gradNorm)) {
            const std::string last = latestCheckpoint(o.outDir);
            throw Error::runtime("the gradient norm became non-finite at step " + std::to_string(step + 1) + "; " +
                                 (last.empty() ? "no checkpoint was written" : "the last good checkpoint is " + last));
        }
        optimizer->step(lr);
        {
            // A finite loss and gradient can still take the weights to Inf/NaN (a huge learning rate):
            // such a step is never checkpointed.
            at::NoGradGuard ng;
            for (const auto& p : params)
                if (!at::isfinite(p.tensor).all().item<bool>()) {
                    const std::string last = latestCheckpoint(o.outDir);
                    throw Error::runtime("step " + std::to_string(step + 1) + " made '" + p.name + "' non-finite (lower --lr or use --clip); " +
                                         (last.empty() ? "no checkpoint was written" : "the last good checkpoint is " + last));
                }
        }
        const double secs = secondsSince(ts);
        tokensThisRun += tokens;
        lastLoss = lossValue;
        nlohmann::json line;
        line["step"] = step + 1;
        line["loss"] = lossValue;
        line["lr"] = lr;
        line["grad_norm"] = gradNorm;
        line["tokens"] = tokens;
        line["seconds"] = secs;
        emit(line);
        const double elapsed = secondsSince(t0);
        const double tps = elapsed > 0 ? tokensThisRun / elapsed : 0.0;
        progress.metric("loss", static_cast<double>(step + 1), lossValue);
        progress.metric("lr", static_cast<double>(step + 1), lr);
        progress.metric("grad_norm", static_cast<double>(step + 1), gradNorm);
        progress.metric("tokens_per_second", static_cast<double>(step + 1), tps);
        char msg[96];
        std::snprintf(msg, sizeof msg, "step %lld/%lld loss %.4f", static_cast<long long>(step + 1),
                      static_cast<long long>(o.steps), lossValue);
        progress.report(static_cast<double>(step + 1 - start) / static_cast<double>(o.steps - start), msg);
        const bool lastStep = step + 1 == o.steps;
        if ((o.evalEvery > 0 && (step + 1) % o.evalEvery == 0) || (lastStep && o.evalEvery >= 0)) evaluate(step + 1);
        if (o.sampleEvery > 0 && ((step + 1) % o.sampleEvery == 0 || lastStep)) sample(step + 1);
        if ((o.saveEvery > 0 && (step + 1) % o.saveEvery == 0) || lastStep) checkpoint(step + 1);
    }
    // The final model in DIR itself: the last checkpoint's files, each replaced atomically.
    if (root) {
        const std::string last = joinPath(o.outDir, stepDirName(o.steps));
        for (const auto& e : fs::directory_iterator(last)) {
            if (!e.is_regular_file()) continue;
            const std::string name = e.path().filename().string();
            if (name == "optimizer.safetensors") continue;
            linkOrCopyFileAtomic(e.path(), joinPath(o.outDir, name));
        }
    }
    result.steps = o.steps;
    result.finalLoss = lastLoss;
    result.seconds = secondsSince(t0);
    result.tokens = tokensThisRun;
    result.tokensPerSecond = result.seconds > 0 ? tokensThisRun / result.seconds : 0.0;
    return result;
}

}  // namespace embedlab
