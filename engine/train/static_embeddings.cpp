#include "engine/train/static_embeddings.h"

#include "engine/core/cpu_isa.h"
#include "engine/core/error.h"
#include "engine/io/file_io.h"

#include <ATen/Parallel.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EMBEDLAB_STATIC_X86 1
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <thread>
#include <unordered_set>

namespace embedlab::train {

// ---------------------------------------------------------------- corpus

void StaticCorpusBuilder::addLine(const std::vector<std::string>& units) {
    int64_t inLine = 0;
    for (const std::string& u : units) {
        if (u.empty()) continue;
        // fastText's MAX_LINE_SIZE: a longer line continues as a new one, so that the learning rate,
        // the threads' shares and cancellation move at least every 1,024 units.
        if (inLine == kMaxLineUnits) {
            lineStarts_.push_back(static_cast<int64_t>(ids_.size()));
            inLine = 0;
        }
        ++inLine;
        auto [it, fresh] = index_.try_emplace(u, static_cast<int32_t>(words_.size()));
        if (fresh) {
            if (words_.size() >= static_cast<size_t>(INT32_MAX - 1))
                throw Error::badInput("train static: more than 2^31 distinct units");
            words_.push_back(u);
            counts_.push_back(0);
        }
        ++counts_[static_cast<size_t>(it->second)];
        ids_.push_back(it->second);
    }
    lineStarts_.push_back(static_cast<int64_t>(ids_.size()));
}

StaticCorpus StaticCorpusBuilder::finish(int64_t minCount) {
    StaticCorpus c;
    c.unitsRead = static_cast<int64_t>(ids_.size());
    std::vector<int32_t> order;
    for (size_t i = 0; i < words_.size(); ++i)
        if (counts_[i] >= std::max<int64_t>(1, minCount)) order.push_back(static_cast<int32_t>(i));
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return counts_[static_cast<size_t>(a)] > counts_[static_cast<size_t>(b)]; });
    std::vector<int32_t> remap(words_.size(), -1);
    for (size_t k = 0; k < order.size(); ++k) {
        remap[static_cast<size_t>(order[k])] = static_cast<int32_t>(k);
        c.words.push_back(words_[static_cast<size_t>(order[k])]);
        c.counts.push_back(counts_[static_cast<size_t>(order[k])]);
    }
    c.lineStarts.reserve(lineStarts_.size());
    c.lineStarts.push_back(0);
    c.ids.reserve(ids_.size());
    for (size_t l = 0; l + 1 < lineStarts_.size(); ++l) {
        for (int64_t k = lineStarts_[l]; k < lineStarts_[l + 1]; ++k) {
            const int32_t r = remap[static_cast<size_t>(ids_[static_cast<size_t>(k)])];
            if (r >= 0) c.ids.push_back(r);
            else ++c.rareDropped;
        }
        c.lineStarts.push_back(static_cast<int64_t>(c.ids.size()));
    }
    return c;
}

// ---------------------------------------------------------------- subwords

uint32_t fastTextHash(const std::string& s) {
    uint32_t h = 2166136261u;
    for (char ch : s) {
        h ^= static_cast<uint32_t>(static_cast<int8_t>(ch));
        h *= 16777619u;
    }
    return h;
}

std::vector<std::string> characterNgrams(const std::string& word, int minn, int maxn) {
    std::vector<std::string> out;
    if (maxn <= 0 || minn > maxn) return out;
    const std::string w = "<" + word + ">";
    const auto cont = [&](size_t j) { return (static_cast<unsigned char>(w[j]) & 0xC0) == 0x80; };
    for (size_t i = 0; i < w.size(); ++i) {
        if (cont(i)) continue;
        std::string g;
        size_t j = i;
        for (int n = 1; j < w.size() && n <= maxn; ++n) {
            g.push_back(w[j++]);
            while (j < w.size() && cont(j)) g.push_back(w[j++]);
            if (n >= minn && !(n == 1 && (i == 0 || j == w.size()))) out.push_back(g);
        }
    }
    return out;
}

// ---------------------------------------------------------------- kernels

