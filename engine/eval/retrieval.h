// embedlab engine — retrieval (MTEB Retrieval): rank the corpus by cosine similarity for each
// query; nDCG@10 and recall@k as pytrec_eval (trec_eval 9) computes them, MRR@10 as MTEB's own mrr().
//
// Definitions (per query, then averaged over every query that has at least one qrels line):
// - the run is the top max(k) documents by cosine, best first; ties in score are broken as
//   trec_eval does: by document id in descending byte order (strcmp(b, a));
// - nDCG@k (trec_eval ndcg_cut): DCG = Σ_{r=1..k} rel_r / (r == 1 ? 1 : log2 r), gain = the graded
//   relevance from qrels (values ≤ 0 count as non-relevant); the ideal DCG sorts every judged
//   relevant document of the query by relevance; 0 when the ideal is 0;
// - recall@k: relevant documents (rel ≥ 1) in the top k / all relevant documents of the query;
// - MRR@k: 1 / rank of the first relevant document (rel > 0) in the top k, 0 if none.
//
// Data (BEIR-style TSV files in one folder): queries.tsv `id<TAB>text`, corpus.tsv `id<TAB>text`
// or `id<TAB>title<TAB>text` (title and text joined with a space), qrels.tsv
// `query-id<TAB>corpus-id<TAB>score`. Header lines (a non-numeric score / the literal ids "id",
// "_id", "query-id") are skipped. Duplicate ids, duplicate qrels pairs and qrels that name an
// unknown query are errors.
#pragma once

#include "engine/eval/matrix.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace embedlab::eval {

struct RetrievalData {
    std::vector<std::string> queryIds, queryTexts;
    std::vector<std::string> docIds, docTexts;
    // query id → (doc id → graded relevance)
    std::map<std::string, std::map<std::string, int64_t>> qrels;
    int64_t qrelsUnknownDocs = 0;  // qrels lines naming a document that is not in the corpus
};

// Reads DIR/queries.tsv, DIR/corpus.tsv, DIR/qrels.tsv.
RetrievalData readRetrievalData(const std::string& dir);
RetrievalData readRetrievalData(const std::string& queriesTsv, const std::string& corpusTsv, const std::string& qrelsTsv);

struct RetrievalResult {
    double ndcgAt10 = 0;
    double mrrAt10 = 0;
    std::map<int64_t, double> recall;  // k → recall@k for k in 1, 3, 5, 10, 100
    std::map<int64_t, double> ndcg;    // k → nDCG@k for the same k
    int64_t queriesEvaluated = 0;
    int64_t documents = 0;
};

// A ranked run for one query: document ids, best first.
using Ranking = std::vector<std::string>;

// The metrics for given rankings (query id → ranked doc ids). Queries without qrels are skipped.
RetrievalResult retrievalScores(const std::map<std::string, Ranking>& runs,
                                const std::map<std::string, std::map<std::string, int64_t>>& qrels);

// Ranks the corpus for every query by cosine similarity (top 100, trec_eval tie-breaking) and scores it.
RetrievalResult evaluateRetrieval(const RetrievalData& data, const Matrix& queryVectors, const Matrix& docVectors,
                                  Progress& progress = nullProgress());

}  // namespace embedlab::eval
