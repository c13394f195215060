#include "engine/eval/clustering.h"

#include "engine/core/error.h"
#include "engine/eval/tsv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

namespace embedlab::eval {
namespace {

double sqDist(const float* a, const float* b, int64_t d) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) {
        const double t = static_cast<double>(a[j]) - b[j];
        s += t * t;
    }
    return s;
}

// Nearest centre for each of `idx` (all points when idx is empty); returns the inertia.
double assign(const Matrix& x, const Matrix& c, const std::vector<int64_t>* idx, std::vector<int64_t>& out,
              Progress* progress = nullptr) {
    const int64_t n = idx ? static_cast<int64_t>(idx->size()) : x.rows;
    out.assign(static_cast<size_t>(n), 0);
    double inertia = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float* p = x.row(idx ? (*idx)[static_cast<size_t>(i)] : i);
        double best = std::numeric_limits<double>::infinity();
        int64_t bi = 0;
        for (int64_t j = 0; j < c.rows; ++j) {
            const double dd = sqDist(p, c.row(j), x.cols);
            if (dd < best) {
                best = dd;
                bi = j;
            }
        }
        out[static_cast<size_t>(i)] = bi;
        inertia += best;
        if (progress && (i & 1023) == 0) progress->checkCancelled();
    }
    return inertia;
}

// sklearn.metrics.cluster.entropy on label ids.
double entropy(const std::vector<int64_t>& labels) {
    if (labels.empty()) return 1.0;
    std::map<int64_t, int64_t> counts;
    for (int64_t l : labels) counts[l]++;
    if (counts.size() == 1) return 0.0;
    const double sum = static_cast<double>(labels.size());
    double h = 0;
    for (const auto& kv : counts) {
        const double pi = static_cast<double>(kv.second);
        h += (pi / sum) * (std::log(pi) - std::log(sum));
    }
    return -h;
}

}  // namespace

LabelledTexts readClusteringData(const std::string& path) {
    const auto rows = readTsv(path, 2, 2, "text, label");
    LabelledTexts d;
    std::map<std::string, int64_t> ids;
    for (const auto& r : rows) {
        const std::string label = trim(r.fields[1]);
        if (label.empty()) throw Error::badInput(path + ":" + std::to_string(r.line) + ": empty label");
        auto it = ids.find(label);
        if (it == ids.end()) {
            it = ids.emplace(label, static_cast<int64_t>(d.labelNames.size())).first;
            d.labelNames.push_back(label);
        }
        d.texts.push_back(r.fields[0]);
        d.labels.push_back(it->second);
    }
    if (d.labelNames.size() < 2) throw Error::badInput(path + ": clustering needs at least 2 different labels");
    return d;
}

VMeasure vMeasure(const std::vector<int64_t>& labelsTrue, const std::vector<int64_t>& labelsPred) {
    if (labelsTrue.size() != labelsPred.size()) throw Error::runtime("vMeasure: labelings differ in length");
    VMeasure r;
    if (labelsTrue.empty()) {
        r.homogeneity = r.completeness = r.v = 1.0;
        return r;
    }
    const double hC = entropy(labelsTrue);
    const double hK = entropy(labelsPred);
    // mutual_info_score from the contingency table, term by term as sklearn writes it
    std::map<int64_t, int64_t> pi, pj;
    std::map<std::pair<int64_t, int64_t>, int64_t> cont;
    for (size_t i = 0; i < labelsTrue.size(); ++i) {
        pi[labelsTrue[i]]++;
        pj[labelsPred[i]]++;
        cont[{labelsTrue[i], labelsPred[i]}]++;
    }
    double mi = 0;
    if (pi.size() > 1 && pj.size() > 1) {
        const double total = static_cast<double>(labelsTrue.size());
        const double logTotal = std::log(total);
        for (const auto& [key, nz] : cont) {
            const double cnm = static_cast<double>(nz) / total;
            const double outer = static_cast<double>(pi[key.first]) * static_cast<double>(pj[key.second]);
            const double logOuter = -std::log(outer) + std::log(total) + std::log(total);
            double term = cnm * (std::log(static_cast<double>(nz)) - logTotal) + cnm * logOuter;
            if (std::abs(term) < std::numeric_limits<double>::epsilon()) term = 0.0;
            mi += term;
        }
        mi = std::max(0.0, mi);
    }
    r.homogeneity = hC != 0.0 ? mi / hC : 1.0;
    r.completeness = hK != 0.0 ? mi / hK : 1.0;
    r.v = (r.homogeneity + r.completeness == 0.0)
              ? 0.0
              : 2.0 * r.homogeneity * r.completeness / (r.homogeneity + r.completeness);
    return r;
}