namespace {

float dotPortable(const float* a, const float* b, int n) {
    float s = 0.f;
    for (int i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}
void axpyPortable(float alpha, const float* x, float* y, int n) {
    for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
}

#ifdef EMBEDLAB_STATIC_X86
__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, int n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc0 = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float r = _mm_cvtss_f32(s);
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}
__attribute__((target("avx2,fma"))) void axpyAvx2(float alpha, const float* x, float* y, int n) {
    const __m256 va = _mm256_set1_ps(alpha);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += alpha * x[i];
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's masked AVX-512 loads (GCC bug 105593)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) float dotAvx512(const float* a, const float* b, int n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    if (i < n) {
        const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}
__attribute__((target("avx512f"))) void axpyAvx512(float alpha, const float* x, float* y, int n) {
    const __m512 va = _mm512_set1_ps(alpha);
    int i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}
#pragma GCC diagnostic pop
#endif

struct Kernels {
    float (*dot)(const float*, const float*, int) = dotPortable;
    void (*axpy)(float, const float*, float*, int) = axpyPortable;
};

Kernels kernelsFor(int isa) {
    Kernels k;
    const CpuIsa level = isa < 0 ? cpuIsa() : static_cast<CpuIsa>(isa);
#ifdef EMBEDLAB_STATIC_X86
    if (level == CpuIsa::Avx512) {
        k.dot = dotAvx512;
        k.axpy = axpyAvx512;
    } else if (level == CpuIsa::Avx2) {
        k.dot = dotAvx2;
        k.axpy = axpyAvx2;
    }
#else
    (void)level;
#endif
    return k;
}

inline float sigmoid(float x) {
    if (x > 30.f) return 1.f;
    if (x < -30.f) return 0.f;
    return 1.f / (1.f + std::exp(-x));
}
inline double logisticLoss(float p, bool positive) {
    const double q = positive ? p : 1.0 - p;
    return -std::log(std::max(q, 1e-7));
}

// The centre step on raw buffers. `h` and `gh` are dim-sized scratch.
template <class Emit>
double centreStep(const Kernels& k, float* input, float* output, int dim, const int32_t* rows, size_t nRows,
                  size_t contexts, const Emit& targetsOf, float lr, float* h, float* gh, bool wantLoss) {
    std::fill(h, h + dim, 0.f);
    for (size_t r = 0; r < nRows; ++r) k.axpy(1.f, input + static_cast<int64_t>(rows[r]) * dim, h, dim);
    const float inv = 1.f / static_cast<float>(nRows);
    for (int d = 0; d < dim; ++d) h[d] *= inv;
    std::fill(gh, gh + dim, 0.f);
    double loss = 0;
    for (size_t c = 0; c < contexts; ++c) {
        targetsOf(c, [&](int32_t t, bool positive) {
            float* o = output + static_cast<int64_t>(t) * dim;
            const float p = sigmoid(k.dot(o, h, dim));
            const float g = lr * ((positive ? 1.f : 0.f) - p);
            if (wantLoss) loss += logisticLoss(p, positive);
            k.axpy(g, o, gh, dim);
            k.axpy(g, h, o, dim);
        });
    }
    for (size_t r = 0; r < nRows; ++r) k.axpy(1.f, gh, input + static_cast<int64_t>(rows[r]) * dim, dim);
    return loss;
}

}  // namespace

// ---------------------------------------------------------------- model

