// Retrieval (nDCG@k, recall@k, MRR@10) against an independent numpy implementation of the
// trec_eval/pytrec_eval formulas (graded gains, discount 1 at rank 1 and log2(rank) after, ideal
// DCG over every judged relevant document); bitext mining against sklearn on the same vectors.
#include "engine/eval/bitext.h"
#include "engine/eval/retrieval.h"
#include "engine/core/error.h"
#include "reference.h"

#include <random>

using namespace embedlab;
using namespace embedlab::eval;
using embedlab::test::jsonList;
using embedlab::test::runPython;

namespace {

Matrix randomMatrix(int64_t n, int64_t d, uint64_t seed) {
    Matrix m(n, d);
    auto v = test::randomNormal(static_cast<size_t>(n * d), seed);
    for (size_t i = 0; i < v.size(); ++i) m.data[i] = static_cast<float>(v[i]);
    return m;
}

// The reference: cosine in float64, ranking by (-score, doc id descending) as trec_eval, then the
// formulas written out independently.
const char* kRetrievalRef = R"PY(
import json, sys, numpy as np
q = np.load(QP).astype(np.float64); d = np.load(DP).astype(np.float64)
qids = QIDS; dids = DIDS; qrels = QRELS
qn = q / np.linalg.norm(q, axis=1, keepdims=True); dn = d / np.linalg.norm(d, axis=1, keepdims=True)
S = qn @ dn.T
out = {'ndcg': {}, 'recall': {}, 'mrr10': 0.0}
ks = [1, 3, 5, 10, 100]
per = {k: [] for k in ks}; rec = {k: [] for k in ks}; mrr = []
for qi, qid in enumerate(qids):
    if qid not in qrels: continue
    rel = qrels[qid]
    order = sorted(range(len(dids)), key=lambda j: dids[j], reverse=True)   # doc id descending
    order = sorted(order, key=lambda j: -S[qi, j])                           # stable: score descending
    ranked = [dids[j] for j in order][:100]
    gains = np.array([max(rel.get(x, 0), 0) for x in ranked], dtype=np.float64)
    ideal = np.array(sorted([g for g in rel.values() if g > 0], reverse=True), dtype=np.float64)
    nrel = sum(1 for g in rel.values() if g >= 1)
    for k in ks:
        disc = np.array([1.0] + [np.log2(r) for r in range(2, k + 1)])
        g = gains[:k]; ig = ideal[:k]
        dcg = float(np.sum(g / disc[:len(g)])); idcg = float(np.sum(ig / disc[:len(ig)]))
        per[k].append(dcg / idcg if idcg > 0 else 0.0)
        rec[k].append(float(np.sum(gains[:k] >= 1)) / nrel if nrel else 0.0)
    rr = 0.0
    for r, x in enumerate(ranked[:10]):
        if rel.get(x, 0) > 0: rr = 1.0 / (r + 1); break
    mrr.append(rr)
for k in ks:
    out['ndcg'][str(k)] = float(np.mean(per[k])); out['recall'][str(k)] = float(np.mean(rec[k]))
out['mrr10'] = float(np.mean(mrr)); out['n'] = len(mrr)
print(json.dumps(out))
)PY";

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    return s;
}

}  // namespace

