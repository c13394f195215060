#include "engine/tasks/project.h"

#include "engine/analysis/pca.h"
#include "engine/analysis/tsne.h"
#include "engine/analysis/umap.h"
#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <chrono>

namespace embedlab::tasks {

ProjectResult project(const at::Tensor& x, const ProjectOptions& o, Progress& progress) {
    if (o.method != "pca" && o.method != "tsne" && o.method != "umap")
        throw Error::badInput("unknown projection '" + o.method + "': use pca, tsne or umap");
    if (o.dims != 2 && o.dims != 3) throw Error::badInput("a map has 2 or 3 dimensions, not " + std::to_string(o.dims));
    ProjectResult r;
    const auto t0 = std::chrono::steady_clock::now();
    {
        Progress stage(progress, 0.0, 0.85, "projecting");
        if (o.method == "pca") {
            if (x.dim() == 2 && x.size(1) < o.dims)
                throw Error::badInput("PCA to " + std::to_string(o.dims) + " dimensions needs vectors of at least " +
                                      std::to_string(o.dims) + " dimensions, these have " + std::to_string(x.size(1)));
            PcaOptions po;
            po.components = o.dims;
            po.seed = o.seed;
            // PCA of cosine geometry: project the unit-normalised rows.
            const at::Tensor input = o.metric == Metric::Cosine ? x / x.norm(2, {1}, true).clamp_min(1e-12) : x;
            PcaResult p = pca(input, po, stage);
            r.coords = p.coords;
            r.details["explained_variance_ratio"] =
                std::vector<double>(p.explainedVarianceRatio.data_ptr<double>(),
                                    p.explainedVarianceRatio.data_ptr<double>() + o.dims);
            r.details["randomized"] = p.randomized;
        } else if (o.method == "tsne") {
            TsneOptions to;
            to.dims = o.dims;
            to.seed = o.seed;
            to.perplexity = o.perplexity;
            to.learningRate = o.learningRate;
            to.earlyExaggeration = o.earlyExaggeration;
            to.metric = o.metric;
            to.iterations = o.iterations;
            to.previewEvery = o.preview ? o.previewEvery : 0;
            to.preview = o.preview;
            TsneResult t = tsne(x, to, stage);
            r.coords = t.embedding;
            r.details["perplexity"] = t.perplexity;
            r.details["iterations"] = t.iterations;
            r.details["exact_knn"] = t.exactKnn;
        } else {
            UmapOptions uo;
            uo.dims = o.dims;
            uo.seed = o.seed;
            uo.nNeighbors = o.neighbors;
            uo.minDist = o.minDist;
            uo.metric = o.metric;
            uo.epochs = o.epochs;
            uo.previewEvery = o.preview ? o.previewEvery : 0;
            uo.preview = o.preview;
            UmapResult u = umap(x, uo, stage);
            r.coords = u.embedding;
            r.details["neighbors"] = u.neighbors;
            r.details["epochs"] = u.epochs;
            r.details["init"] = u.init;
            r.details["components"] = u.components;  // of the fuzzy graph (PCA initialisation when > 1)
            r.details["a"] = u.a;
            r.details["b"] = u.b;
            r.details["exact_knn"] = u.exactKnn;
        }
    }
    r.coords = r.coords.to(at::kCPU, at::kFloat).contiguous();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto q0 = std::chrono::steady_clock::now();
    QualityOptions qo;
    qo.k = o.qualityK;
    qo.metric = o.metric;
    qo.sampleLimit = o.qualitySample;
    qo.seed = o.seed;
    {
        Progress stage(progress, 0.85, 1.0, "quality");
        r.quality = projectionQuality(x, r.coords, qo, stage);
    }
    r.qualitySeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - q0).count();
    progress.report(1.0, "done");
    return r;
}

}  // namespace embedlab::tasks