StaticModel::StaticModel(const std::vector<std::string>& words, const StaticOptions& o)
    : words_(words), dim_(o.dim), minn_(o.minn), maxn_(o.maxn), buckets_(o.maxn > 0 ? o.buckets : 0) {
    if (dim_ < 1 || dim_ > 4096) throw Error::badInput("train static: --dim must be in 1..4096");
    if (maxn_ > 0 && (minn_ < 1 || minn_ > maxn_))
        throw Error::badInput("train static: --subwords MIN-MAX needs 1 ≤ MIN ≤ MAX");
    if (maxn_ > 0 && buckets_ < 1) throw Error::badInput("train static: the n-gram buckets must be ≥ 1");
    const int64_t nw = static_cast<int64_t>(words_.size());
    if (nw + buckets_ > INT32_MAX) throw Error::badInput("train static: too many rows (vocabulary + buckets ≥ 2^31)");
    lookup_.reserve(words_.size());
    for (int64_t i = 0; i < nw; ++i) lookup_.emplace(words_[static_cast<size_t>(i)], static_cast<int32_t>(i));
    subOffsets_.reserve(words_.size() + 1);
    subOffsets_.push_back(0);
    for (int64_t i = 0; i < nw; ++i) {
        subRows_.push_back(static_cast<int32_t>(i));
        if (words_[static_cast<size_t>(i)] == kEndOfSentence) {  // as fastText: the marker has no n-grams
            subOffsets_.push_back(static_cast<int32_t>(subRows_.size()));
            continue;
        }
        if (subRows_.size() > static_cast<size_t>(INT32_MAX) - 1024)
            throw Error::badInput("train static: too many n-gram entries (more than 2^31); use fewer units or --subwords none");
        for (const std::string& g : characterNgrams(words_[static_cast<size_t>(i)], minn_, maxn_))
            subRows_.push_back(static_cast<int32_t>(nw + static_cast<int64_t>(fastTextHash(g) % static_cast<uint64_t>(buckets_))));
        subOffsets_.push_back(static_cast<int32_t>(subRows_.size()));
    }
    const uint64_t inBytes = static_cast<uint64_t>(nw + buckets_) * static_cast<uint64_t>(dim_) * 4u;
    if (inBytes > (uint64_t(1) << 36)) throw Error::badInput("train static: the input matrix would exceed 64 GiB");
    input_.resize(static_cast<size_t>((nw + buckets_) * dim_));
    output_.assign(static_cast<size_t>(nw * dim_), 0.f);
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<float> u(-1.f / static_cast<float>(dim_), 1.f / static_cast<float>(dim_));
    for (float& v : input_) v = u(rng);
}

std::vector<int32_t> StaticModel::rowsOf(int64_t i) const {
    return {subRows_.begin() + subOffsets_[static_cast<size_t>(i)], subRows_.begin() + subOffsets_[static_cast<size_t>(i) + 1]};
}

std::vector<int32_t> StaticModel::rowsOfWord(const std::string& word) const {
    auto it = lookup_.find(word);
    if (it != lookup_.end()) return rowsOf(it->second);
    std::vector<int32_t> rows;
    if (buckets_ > 0 && word != kEndOfSentence)
        for (const std::string& g : characterNgrams(word, minn_, maxn_))
            rows.push_back(static_cast<int32_t>(wordCount() + static_cast<int64_t>(fastTextHash(g) % static_cast<uint64_t>(buckets_))));
    return rows;
}

static std::vector<float> meanOfRows(const StaticModel& m, const std::vector<int32_t>& rows) {
    std::vector<float> v(static_cast<size_t>(m.dim()), 0.f);
    for (int32_t r : rows) {
        const float* p = m.inputRow(r);
        for (int d = 0; d < m.dim(); ++d) v[static_cast<size_t>(d)] += p[d];
    }
    if (!rows.empty())
        for (float& x : v) x /= static_cast<float>(rows.size());
    return v;
}

std::vector<float> StaticModel::wordVector(const std::string& word) const { return meanOfRows(*this, rowsOfWord(word)); }
std::vector<float> StaticModel::vocabularyVector(int64_t i) const { return meanOfRows(*this, rowsOf(i)); }

double sgnsCentreStep(StaticModel& m, const std::vector<int32_t>& rows, const std::vector<int32_t>& targets,
                      const std::vector<std::vector<int32_t>>& negatives, float lr, int isa) {
    if (rows.empty()) return 0;
    std::vector<float> h(static_cast<size_t>(m.dim())), gh(static_cast<size_t>(m.dim()));
    const auto each = [&](size_t c, const auto& f) {
        f(targets[c], true);
        if (c < negatives.size())
            for (int32_t t : negatives[c]) f(t, false);
    };
    return centreStep(kernelsFor(isa), m.inputRow(0), m.outputRow(0), m.dim(), rows.data(), rows.size(), targets.size(),
                      each, lr, h.data(), gh.data(), true);
}