std::vector<int64_t> kmeansPlusPlus(const Matrix& x, int64_t k, uint64_t seed) {
    const int64_t n = x.rows;
    if (k <= 0 || k > n) throw Error::badInput("k-means: k = " + std::to_string(k) + " but " + std::to_string(n) + " points");
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
    std::vector<int64_t> centers;
    centers.push_back(static_cast<int64_t>(unif(rng) * static_cast<double>(n)) % n);
    std::vector<double> closest(static_cast<size_t>(n));
    double pot = 0;
    for (int64_t i = 0; i < n; ++i) pot += closest[static_cast<size_t>(i)] = sqDist(x.row(i), x.row(centers[0]), x.cols);
    std::vector<double> cum(static_cast<size_t>(n)), cand(static_cast<size_t>(n));
    for (int64_t c = 1; c < k; ++c) {
        double run = 0;
        for (int64_t i = 0; i < n; ++i) cum[static_cast<size_t>(i)] = run += closest[static_cast<size_t>(i)];
        int64_t bestId = -1;
        double bestPot = std::numeric_limits<double>::infinity();
        std::vector<double> bestDist;
        for (int64_t t = 0; t < trials; ++t) {
            const double r = unif(rng) * pot;
            int64_t id = static_cast<int64_t>(std::lower_bound(cum.begin(), cum.end(), r) - cum.begin());
            id = std::min(id, n - 1);
            double p = 0;
            for (int64_t i = 0; i < n; ++i) {
                const double dd = std::min(closest[static_cast<size_t>(i)], sqDist(x.row(i), x.row(id), x.cols));
                cand[static_cast<size_t>(i)] = dd;
                p += dd;
            }
            if (p < bestPot) {
                bestPot = p;
                bestId = id;
                bestDist = cand;
            }
        }
        centers.push_back(bestId);
        closest = bestDist;
        pot = bestPot;
    }
    return centers;
}