TEST(Retrieval, MatchesIndependentTrecEvalFormula) {
    const int64_t nq = 25, nd = 140, dim = 12;
    Matrix q = randomMatrix(nq, dim, 31), d = randomMatrix(nd, dim, 32);
    // make queries close to a few documents so that the metrics are not all ~0
    for (int64_t i = 0; i < nq; ++i)
        for (int64_t j = 0; j < dim; ++j) q.row(i)[j] = 0.5f * q.row(i)[j] + d.row((i * 5) % nd)[j];
    RetrievalData data;
    for (int64_t i = 0; i < nq; ++i) data.queryIds.push_back("q" + std::to_string(i));
    for (int64_t i = 0; i < nd; ++i) data.docIds.push_back("doc" + std::to_string(i));
    data.queryTexts.assign(static_cast<size_t>(nq), "");
    data.docTexts.assign(static_cast<size_t>(nd), "");
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int64_t> doc(0, nd - 1), grade(0, 3);
    for (int64_t i = 0; i < nq - 3; ++i) {  // the last 3 queries have no qrels: skipped
        auto& m = data.qrels[data.queryIds[static_cast<size_t>(i)]];
        m["doc" + std::to_string((i * 5) % nd)] = 1 + grade(rng) % 3;
        for (int t = 0; t < 6; ++t) m["doc" + std::to_string(doc(rng))] = grade(rng);
        if (i == 0) m["not-in-corpus"] = 2;  // counts as relevant but can never be retrieved
    }
    const std::string qp = test::evalScratch("ret_q.npy"), dp = test::evalScratch("ret_d.npy");
    writeNpy(qp, q.data.data(), {nq, dim});
    writeNpy(dp, d.data.data(), {nd, dim});
    std::string script = kRetrievalRef;
    script = replaceAll(script, "QP", "'" + qp + "'");
    script = replaceAll(script, "DP", "'" + dp + "'");
    script = replaceAll(script, "QIDS", nlohmann::json(data.queryIds).dump());
    script = replaceAll(script, "DIDS", nlohmann::json(data.docIds).dump());
    script = replaceAll(script, "QRELS", nlohmann::json(data.qrels).dump());
    auto ref = runPython(script, "retrieval");
    const RetrievalResult r = evaluateRetrieval(data, q, d);
    EXPECT_EQ(r.queriesEvaluated, ref["n"].get<int64_t>());
    EXPECT_EQ(r.queriesEvaluated, nq - 3);
    for (int64_t k : {1, 3, 5, 10, 100}) {
        EXPECT_NEAR(r.ndcg.at(k), ref["ndcg"][std::to_string(k)].get<double>(), 1e-12) << "ndcg@" << k;
        EXPECT_NEAR(r.recall.at(k), ref["recall"][std::to_string(k)].get<double>(), 1e-12) << "recall@" << k;
    }
    EXPECT_NEAR(r.ndcgAt10, ref["ndcg"]["10"].get<double>(), 1e-12);
    EXPECT_NEAR(r.mrrAt10, ref["mrr10"].get<double>(), 1e-12);
    EXPECT_GT(r.ndcgAt10, 0.1);
}