StaticTrainStats StaticModel::train(const StaticCorpus& corpus, const StaticOptions& o, Progress& progress) {
    if (corpus.words.size() != words_.size())
        throw Error::runtime("train static: the corpus vocabulary is not the model's");
    if (o.epochs < 1 || o.window < 1 || o.negatives < 0 || o.lr <= 0 || !std::isfinite(o.lr))
        throw Error::badInput("train static: --epochs, --window ≥ 1, --negatives ≥ 0, --lr > 0");
    const int64_t n = static_cast<int64_t>(corpus.ids.size());
    if (n == 0 || words_.empty())
        throw Error::badInput("train static: no unit occurs --min-count times; nothing to train");
    const auto t0 = std::chrono::steady_clock::now();

    // Discard probabilities and the negative table (count^0.5, as fastText).
    std::vector<float> keep(words_.size());
    for (size_t i = 0; i < words_.size(); ++i) {
        const double f = static_cast<double>(corpus.counts[i]) / static_cast<double>(n);
        keep[i] = o.sample > 0 ? static_cast<float>(std::sqrt(o.sample / f) + o.sample / f) : 2.f;
    }
    std::vector<int32_t> table;
    {
        double z = 0;
        for (int64_t c : corpus.counts) z += std::sqrt(static_cast<double>(c));
        const double size = std::min(1e7, std::max(1e5, 100.0 * static_cast<double>(words_.size())));
        for (size_t i = 0; i < words_.size(); ++i) {
            const auto reps = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(corpus.counts[i])) * size / z));
            table.insert(table.end(), static_cast<size_t>(std::max<int64_t>(1, reps)), static_cast<int32_t>(i));
        }
    }

    const int threads = std::max(1, o.threads > 0 ? o.threads : at::get_num_threads());
    // Contiguous shares of lines with about equal numbers of units.
    const int64_t lines = corpus.lines();
    std::vector<int64_t> cut(static_cast<size_t>(threads) + 1, lines);
    cut[0] = 0;
    for (int t = 1, l = 0; t < threads; ++t) {
        const int64_t want = n * t / threads;
        while (l < lines && corpus.lineStarts[static_cast<size_t>(l)] < want) ++l;
        cut[static_cast<size_t>(t)] = l;
    }
    const double total = static_cast<double>(n) * o.epochs;
    std::atomic<int64_t> processed{0};
    std::atomic<bool> stop{false};
    struct alignas(64) Slot {
        std::atomic<double> lossSum{0}, lossCount{0};
        double tailSum = 0, tailCount = 0;
    };
    std::vector<Slot> slots(static_cast<size_t>(threads));
    const Kernels k = kernelsFor(-1);
    float* in = input_.data();
    float* out = output_.data();
    const int dim = dim_;

    auto worker = [&](int t) {
        std::minstd_rand rng(static_cast<uint32_t>(o.seed * 1000003u + static_cast<uint64_t>(t) * 7919u + 1u));
        std::uniform_real_distribution<float> uni(0.f, 1.f);
        std::uniform_int_distribution<int> win(1, o.window);
        std::uniform_int_distribution<size_t> neg(0, table.size() - 1);
        std::vector<float> h(static_cast<size_t>(dim)), gh(static_cast<size_t>(dim));
        std::vector<int32_t> kept;
        Slot& slot = slots[static_cast<size_t>(t)];
        const int64_t l0 = cut[static_cast<size_t>(t)], l1 = cut[static_cast<size_t>(t) + 1];
        const int64_t mine = (corpus.lineStarts[static_cast<size_t>(l1)] - corpus.lineStarts[static_cast<size_t>(l0)]) * o.epochs;
        int64_t done = 0, pending = 0, centres = 0;
        float lr = static_cast<float>(o.lr);
        for (int e = 0; e < o.epochs; ++e) {
            for (int64_t l = l0; l < l1; ++l) {
                // A person's pause or the scheduler's hold (the app holds a long job while an interactive
                // one runs): the workers wait, not only the watcher.
                while ((progress.paused() || progress.held()) && !stop.load(std::memory_order_relaxed))
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                if (stop.load(std::memory_order_relaxed)) return;
                const int32_t* ids = corpus.ids.data() + corpus.lineStarts[static_cast<size_t>(l)];
                const int64_t len = corpus.lineStarts[static_cast<size_t>(l) + 1] - corpus.lineStarts[static_cast<size_t>(l)];
                kept.clear();
                for (int64_t i = 0; i < len; ++i)
                    if (uni(rng) < keep[static_cast<size_t>(ids[i])]) kept.push_back(ids[i]);
                pending += len;
                done += len;
                if (pending >= 2048) {
                    const int64_t all = processed.fetch_add(pending, std::memory_order_relaxed) + pending;
                    pending = 0;
                    lr = static_cast<float>(o.lr * std::max(0.0, 1.0 - static_cast<double>(all) / total));
                }
                const bool tail = static_cast<double>(done) > 0.95 * static_cast<double>(mine);
                const int64_t m = static_cast<int64_t>(kept.size());
                for (int64_t w = 0; w < m; ++w) {
                    const int b = win(rng);
                    const int64_t c0 = std::max<int64_t>(0, w - b), c1 = std::min<int64_t>(m - 1, w + b);
                    const size_t contexts = static_cast<size_t>(c1 - c0);  // without the centre itself
                    if (contexts == 0) continue;
                    const int32_t centre = kept[static_cast<size_t>(w)];
                    const int32_t* rows = subRows_.data() + subOffsets_[static_cast<size_t>(centre)];
                    const size_t nRows = static_cast<size_t>(subOffsets_[static_cast<size_t>(centre) + 1] - subOffsets_[static_cast<size_t>(centre)]);
                    const bool wantLoss = (++centres & 15) == 0;
                    const auto each = [&](size_t c, const auto& f) {
                        int64_t pos = c0 + static_cast<int64_t>(c);
                        if (pos >= w) ++pos;
                        const int32_t target = kept[static_cast<size_t>(pos)];
                        f(target, true);
                        for (int q = 0; q < o.negatives; ++q) {
                            int32_t s;
                            do s = table[neg(rng)];
                            while (s == target && table.size() > 1 && words_.size() > 1);
                            f(s, false);
                        }
                    };
                    double loss = 0;
                    if (o.perPairUpdates) {  // fastText's order: the centre's rows move after every context
                        for (size_t c = 0; c < contexts; ++c) {
                            const auto one = [&](size_t, const auto& f) { each(c, f); };
                            loss += centreStep(k, in, out, dim, rows, nRows, 1, one, lr, h.data(), gh.data(), wantLoss);
                        }
                    } else {
                        loss = centreStep(k, in, out, dim, rows, nRows, contexts, each, lr, h.data(), gh.data(), wantLoss);
                    }
                    if (wantLoss) {
                        const double pairs = static_cast<double>(contexts) * (1 + o.negatives);
                        slot.lossSum.store(slot.lossSum.load(std::memory_order_relaxed) + loss / pairs * static_cast<double>(contexts), std::memory_order_relaxed);
                        slot.lossCount.store(slot.lossCount.load(std::memory_order_relaxed) + static_cast<double>(contexts), std::memory_order_relaxed);
                        if (tail) {
                            slot.tailSum += loss / pairs * static_cast<double>(contexts);
                            slot.tailCount += static_cast<double>(contexts);
                        }
                    }
                }
            }
        }
        processed.fetch_add(pending, std::memory_order_relaxed);
    };
    std::atomic<int> running{threads};
    const auto run = [&](int t) {
        worker(t);
        running.fetch_sub(1);
    };

    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(threads));
    const auto joinAll = [&] {
        for (std::thread& th : pool)
            if (th.joinable()) th.join();
    };
    try {
        for (int t = 0; t < threads; ++t) pool.emplace_back(run, t);
    } catch (...) {
        stop = true;
        running.fetch_sub(threads - static_cast<int>(pool.size()));
        joinAll();
        throw Error::runtime("train static: could not start " + std::to_string(threads) + " threads");
    }
    std::exception_ptr failure;
    double lastSum = 0, lastCount = 0;
    // The calling thread watches: progress, the loss curve (mean logistic loss per pair), pause and
    // cancellation (the workers wait while `hold` is set and leave when `stop` is).
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const bool finished = running.load() == 0;  // before the counters, so that the last report has them all
        const int64_t p = processed.load(std::memory_order_relaxed);
        double sum = 0, count = 0;
        for (const Slot& s : slots) {
            sum += s.lossSum.load(std::memory_order_relaxed);
            count += s.lossCount.load(std::memory_order_relaxed);
        }
        try {
            if (count - lastCount > 0) progress.metric("loss", static_cast<double>(p), (sum - lastSum) / (count - lastCount));
            lastSum = sum;
            lastCount = count;
            progress.report(std::min(1.0, static_cast<double>(p) / total), "skip-gram: " + std::to_string(p) + " units");
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure || finished) break;
    }
    if (failure) stop = true;
    joinAll();
    if (failure) std::rethrow_exception(failure);

    StaticTrainStats s;
    s.threads = threads;
    s.unitsProcessed = processed.load();
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.unitsPerSecond = s.seconds > 0 ? static_cast<double>(s.unitsProcessed) / s.seconds : 0;
    double ts = 0, tc = 0;
    for (const Slot& sl : slots) {
        ts += sl.tailSum;
        tc += sl.tailCount;
    }
    s.finalLoss = tc > 0 ? ts / tc : 0;
    return s;
}