KMeansResult miniBatchKMeans(const Matrix& x, const KMeansOptions& o, Progress& progress) {
    const int64_t n = x.rows, d = x.cols;
    if (o.k < 1 || o.k > n)
        throw Error::badInput("k-means: cannot make " + std::to_string(o.k) + " clusters of " + std::to_string(n) + " points");
    std::mt19937_64 rng(o.seed);
    const int64_t batch = std::max<int64_t>(1, std::min(o.batchSize, n));
    // k-means++ on an init subset of 3·batch points (at least 3·k), drawn with replacement as sklearn does
    int64_t initSize = std::max<int64_t>(3 * batch, 3 * o.k);
    std::vector<int64_t> initIdx;
    if (initSize >= n) {
        for (int64_t i = 0; i < n; ++i) initIdx.push_back(i);
    } else {
        std::uniform_int_distribution<int64_t> pick(0, n - 1);
        for (int64_t i = 0; i < initSize; ++i) initIdx.push_back(pick(rng));
    }
    Matrix sub = x.gather(initIdx);
    const auto seeds = kmeansPlusPlus(sub, std::min<int64_t>(o.k, sub.rows), rng());
    KMeansResult res;
    res.centers = sub.gather(seeds);
    std::vector<double> counts(static_cast<size_t>(o.k), 0.0);
    // variance for the tol criterion
    double variance = 0;
    {
        std::vector<double> mean(static_cast<size_t>(d), 0.0);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < d; ++j) mean[static_cast<size_t>(j)] += x.row(i)[j];
        for (auto& m : mean) m /= static_cast<double>(n);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < d; ++j) {
                const double t = x.row(i)[j] - mean[static_cast<size_t>(j)];
                variance += t * t;
            }
        variance /= static_cast<double>(n * d);
    }
    const double tol = o.tol * variance;
    const int64_t steps = std::max<int64_t>(1, o.maxEpochs * n / batch);
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    std::vector<int64_t> idx(static_cast<size_t>(batch)), lab;
    double ewa = -1, ewaMin = std::numeric_limits<double>::infinity();
    int64_t noImprovement = 0;
    const double alpha = std::min(1.0, 2.0 * static_cast<double>(batch) / static_cast<double>(n + 1));
    std::vector<double> sums(static_cast<size_t>(o.k * d));
    std::vector<double> wsum(static_cast<size_t>(o.k));
    for (int64_t step = 0; step < steps; ++step) {
        if ((step & 7) == 0) progress.report(0.9 * static_cast<double>(step) / static_cast<double>(steps), "k-means");
        for (auto& i : idx) i = pick(rng);
        const double batchInertia = assign(x, res.centers, &idx, lab) / static_cast<double>(batch);
        std::fill(sums.begin(), sums.end(), 0.0);
        std::fill(wsum.begin(), wsum.end(), 0.0);
        for (size_t b = 0; b < idx.size(); ++b) {
            const int64_t c = lab[b];
            wsum[static_cast<size_t>(c)] += 1;
            const float* p = x.row(idx[b]);
            for (int64_t j = 0; j < d; ++j) sums[static_cast<size_t>(c * d + j)] += p[j];
        }
        double shift = 0;
        for (int64_t c = 0; c < o.k; ++c) {
            if (wsum[static_cast<size_t>(c)] == 0) continue;
            const double old = counts[static_cast<size_t>(c)];
            const double now = old + wsum[static_cast<size_t>(c)];
            float* ctr = res.centers.row(c);
            for (int64_t j = 0; j < d; ++j) {
                const double v = (ctr[j] * old + sums[static_cast<size_t>(c * d + j)]) / now;
                shift += (v - ctr[j]) * (v - ctr[j]);
                ctr[j] = static_cast<float>(v);
            }
            counts[static_cast<size_t>(c)] = now;
        }
        res.steps = step + 1;
        // sklearn's convergence checks (skipped on the first step)
        if (step == 0) {
            ewa = batchInertia;
            continue;
        }
        if (tol > 0 && shift <= tol) break;
        ewa = ewa * (1 - alpha) + batchInertia * alpha;
        if (ewa < ewaMin) {
            noImprovement = 0;
            ewaMin = ewa;
        } else if (++noImprovement >= o.maxNoImprovement) {
            break;
        }
    }
    res.inertia = assign(x, res.centers, nullptr, res.labels, &progress);
    return res;
}

ClusteringResult evaluateClustering(const Matrix& x, const std::vector<int64_t>& labels, const ClusteringOptions& o,
                                    Progress& progress) {
    if (x.rows != static_cast<int64_t>(labels.size()))
        throw Error::badInput("clustering: " + std::to_string(labels.size()) + " labels but " + std::to_string(x.rows) +
                              " vectors");
    std::vector<int64_t> uniq(labels);
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    ClusteringResult r;
    r.clusters = static_cast<int64_t>(uniq.size());
    r.points = x.rows;
    if (r.clusters < 2) throw Error::badInput("clustering needs at least 2 different gold labels");
    KMeansOptions ko;
    ko.k = r.clusters;
    ko.seed = o.seed;
    ko.batchSize = o.batchSize;
    const KMeansResult km = miniBatchKMeans(x, ko, progress);
    r.vMeasureFull = vMeasureScore(labels, km.labels);
    std::mt19937_64 rng(o.seed + 1);
    const int64_t size = std::min(o.maxDocuments, x.rows);
    std::uniform_int_distribution<int64_t> pick(0, x.rows - 1);
    std::vector<double> vs;
    for (int64_t b = 0; b < std::max<int64_t>(1, o.bootstraps); ++b) {
        std::vector<int64_t> t(static_cast<size_t>(size)), p(static_cast<size_t>(size));
        for (int64_t i = 0; i < size; ++i) {
            const int64_t j = pick(rng);
            t[static_cast<size_t>(i)] = labels[static_cast<size_t>(j)];
            p[static_cast<size_t>(i)] = km.labels[static_cast<size_t>(j)];
        }
        vs.push_back(vMeasureScore(t, p));
    }
    double m = 0;
    for (double v : vs) m += v;
    m /= static_cast<double>(vs.size());
    double var = 0;
    for (double v : vs) var += (v - m) * (v - m);
    r.vMeasure = m;
    r.vMeasureStd = std::sqrt(var / static_cast<double>(vs.size()));
    progress.report(1.0, "clustering");
    return r;
}

}  // namespace embedlab::eval
