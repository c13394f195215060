#include "engine/eval/retrieval.h"

#include "engine/core/error.h"
#include "engine/eval/tsv.h"
#include "engine/io/file_io.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace embedlab::eval {
namespace {

const std::vector<int64_t> kCutoffs = {1, 3, 5, 10, 100};

bool isHeaderId(const std::string& s) {
    const std::string t = trim(s);
    return t == "id" || t == "_id" || t == "query-id" || t == "query_id" || t == "qid";
}

void readTexts(const std::string& path, bool allowTitle, std::vector<std::string>& ids, std::vector<std::string>& texts) {
    const auto rows = readTsv(path, 2, allowTitle ? 3 : 2, allowTitle ? "id, [title,] text" : "id, text");
    std::set<std::string> seen;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        if (i == 0 && isHeaderId(r.fields[0])) continue;
        const std::string id = trim(r.fields[0]);
        if (id.empty()) throw Error::badInput(path + ":" + std::to_string(r.line) + ": empty id");
        if (!seen.insert(id).second)
            throw Error::badInput(path + ":" + std::to_string(r.line) + ": duplicate id '" + id + "'");
        std::string text = r.fields.size() == 3 ? trim(r.fields[1]) + " " + r.fields[2] : r.fields[1];
        if (r.fields.size() == 3 && trim(r.fields[1]).empty()) text = r.fields[2];
        ids.push_back(id);
        texts.push_back(text);
    }
    if (ids.empty()) throw Error::badInput(path + " has no entries");
}

}  // namespace

RetrievalData readRetrievalData(const std::string& dir) {
    if (!isDirectory(dir))
        throw Error::badInput("retrieval data must be a folder holding queries.tsv, corpus.tsv and qrels.tsv: " + dir);
    return readRetrievalData(joinPath(dir, "queries.tsv"), joinPath(dir, "corpus.tsv"), joinPath(dir, "qrels.tsv"));
}

RetrievalData readRetrievalData(const std::string& queriesTsv, const std::string& corpusTsv, const std::string& qrelsTsv) {
    RetrievalData d;
    readTexts(queriesTsv, false, d.queryIds, d.queryTexts);
    readTexts(corpusTsv, true, d.docIds, d.docTexts);
    const std::set<std::string> queries(d.queryIds.begin(), d.queryIds.end());
    const std::set<std::string> docs(d.docIds.begin(), d.docIds.end());
    const auto rows = readTsv(qrelsTsv, 3, 4, "query-id, corpus-id, score (or TREC: query-id 0 corpus-id score)");
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        // TREC qrels have 4 fields: qid, iteration, docid, rel.
        const std::string qid = trim(r.fields[0]);
        const std::string did = trim(r.fields.size() == 4 ? r.fields[2] : r.fields[1]);
        const std::string rel = r.fields.back();
        double v = 0;
        if (!parseNumber(rel, v)) {
            if (i == 0) continue;  // header
            throw Error::badInput(qrelsTsv + ":" + std::to_string(r.line) + ": the relevance '" + rel + "' is not a number");
        }
        if (v != std::floor(v))
            throw Error::badInput(qrelsTsv + ":" + std::to_string(r.line) + ": the relevance '" + rel +
                                  "' is not an integer (graded relevance is 0, 1, 2, ...)");
        if (!queries.count(qid))
            throw Error::badInput(qrelsTsv + ":" + std::to_string(r.line) + ": query id '" + qid + "' is not in " + queriesTsv);
        auto& m = d.qrels[qid];
        if (m.count(did))
            throw Error::badInput(qrelsTsv + ":" + std::to_string(r.line) + ": duplicate qrels entry for query '" + qid +
                                  "' and document '" + did + "'");
        if (!docs.count(did)) d.qrelsUnknownDocs++;
        m[did] = static_cast<int64_t>(v);
    }
    if (d.qrels.empty()) throw Error::badInput(qrelsTsv + " has no relevance judgements");
    return d;
}

