#include "engine/train/lm_head_loss.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

namespace embedlab {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Autocast off inside (the products here run in the inputs' precision, f32 or f64, in both passes).
struct NoAutocast {
    bool cpu = at::autocast::is_cpu_enabled(), gpu = at::autocast::is_enabled();
    NoAutocast() {
        at::autocast::set_cpu_enabled(false);
        at::autocast::set_enabled(false);
    }
    ~NoAutocast() {
        at::autocast::set_cpu_enabled(cpu);
        at::autocast::set_enabled(gpu);
    }
};

int64_t chunkFor(int64_t vocab, int64_t requested) {
    if (requested > 0) return requested;
    // ~32 MB of f32 logits per chunk.
    return std::max<int64_t>(16, (int64_t(32) << 20) / (4 * std::max<int64_t>(1, vocab)));
}

class ChunkedLmLoss : public torch::autograd::Function<ChunkedLmLoss> {
public:
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h, const at::Tensor& w, const at::Tensor& targets,
                              double softcap, int64_t chunk) {
        NoAutocast off;
        const int64_t N = h.size(0);
        at::Tensor lse = at::empty({N}, h.options());
        at::Tensor total = at::zeros({}, h.options());
        for (int64_t r = 0; r < N; r += chunk) {
            const int64_t n = std::min(chunk, N - r);
            at::Tensor z = at::matmul(h.narrow(0, r, n), w.t());
            if (softcap > 0) z = at::tanh(z / softcap) * softcap;
            const at::Tensor l = at::logsumexp(z, 1);
            lse.narrow(0, r, n).copy_(l);
            const at::Tensor t = targets.narrow(0, r, n);
            total += (l - z.gather(1, t.unsqueeze(1)).squeeze(1)).sum();
        }
        ctx->save_for_backward({h, w, targets, lse});
        ctx->saved_data["softcap"] = softcap;
        ctx->saved_data["chunk"] = chunk;
        return total;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        NoAutocast off;
        const auto saved = ctx->get_saved_variables();
        const at::Tensor &h = saved[0], &w = saved[1], &targets = saved[2], &lse = saved[3];
        const double softcap = ctx->saved_data["softcap"].toDouble();
        const int64_t chunk = ctx->saved_data["chunk"].toInt();
        const at::Tensor g = grads[0];
        const bool wantH = ctx->needs_input_grad(0), wantW = ctx->needs_input_grad(1);
        const int64_t N = h.size(0);
        at::Tensor gh = wantH ? at::empty_like(h) : at::Tensor();
        at::Tensor gw = wantW ? at::zeros_like(w) : at::Tensor();
        for (int64_t r = 0; r < N; r += chunk) {
            const int64_t n = std::min(chunk, N - r);
            const at::Tensor hc = h.narrow(0, r, n);
            at::Tensor z = at::matmul(hc, w.t());
            at::Tensor t;
            if (softcap > 0) {
                t = at::tanh(z / softcap);
                z = t * softcap;
            }
            // d loss / d logits = softmax − one-hot, times the incoming gradient.
            at::Tensor dz = at::exp(z - lse.narrow(0, r, n).unsqueeze(1));
            dz.scatter_add_(1, targets.narrow(0, r, n).unsqueeze(1), at::full({n, 1}, -1.0, dz.options()));
            dz.mul_(g);
            if (softcap > 0) dz.mul_(1 - t * t);
            if (wantH) gh.narrow(0, r, n).copy_(at::matmul(dz, w));
            if (wantW) gw.addmm_(dz.t(), hc);
        }
        return {gh, gw, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

at::Tensor lmHeadCrossEntropySum(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                                 std::optional<double> softcap, int64_t chunkRows) {
    // Only rows that predict something.
    const at::Tensor keep = targets.ge(0).nonzero().squeeze(1);
    const auto dt = weight.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    at::Tensor h = hidden.index_select(0, keep).to(dt);
    at::Tensor w = weight.scalar_type() == dt ? weight : weight.to(dt);
    const at::Tensor t = targets.index_select(0, keep);
    if (h.size(0) == 0) return (h.sum() * 0 + w.sum() * 0);
    return ChunkedLmLoss::apply(h, w, t, softcap ? *softcap : 0.0, chunkFor(weight.size(0), chunkRows));
}

}  // namespace embedlab
