#include "engine/train/lm_head_loss.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cstdlib>

namespace embedlab {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Autocast off inside: the products run in the precision chosen on entry, in both passes.
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
    // ~16 MB of f32 logits per chunk: a chunk's logits stay in the last-level cache between the
    // product that writes them and the products that read their gradient.
    return std::max<int64_t>(16, (int64_t(16) << 20) / (4 * std::max<int64_t>(1, vocab)));
}

// The loss and, when asked, its gradients in one pass over the chunks: each chunk's logits are
// computed once, turned into (softmax − one-hot) and multiplied into ∂/∂h and ∂/∂w right away — the
// three products the unchunked composition does, no recomputation. Products run in `compute` (bf16
// under bf16 autocast, like the autocast composition; else the inputs' f32/f64); the softmax and the
// sums in f32/f64.
class ChunkedLmLoss : public torch::autograd::Function<ChunkedLmLoss> {
public:
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h, const at::Tensor& w, const at::Tensor& targets,
                              double softcap, int64_t chunk, bool grads, at::ScalarType compute) {
        NoAutocast off;
        const int64_t N = h.size(0);
        const at::Tensor hc = h.scalar_type() == compute ? h : h.to(compute);
        const at::Tensor wc = w.scalar_type() == compute ? w : w.to(compute);
        at::Tensor total = at::zeros({}, h.options());
        at::Tensor gh = grads ? at::empty_like(h) : at::Tensor();
        at::Tensor gw = grads ? at::zeros_like(w) : at::Tensor();
        for (int64_t r = 0; r < N; r += chunk) {
            const int64_t n = std::min(chunk, N - r);
            const at::Tensor hr = hc.narrow(0, r, n);
            at::Tensor z = at::matmul(hr, wc.t());
            if (z.scalar_type() != h.scalar_type()) z = z.to(h.scalar_type());
            at::Tensor t;
            if (softcap > 0) {
                t = at::tanh(z / softcap);
                z = t * softcap;
            }
            const at::Tensor lse = at::logsumexp(z, 1, /*keepdim=*/true);
            const at::Tensor tg = targets.narrow(0, r, n).unsqueeze(1);
            total += (lse.squeeze(1) - z.gather(1, tg).squeeze(1)).sum();
            if (!grads) continue;
            at::Tensor dz = (z - lse).exp_();
            dz.scatter_add_(1, tg, at::full({n, 1}, -1.0, dz.options()));
            if (softcap > 0) dz.mul_(1 - t * t);
            const at::Tensor dzc = dz.scalar_type() == compute ? dz : dz.to(compute);
            gh.narrow(0, r, n).copy_(at::matmul(dzc, wc));
            if (compute == w.scalar_type()) gw.addmm_(dzc.t(), hr);
            else gw.add_(at::matmul(dzc.t(), hr).to(w.scalar_type()));
        }
        if (grads) ctx->save_for_backward({gh, gw});
        return total;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor g = grads[0];
        return {saved[0] * g, saved[1] * g, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

at::Tensor lmHeadCrossEntropySum(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                                 std::optional<double> softcap, int64_t chunkRows) {
    // bf16 autocast on entry: the products in bf16, as the autocast composition would run them.
    const bool autocast = weight.device().is_cpu() ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
    const auto autocastType = weight.device().is_cpu() ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
    // Only rows that predict something.
    const at::Tensor keep = targets.ge(0).nonzero().squeeze(1);
    const auto dt = weight.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    at::Tensor h = hidden.index_select(0, keep).to(dt);
    at::Tensor w = weight.scalar_type() == dt ? weight : weight.to(dt);
    const at::Tensor t = targets.index_select(0, keep);
    if (h.size(0) == 0) return (h.sum() * 0 + w.sum() * 0);
    // Gradients are computed with the loss only when a backward can follow.
    const bool grads = at::GradMode::is_enabled() && (h.requires_grad() || w.requires_grad());
    const at::ScalarType compute = autocast && dt == at::kFloat ? autocastType : dt;
    return ChunkedLmLoss::apply(h, w, t, softcap ? *softcap : 0.0, chunkFor(weight.size(0), chunkRows), grads, compute);
}

}  // namespace embedlab
