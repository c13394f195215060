#include "engine/train/distill.h"

#include "engine/core/error.h"
#include "engine/io/corpus.h"
#include "engine/jobs/progress.h"
#include "engine/models/model.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace embedlab {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The span [b, e) without white space at either end ({x, x} when nothing is left).
std::pair<size_t, size_t> trimmed(const std::string& text, std::pair<size_t, size_t> s) {
    size_t b = std::min(s.first, text.size()), e = std::min(s.second, text.size());
    while (b < e && space(text[b])) ++b;
    while (e > b && space(text[e - 1])) --e;
    return {b, e};
}

}  // namespace

std::vector<TokenAlignment> alignTokenizations(const std::string& text, const Encoding& student, const Encoding& teacher,
                                               size_t studentLen, size_t teacherLen) {
    std::vector<TokenAlignment> out;
    // The teacher's non-empty trimmed spans, in order (offsets increase along an encoding).
    struct Span {
        size_t b, e, index;
    };
    std::vector<Span> ts;
    for (size_t j = 0; j < std::min(teacherLen, teacher.offsets.size()); ++j) {
        const auto [b, e] = trimmed(text, teacher.offsets[j]);
        if (b < e) ts.push_back({b, e, j});
    }
    size_t j = 0;
    for (size_t i = 0; i < std::min(studentLen, student.offsets.size()); ++i) {
        const auto [b, e] = trimmed(text, student.offsets[i]);
        if (b >= e) continue;
        while (j < ts.size() && ts[j].b < b) ++j;  // the first teacher span starting at or after b
        if (j >= ts.size() || ts[j].b != b) continue;
        size_t pos = b, k = j;
        while (k < ts.size() && pos < e && ts[k].b == pos && ts[k].e <= e) pos = ts[k++].e;
        if (pos != e) continue;  // a teacher token crosses the student token's end, or a gap
        out.push_back({static_cast<int32_t>(i), static_cast<int32_t>(ts[j].index), static_cast<int32_t>(ts[k - 1].index + 1)});
    }
    return out;
}

DistillCorpus prepareDistillCorpus(const std::string& path, const std::string& evalPath, const Tokenizer& student,
                                   const Tokenizer& teacher, int64_t seqLen, Progress& progress) {
    struct Line {
        std::vector<int64_t> s, t;
        std::vector<TokenAlignment> a;
    };
    auto read = [&](const std::string& p, Progress& pr, int64_t* aligned, int64_t* studentTokens) {
        std::vector<Line> lines;
        streamCorpus(
            p, CorpusOptions{},
            [&](CorpusRecord&& r) {
                const Encoding es = student.encode(r.text, true), et = teacher.encode(r.text, true);
                Line l;
                const size_t ns = std::min<size_t>(es.ids.size(), static_cast<size_t>(seqLen));
                const size_t nt = std::min<size_t>(et.ids.size(), static_cast<size_t>(seqLen));
                l.a = alignTokenizations(r.text, es, et, ns, nt);
                if (l.a.empty()) return;
                l.s.assign(es.ids.begin(), es.ids.begin() + static_cast<std::ptrdiff_t>(ns));
                l.t.assign(et.ids.begin(), et.ids.begin() + static_cast<std::ptrdiff_t>(nt));
                if (aligned) *aligned += static_cast<int64_t>(l.a.size());
                if (studentTokens) *studentTokens += static_cast<int64_t>(ns);
                lines.push_back(std::move(l));
            },
            pr);
        return lines;
    };
    DistillCorpus d;
    std::vector<Line> train;
    {
        Progress pr(progress, 0.0, evalPath.empty() ? 1.0 : 0.8, "aligning");
        train = read(path, pr, &d.alignedTokens, &d.studentTokens);
    }
    if (train.empty()) throw Error::badInput(path + ": no line has a token both tokenizers spell alike");
    std::vector<Line> held;
    if (!evalPath.empty()) {
        Progress pr(progress, 0.8, 1.0, "aligning the held-out text");
        held = read(evalPath, pr, nullptr, nullptr);
    } else if (train.size() >= 40) {
        const size_t k = std::max<size_t>(1, train.size() / 20);
        for (size_t i = train.size() - k; i < train.size(); ++i) {  // the counts are the training lines'
            d.alignedTokens -= static_cast<int64_t>(train[i].a.size());
            d.studentTokens -= static_cast<int64_t>(train[i].s.size());
        }
        held.assign(std::make_move_iterator(train.end() - static_cast<std::ptrdiff_t>(k)), std::make_move_iterator(train.end()));
        train.resize(train.size() - k);
    }
    auto pack = [](std::vector<Line>& ls, TokenPairs& pairs, std::vector<std::vector<TokenAlignment>>& al) {
        std::vector<std::vector<int64_t>> s, t;
        for (auto& l : ls) {
            s.push_back(std::move(l.s));
            t.push_back(std::move(l.t));
            al.push_back(std::move(l.a));
        }
        pairs.first = TokenSequences::fromVectors(s);
        pairs.second = TokenSequences::fromVectors(t);
    };
    pack(train, d.train, d.trainAlign);
    pack(held, d.heldOut, d.heldOutAlign);
    return d;
}