TEST(Retrieval, HandComputedGradedExampleAndTies) {
    // ranking d3 d1 d2 with rel d1=2, d2=1, d3=0, d4=3 (never retrieved)
    std::map<std::string, Ranking> runs = {{"q", {"d3", "d1", "d2"}}};
    std::map<std::string, std::map<std::string, int64_t>> qrels = {{"q", {{"d1", 2}, {"d2", 1}, {"d3", 0}, {"d4", 3}}}};
    auto r = retrievalScores(runs, qrels);
    const double dcg = 0 + 2 / 1.0 + 1 / std::log2(3.0);
    const double idcg = 3 + 2 / 1.0 + 1 / std::log2(3.0);
    EXPECT_NEAR(r.ndcg.at(10), dcg / idcg, 1e-15);
    EXPECT_NEAR(r.recall.at(1), 0.0, 1e-15);
    EXPECT_NEAR(r.recall.at(3), 2.0 / 3.0, 1e-15);
    EXPECT_NEAR(r.mrrAt10, 0.5, 1e-15);

    // exact ties (identical document vectors): trec_eval order = doc id descending
    Matrix q(1, 3), d(4, 3);
    q.data = {1, 0, 0};
    d.data = {0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
    auto nn = cosineTopK(q, d, 4, {3, 2, 1, 0});  // smaller key first
    ASSERT_EQ(nn[0].size(), 4u);
    EXPECT_EQ(nn[0][0].index, 3);
    EXPECT_EQ(nn[0][1].index, 2);
    EXPECT_EQ(nn[0][2].index, 1);
    EXPECT_EQ(nn[0][3].index, 0);
}

TEST(Retrieval, ReadsBeirFolderAndRejectsDuplicates) {
    const std::string dir = test::evalScratch("ret_dir");
    ::mkdir(dir.c_str(), 0755);
    test::writeText(dir + "/queries.tsv", "id\ttext\nq1\tkedi nerede\nq2\tmasa\n");
    test::writeText(dir + "/corpus.tsv", "_id\ttitle\ttext\nd1\tKedi\tKedi bahçede.\nd2\t\tMasa mutfakta.\n");
    test::writeText(dir + "/qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n");
    auto data = readRetrievalData(dir);
    EXPECT_EQ(data.queryIds, (std::vector<std::string>{"q1", "q2"}));
    EXPECT_EQ(data.docTexts[0], "Kedi Kedi bahçede.");
    EXPECT_EQ(data.docTexts[1], "Masa mutfakta.");
    EXPECT_EQ(data.qrels["q2"]["d2"], 2);
    test::writeText(dir + "/qrels.tsv", "q1\td1\t1\nq2\td2\t2\nq1\td1\t0\n");
    try {
        readRetrievalData(dir);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("qrels.tsv:3: duplicate qrels entry for query 'q1' and document 'd1'"),
                  std::string::npos)
            << e.what();
    }
    test::writeText(dir + "/qrels.tsv", "q9\td1\t1\n");
    EXPECT_THROW(readRetrievalData(dir), Error);
    test::writeText(dir + "/qrels.tsv", "q1\td1\t1\n");
    test::writeText(dir + "/corpus.tsv", "d1\ta\nd1\tb\n");
    EXPECT_THROW(readRetrievalData(dir), Error);
    EXPECT_THROW(readRetrievalData(test::evalScratch("no_such_dir")), Error);
}

TEST(Bitext, MatchesSklearnOnSameVectors) {
    const int64_t n = 80, dim = 10;
    Matrix s = randomMatrix(n, dim, 41), t = randomMatrix(n, dim, 42);
    for (int64_t i = 0; i < n * dim; ++i) t.data[static_cast<size_t>(i)] = 0.8f * s.data[static_cast<size_t>(i)] + 0.9f * t.data[static_cast<size_t>(i)];
    const std::string sp = test::evalScratch("bt_s.npy"), tp = test::evalScratch("bt_t.npy");
    writeNpy(sp, s.data.data(), {n, dim});
    writeNpy(tp, t.data.data(), {n, dim});
    auto ref = runPython(
        "import json, numpy as np\nfrom sklearn.metrics import f1_score, accuracy_score\n"
        "s=np.load('" + sp + "').astype(np.float64); t=np.load('" + tp + "').astype(np.float64)\n"
        "s/=np.linalg.norm(s,axis=1,keepdims=True); t/=np.linalg.norm(t,axis=1,keepdims=True)\n"
        "pred=list(np.argmax(s@t.T,axis=1)); gold=list(range(len(s)))\n"
        "print(json.dumps({'acc':accuracy_score(gold,pred),'f1':f1_score(gold,pred,average='weighted',zero_division=0),"
        "'pred':[int(p) for p in pred]}))\n",
        "bitext");
    BitextResult r = evaluateBitext(s, t);
    EXPECT_EQ(r.predicted, ref["pred"].get<std::vector<int64_t>>());
    EXPECT_NEAR(r.accuracy, ref["acc"].get<double>(), 1e-12);
    EXPECT_NEAR(r.f1, ref["f1"].get<double>(), 1e-12);
    EXPECT_GT(r.accuracy, 0.3);
    EXPECT_LT(r.accuracy, 1.0);
}

TEST(Bitext, ReadsPairs) {
    const std::string p = test::evalScratch("bt.tsv");
    test::writeText(p, "Open the file.\tDosyayı açın.\nSave\tKaydet\n");
    auto d = readBitextData(p);
    EXPECT_EQ(d.tgt[0], "Dosyayı açın.");
    test::writeText(p, "Open the file.\tDosyayı açın.\nSave\n");
    EXPECT_THROW(readBitextData(p), Error);
}
