#include "engine/tasks/embed_corpus.h"

#include "engine/core/error.h"
#include "engine/dist/collective.h"
#include "engine/models/embedding.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

namespace embedlab::tasks {

EmbedCorpusResult embedCorpus(Model& model, const Tokenizer& tokenizer, const TextReader& read,
                              const EmbeddingSink& sink, const EmbedCorpusOptions& o, Progress& progress) {
    if (o.embed.batchSize <= 0) throw Error::badInput("the batch size must be positive");
    const auto t0 = std::chrono::steady_clock::now();
    const size_t chunk = static_cast<size_t>(o.chunk > 0 ? o.chunk : std::max<int64_t>(256, o.embed.batchSize * 16));
    EmbedCorpusResult r;
    std::vector<TextRecord> pending;
    Progress reading(progress, 0.0, 0.98);
    Collective* group = o.collective && o.collective->worldSize() > 1 ? o.collective : nullptr;
    const int64_t W = group ? group->worldSize() : 1, R = group ? group->rank() : 0;
    int64_t chunkIndex = 0;
    auto flush = [&]() {
        if (pending.empty()) return;
        const int64_t owner = chunkIndex++ % W;
        const double f = 0.98 * std::max(0.0, reading.snapshot().fraction);
        at::Tensor v;
        if (owner == R) {
            std::vector<std::string> texts;
            texts.reserve(pending.size());
            for (const TextRecord& rec : pending) texts.push_back(rec.text);
            const auto e0 = std::chrono::steady_clock::now();
            {
                Progress stage(progress, f, f,
                               "sentences " + std::to_string(r.count + 1) + "–" + std::to_string(r.count + int64_t(pending.size())));
                v = embedTexts(model, tokenizer, texts, o.embed, stage).to(at::kCPU, at::kFloat).contiguous();
            }
            r.embedSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
            r.dim = v.size(1);
            r.embedded += static_cast<int64_t>(pending.size());
            if (R != 0) group->send(v, 0);
        } else if (R == 0) {
            // Rank 0 embedded chunk 0 (its own) before any other: the width is known.
            v = at::empty({static_cast<int64_t>(pending.size()), r.dim}, at::kFloat);
            group->recv(v, static_cast<int>(owner));
        }
        if (R == 0) sink(v, pending);
        r.count += static_cast<int64_t>(pending.size());
        pending.clear();
        progress.report(f, "embedded " + std::to_string(r.count) + " sentences");
    };
    read(
        [&](TextRecord&& rec) {
            pending.push_back(std::move(rec));
            if (pending.size() >= chunk) flush();
            else progress.checkCancelled();
        },
        reading);
    flush();
    if (r.count == 0)
        throw Error::badInput((o.source.empty() ? std::string("the input") : o.source) + ": empty corpus (no non-empty records)");
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report(0.98, "embedded " + std::to_string(r.count) + " sentences");
    return r;
}

}  // namespace embedlab::tasks
