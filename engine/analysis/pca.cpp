#include "engine/analysis/pca.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace embedlab {

namespace {

at::Tensor orthonormal(const at::Tensor& a) { return std::get<0>(at::linalg_qr(a, "reduced")); }

}  // namespace

PcaResult pca(const at::Tensor& xIn, const PcaOptions& o, Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "PCA");
    const int64_t n = x.size(0), d = x.size(1), k = o.components;
    if (k < 1 || k > d)
        throw Error::badInput("PCA: cannot find " + std::to_string(k) + " components in " + std::to_string(d) +
                              "-dimensional data");
    if (n < 2) throw Error::badInput("PCA needs at least 2 vectors");
    PcaResult r;
    progress.report(0.0, "PCA");
    at::Tensor mean64 = x.sum(0, false, at::kDouble) / double(n);
    r.mean = mean64.to(at::kFloat);
    const int64_t block = 65536;
    bool randomized = o.solver == PcaOptions::Solver::Randomized;
    if (o.solver == PcaOptions::Solver::Auto)
        randomized = double(n) * double(d) * double(std::min(n, d)) > 2e10 && k < std::min(n, d) / 2;
    r.randomized = randomized;
    double totalVar = 0;
    at::Tensor comps;  // [k, D] double
    at::Tensor ev;     // [k] double
    if (!randomized) {
        at::Tensor cov = at::zeros({d, d}, at::kDouble);
        for (int64_t b0 = 0; b0 < n; b0 += block) {
            progress.report(0.8 * double(b0) / double(n), "PCA covariance");
            at::Tensor xb = x.slice(0, b0, std::min(n, b0 + block)).to(at::kDouble) - mean64;
            cov.add_(at::mm(xb.t(), xb));
        }
        cov.div_(double(n - 1));
        totalVar = cov.trace().item<double>();
        auto [evals, evecs] = at::linalg_eigh(cov);  // ascending
        ev = evals.flip(0).slice(0, 0, k).clamp_min(0.0);
        comps = evecs.flip(1).slice(1, 0, k).t().contiguous();
    } else {
        const int64_t l = std::min<int64_t>(k + o.oversamples, std::min(n, d));
        auto gen = at::detail::createCPUGenerator(o.seed);
        at::Tensor omega = at::normal(0.0, 1.0, {d, l}, gen, at::TensorOptions().dtype(at::kFloat));
        at::Tensor meanF = r.mean;
        // Xc·M and Xc^T·Q without forming Xc.
        auto xcTimes = [&](const at::Tensor& m) { return at::mm(x, m) - at::mm(meanF.unsqueeze(0), m); };
        auto xcTTimes = [&](const at::Tensor& q) {
            return at::mm(x.t(), q) - at::mm(meanF.unsqueeze(1), q.sum(0, true));
        };
        at::Tensor q = orthonormal(xcTimes(omega));
        for (int it = 0; it < o.powerIterations; ++it) {
            progress.report(0.8 * double(it) / double(o.powerIterations + 1), "randomized PCA");
            at::Tensor z = orthonormal(xcTTimes(q));
            q = orthonormal(xcTimes(z));
        }
        at::Tensor b = xcTTimes(q).t().to(at::kDouble);  // [l, D] = Q^T Xc
        auto [u, s, vh] = at::linalg_svd(b, false);
        ev = (s.slice(0, 0, k) * s.slice(0, 0, k)) / double(n - 1);
        comps = vh.slice(0, 0, k).contiguous();
        double fro = 0;
        for (int64_t b0 = 0; b0 < n; b0 += block) {
            at::Tensor xb = x.slice(0, b0, std::min(n, b0 + block)).to(at::kDouble) - mean64;
            fro += (xb * xb).sum().item<double>();
        }
        totalVar = fro / double(n - 1);
    }
    progress.report(0.9, "PCA projection");
    at::Tensor compsF = comps.to(at::kFloat);
    at::Tensor coords = at::mm(x, compsF.t()) - at::mm(r.mean.unsqueeze(0), compsF.t());
    // svd_flip (u-based): the entry of largest magnitude in each column of the projection is positive.
    at::Tensor amax = coords.abs().argmax(0);
    at::Tensor signs = at::sign(coords.gather(0, amax.unsqueeze(0)).squeeze(0));
    signs = at::where(signs == 0, at::ones_like(signs), signs);
    r.coords = (coords * signs.unsqueeze(0)).contiguous();
    r.components = (compsF * signs.unsqueeze(1)).contiguous();
    r.explainedVariance = ev;
    r.explainedVarianceRatio = totalVar > 0 ? ev / totalVar : at::zeros_like(ev);
    progress.report(1.0, "PCA");
    return r;
}

}  // namespace embedlab