RetrievalResult retrievalScores(const std::map<std::string, Ranking>& runs,
                                const std::map<std::string, std::map<std::string, int64_t>>& qrels) {
    RetrievalResult res;
    for (int64_t k : kCutoffs) {
        res.recall[k] = 0;
        res.ndcg[k] = 0;
    }
    double mrrSum = 0;
    int64_t n = 0;
    for (const auto& [qid, ranking] : runs) {
        auto it = qrels.find(qid);
        if (it == qrels.end()) continue;
        const auto& judged = it->second;
        ++n;
        auto relOf = [&](const std::string& doc) -> int64_t {
            auto j = judged.find(doc);
            return j == judged.end() ? 0 : j->second;
        };
        // ideal gains: every judged relevant doc, highest relevance first
        std::vector<int64_t> ideal;
        int64_t numRel = 0;
        for (const auto& [doc, rel] : judged) {
            if (rel > 0) {
                ideal.push_back(rel);
                ++numRel;
            }
        }
        std::sort(ideal.rbegin(), ideal.rend());
        auto discount = [](size_t i) { return i == 0 ? 1.0 : std::log2(static_cast<double>(i + 1)); };
        for (int64_t k : kCutoffs) {
            double dcg = 0, idcg = 0;
            int64_t relRet = 0;
            for (size_t i = 0; i < ranking.size() && static_cast<int64_t>(i) < k; ++i) {
                const int64_t g = relOf(ranking[i]);
                if (g > 0) {
                    dcg += static_cast<double>(g) / discount(i);
                    ++relRet;
                }
            }
            for (size_t i = 0; i < ideal.size() && static_cast<int64_t>(i) < k; ++i)
                idcg += static_cast<double>(ideal[i]) / discount(i);
            res.ndcg[k] += idcg > 0 ? dcg / idcg : 0.0;
            res.recall[k] += numRel > 0 ? static_cast<double>(relRet) / static_cast<double>(numRel) : 0.0;
        }
        for (size_t i = 0; i < ranking.size() && i < 10; ++i) {
            if (relOf(ranking[i]) > 0) {
                mrrSum += 1.0 / static_cast<double>(i + 1);
                break;
            }
        }
    }
    if (n == 0) throw Error::badInput("retrieval: no query has relevance judgements in qrels");
    for (auto& [k, v] : res.recall) v /= static_cast<double>(n);
    for (auto& [k, v] : res.ndcg) v /= static_cast<double>(n);
    res.ndcgAt10 = res.ndcg[10];
    res.mrrAt10 = mrrSum / static_cast<double>(n);
    res.queriesEvaluated = n;
    return res;
}

RetrievalResult evaluateRetrieval(const RetrievalData& data, const Matrix& queryVectors, const Matrix& docVectors,
                                  Progress& progress) {
    if (queryVectors.rows != static_cast<int64_t>(data.queryIds.size()) ||
        docVectors.rows != static_cast<int64_t>(data.docIds.size()))
        throw Error::badInput("retrieval: " + std::to_string(data.queryIds.size()) + " queries and " +
                              std::to_string(data.docIds.size()) + " documents but " + std::to_string(queryVectors.rows) +
                              " and " + std::to_string(docVectors.rows) + " vectors");
    // trec_eval breaks ties by doc id, descending (strcmp(b, a)): rank ids so that a smaller key wins.
    std::vector<int64_t> order(data.docIds.size());
    std::iota(order.begin(), order.end(), int64_t{0});
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return data.docIds[static_cast<size_t>(a)] > data.docIds[static_cast<size_t>(b)];
    });
    std::vector<int64_t> tieKey(data.docIds.size());
    for (size_t r = 0; r < order.size(); ++r) tieKey[static_cast<size_t>(order[r])] = static_cast<int64_t>(r);
    // Only queries with judgements are searched.
    std::vector<int64_t> qIdx;
    for (size_t i = 0; i < data.queryIds.size(); ++i)
        if (data.qrels.count(data.queryIds[i])) qIdx.push_back(static_cast<int64_t>(i));
    const auto nn = cosineTopK(queryVectors.gather(qIdx), docVectors, 100, tieKey, progress);
    std::map<std::string, Ranking> runs;
    for (size_t j = 0; j < qIdx.size(); ++j) {
        Ranking r;
        for (const auto& h : nn[j]) r.push_back(data.docIds[static_cast<size_t>(h.index)]);
        runs[data.queryIds[static_cast<size_t>(qIdx[j])]] = std::move(r);
    }
    RetrievalResult res = retrievalScores(runs, data.qrels);
    res.documents = docVectors.rows;
    return res;
}

}  // namespace embedlab::eval