DistillLoss distillLoss(Model& student, Model& teacher, const TokenBatch& sb, const TokenBatch& tb,
                        const std::vector<const std::vector<TokenAlignment>*>& aligns, int64_t layer, const std::string& kind) {
    DistillLoss r;
    std::vector<int64_t> sIdx, tIdx, seg;
    std::vector<double> inv;
    const int64_t Ls = sb.ids.size(1), Lt = tb.ids.size(1);
    for (size_t b = 0; b < aligns.size(); ++b) {
        for (const TokenAlignment& a : *aligns[b]) {
            if (a.student >= Ls || a.teacherEnd > Lt) continue;
            const int64_t n = static_cast<int64_t>(sIdx.size());
            sIdx.push_back(static_cast<int64_t>(b) * Ls + a.student);
            for (int32_t j = a.teacherBegin; j < a.teacherEnd; ++j) {
                tIdx.push_back(static_cast<int64_t>(b) * Lt + j);
                seg.push_back(n);
            }
            inv.push_back(1.0 / (a.teacherEnd - a.teacherBegin));
        }
    }
    r.pairs = static_cast<int64_t>(sIdx.size());
    if (r.pairs == 0) return r;
    ForwardOptions fo;
    fo.logits = false;
    fo.hiddenStates = true;
    fo.upToHiddenState = layer;
    at::Tensor target;
    {
        at::NoGradGuard ng;
        const ForwardOutput t = teacher.forward(tb.ids, tb.mask, at::Tensor(), fo);
        const at::Tensor th = t.hiddenStates.at(static_cast<size_t>(layer)).to(at::kFloat);
        const at::Tensor flat = th.reshape({-1, th.size(-1)});
        const auto dev = flat.device();
        at::Tensor sum = at::zeros({r.pairs, flat.size(1)}, flat.options());
        sum.index_add_(0, at::tensor(seg, at::kLong).to(dev), flat.index_select(0, at::tensor(tIdx, at::kLong).to(dev)));
        target = (sum * at::tensor(inv, at::kDouble).to(dev, at::kFloat).unsqueeze(1)).detach();
    }
    const ForwardOutput s = student.forward(sb.ids, sb.mask, at::Tensor(), fo);
    const at::Tensor sh = s.hiddenStates.at(static_cast<size_t>(layer));
    const at::Tensor sflat = sh.reshape({-1, sh.size(-1)});
    const at::Tensor pred = sflat.index_select(0, at::tensor(sIdx, at::kLong).to(sflat.device())).to(at::kFloat);
    if (kind == "cosine")
        r.loss = (1.0 - at::cosine_similarity(pred, target.to(pred.device()), 1, 1e-8)).mean();
    else
        r.loss = (pred - target.to(pred.device())).pow(2).mean();
    return r;
}

}  // namespace embedlab