namespace {

std::string writtenLabel(const std::string& w) {
    std::string out;
    for (char ch : w) {
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') out += "\xE2\x96\x81";
        else out.push_back(ch);
    }
    return out;
}

}  // namespace

std::pair<std::vector<float>, std::vector<std::string>> StaticModel::rows(const std::vector<std::string>& extraWords,
                                                                          std::vector<std::string>* extraOut) const {
    std::vector<std::string> extra;
    std::unordered_set<std::string> seen;
    for (const std::string& w : extraWords)
        if (!w.empty() && !hasWord(w) && !rowsOfWord(w).empty() && seen.insert(w).second) extra.push_back(w);
    std::vector<float> data;
    data.reserve((words_.size() + extra.size()) * static_cast<size_t>(dim_));
    std::vector<std::string> labels;
    labels.reserve(words_.size() + extra.size());
    for (int64_t i = 0; i < wordCount(); ++i) {
        const std::vector<float> v = vocabularyVector(i);
        data.insert(data.end(), v.begin(), v.end());
        labels.push_back(writtenLabel(words_[static_cast<size_t>(i)]));
    }
    for (const std::string& w : extra) {
        const std::vector<float> v = wordVector(w);
        data.insert(data.end(), v.begin(), v.end());
        labels.push_back(writtenLabel(w));
    }
    if (extraOut) *extraOut = extra;
    return {std::move(data), std::move(labels)};
}

int64_t StaticModel::write(const std::string& path, bool binary, const std::vector<std::string>& extraWords) const {
    std::vector<std::string> extra;
    const auto [data, labels] = rows(extraWords, &extra);
    std::string out = std::to_string(labels.size()) + " " + std::to_string(dim_) + "\n";
    char buf[32];
    for (size_t r = 0; r < labels.size(); ++r) {
        out += labels[r];
        const float* v = data.data() + r * static_cast<size_t>(dim_);
        if (binary) {
            out.push_back(' ');
            out.append(reinterpret_cast<const char*>(v), static_cast<size_t>(dim_) * sizeof(float));
        } else {
            for (int d = 0; d < dim_; ++d) {
                const int len = std::snprintf(buf, sizeof buf, " %.6g", static_cast<double>(v[d]));
                out.append(buf, static_cast<size_t>(len));
            }
        }
        out.push_back('\n');
    }
    writeFileAtomic(path, out);
    return static_cast<int64_t>(extra.size());
}

}  // namespace embedlab::train
