#include "engine/train/optimizer.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace embedlab {

void Optimizer::zeroGrad() {
    for (auto& p : params_) {
        at::Tensor g = p.tensor.mutable_grad();
        if (g.defined()) p.tensor.mutable_grad() = at::Tensor();
    }
}

namespace {

class Sgd final : public Optimizer {
public:
    Sgd(std::vector<ParameterInfo> params, double wd) : Optimizer(std::move(params)), wd_(wd) {}
    void step(double lr) override {
        at::NoGradGuard noGrad;
        for (auto& p : params_) {
            at::Tensor g = p.tensor.grad();
            if (!g.defined()) continue;
            if (wd_ != 0 && p.decays()) g = g.add(p.tensor, wd_);
            p.tensor.add_(g, -lr);
        }
    }
    std::map<std::string, at::Tensor> state() const override { return {}; }
    void loadState(const std::map<std::string, at::Tensor>&) override {}

private:
    double wd_;
};

class AdamW final : public Optimizer {
public:
    AdamW(std::vector<ParameterInfo> params, const OptimizerOptions& o) : Optimizer(std::move(params)), o_(o) {
        for (const auto& p : params_) {
            at::NoGradGuard noGrad;
            slots_.push_back(Slot{at::zeros_like(p.tensor, at::MemoryFormat::Contiguous),
                                  at::zeros_like(p.tensor, at::MemoryFormat::Contiguous), 0});
        }
    }
    void step(double lr) override {
        at::NoGradGuard noGrad;
        for (size_t i = 0; i < params_.size(); ++i) {
            at::Tensor& param = params_[i].tensor;
            const at::Tensor g = param.grad();
            if (!g.defined()) continue;
            Slot& s = slots_[i];
            s.step += 1;
            const double wd = params_[i].decays() ? o_.weightDecay : 0.0;
            param.mul_(1 - lr * wd);
            s.m.mul_(o_.beta1).add_(g, 1 - o_.beta1);
            s.v.mul_(o_.beta2).addcmul_(g, g, 1 - o_.beta2);
            const double bc1 = 1 - std::pow(o_.beta1, static_cast<double>(s.step));
            const double bc2 = 1 - std::pow(o_.beta2, static_cast<double>(s.step));
            const double stepSize = lr / bc1;
            const at::Tensor denom = (s.v.sqrt() / std::sqrt(bc2)).add_(o_.eps);
            param.addcdiv_(s.m, denom, -stepSize);
        }
    }
    std::map<std::string, at::Tensor> state() const override {
        std::map<std::string, at::Tensor> out;
        for (size_t i = 0; i < params_.size(); ++i) {
            out[params_[i].name + ".exp_avg"] = slots_[i].m;
            out[params_[i].name + ".exp_avg_sq"] = slots_[i].v;
            out[params_[i].name + ".step"] = at::scalar_tensor(slots_[i].step, at::kLong).reshape({1});
        }
        return out;
    }
    void loadState(const std::map<std::string, at::Tensor>& st) override {
        at::NoGradGuard noGrad;
        for (size_t i = 0; i < params_.size(); ++i) {
            const std::string& n = params_[i].name;
            auto get = [&](const std::string& slot) -> const at::Tensor& {
                auto it = st.find(n + "." + slot);
                if (it == st.end()) throw Error::badInput("optimizer state: missing '" + n + "." + slot + "'");
                return it->second;
            };
            const at::Tensor& m = get("exp_avg");
            const at::Tensor& v = get("exp_avg_sq");
            if (m.sizes() != params_[i].tensor.sizes() || v.sizes() != params_[i].tensor.sizes())
                throw Error::badInput("optimizer state: '" + n + "' has the wrong shape");
            slots_[i].m.copy_(m);
            slots_[i].v.copy_(v);
            const at::Tensor step = get("step");
            if (step.numel() != 1) throw Error::badInput("optimizer state: '" + n + ".step' is not one number");
            slots_[i].step = step.to(at::kLong).reshape({-1})[0].item<int64_t>();
            if (slots_[i].step < 0) throw Error::badInput("optimizer state: '" + n + ".step' is negative");
        }
    }

private:
    struct Slot {
        at::Tensor m, v;
        int64_t step;
    };
    OptimizerOptions o_;
    std::vector<Slot> slots_;
};

}  // namespace

std::unique_ptr<Optimizer> makeOptimizer(std::vector<ParameterInfo> params, const OptimizerOptions& options) {
    if (options.kind == "sgd") return std::make_unique<Sgd>(std::move(params), options.weightDecay);
    if (options.kind == "adamw") {
        if (!(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1))
            throw Error::badInput("--betas must lie in [0, 1)");
        if (!(options.eps > 0)) throw Error::badInput("--eps must be positive");
        return std::make_unique<AdamW>(std::move(params), options);
    }
    throw Error::badInput("--optimizer: '" + options.kind + "' is not known (use adamw or sgd)");
}

double clipGradNorm(const std::vector<ParameterInfo>& params, double maxNorm) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> norms;
    for (const auto& p : params) {
        const at::Tensor g = p.tensor.grad();
        if (g.defined()) norms.push_back(at::norm(g, 2));
    }
    if (norms.empty()) return 0.0;
    const at::Tensor total = at::norm(at::stack(norms), 2);
    const double norm = total.item<double>();
    if (maxNorm > 0) {
        const at::Tensor coef = at::clamp(maxNorm / (total + 1e-6), c10::nullopt, 1.0);
        for (const auto& p : params) {
            at::Tensor g = p.tensor.grad();
            if (g.defined()) g.mul_(coef.to(g.device()));
        }
    }
    return norm;
}

}  // namespace embedlab
