// Vocabulary transfer (engine/transfer, engine/tokenizers/token_surface): surfaces of real vocabularies
// round-trip to their token strings; a tokenizer transferred onto itself copies every row; each linear
// strategy's rows are the arithmetic over the sources the report names; max/min are element-wise;
// control tokens land by role; seed allomorphs are weighted by corpus frequency; tokens the source
// cannot spell get a reproducible, finite draw; FOCUS and OMP weights equal an independent float64
// reference (tests/reference/transfer_reference.py).
#include "engine/core/error.h"
#include "engine/io/npy.h"
#include "engine/tokenizers/hf_tokenizer.h"
#include "engine/tokenizers/token_surface.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/transfer/vocab_transfer.h"
#include "run_python.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <fstream>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {

std::string sp(const char* name) { return test::fixture(std::string("sentencepiece/") + name); }

// A small WordPiece tokenizer.json (BERT's conventions) with the given vocabulary.
std::unique_ptr<Tokenizer> wordPiece(const std::vector<std::string>& vocab) {
    nlohmann::json v = nlohmann::json::object();
    for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
    nlohmann::json added = nlohmann::json::array();
    for (size_t i = 0; i < vocab.size(); ++i)
        if (vocab[i].size() > 2 && vocab[i][0] == '[')
            added.push_back({{"id", i}, {"content", vocab[i]}, {"single_word", false}, {"lstrip", false},
                             {"rstrip", false}, {"normalized", false}, {"special", true}});
    nlohmann::json j = {{"version", "1.0"},
                        {"added_tokens", added},
                        {"normalizer", nullptr},
                        {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
                        {"post_processor", nullptr},
                        {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
                        {"model",
                         {{"type", "WordPiece"},
                          {"unk_token", "[UNK]"},
                          {"continuing_subword_prefix", "##"},
                          {"max_input_chars_per_word", 100},
                          {"vocab", v}}}};
    return loadHfTokenizerFromString(j.dump(), R"({"unk_token":"[UNK]","cls_token":"[CLS]"})", "wordpiece-test");
}

at::Tensor randomMatrix(int64_t rows, int64_t cols, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    return at::randn({rows, cols}, gen, at::TensorOptions().dtype(at::kFloat));
}

// Σ weight · row over the reported sources, in float64.
at::Tensor expectedRow(const TransferredToken& t, const at::Tensor& src) {
    at::Tensor acc = at::zeros({src.size(1)}, at::kDouble);
    for (const auto& s : t.sources) acc += *s.weight * src[s.id].to(at::kDouble);
    return acc;
}

std::string scratch(const std::string& name) {
    const std::string d = test::tmpDir() + "/transfer_" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

nlohmann::json runReference(const std::string& args) { return test::runReferenceScript("transfer_reference.py", args); }

void writeNpyTensor(const std::string& path, const at::Tensor& t) {
    const at::Tensor c = t.to(at::kFloat).contiguous();
    writeNpy(path, c.data_ptr<float>(), {c.size(0), c.size(1)});
}

}  // namespace

TEST(TokenSurface, StylesOfRealTokenizers) {
    EXPECT_EQ(detectSurfaceStyle(*loadTokenizer(test::fixture("tokenizers/gemma3"))), SurfaceStyle::Metaspace);
    EXPECT_EQ(detectSurfaceStyle(*loadTokenizer(test::fixture("tokenizers/llama3"))), SurfaceStyle::ByteLevel);
    EXPECT_EQ(detectSurfaceStyle(*loadTokenizer(test::fixture("tokenizers/qwen3"))), SurfaceStyle::ByteLevel);
    EXPECT_EQ(detectSurfaceStyle(*loadTokenizer(sp("tr_unigram_2k.model"))), SurfaceStyle::Metaspace);
    EXPECT_EQ(detectSurfaceStyle(*loadTokenizer(test::fixture("tokenizers/turkish-seed"))), SurfaceStyle::Seed);
    EXPECT_EQ(detectSurfaceStyle(*wordPiece({"[UNK]", "a", "##b"})), SurfaceStyle::WordPiece);
}

// Every surface, written back in its position, is the token's own vocabulary string; every byte token is
// found again from its byte. Over whole real vocabularies (Gemma 3: 262,145; Llama 3: 128,256 ids).
TEST(TokenSurface, SurfacesRoundTripToTheVocabulary) {
    for (const char* path : {"tokenizers/gemma3", "tokenizers/llama3", "sentencepiece/tr_bpe_2k_bytefallback.model"}) {
        const auto tok = loadTokenizer(test::fixture(path));
        const SurfaceStyle style = detectSurfaceStyle(*tok);
        int64_t checked = 0, bytes = 0, initial = 0, control = 0;
        for (int64_t id = 0; id < tok->vocabSize(); ++id) {
            if (isControlToken(*tok, id)) {
                EXPECT_TRUE(tokenSurfaces(*tok, style, id).empty());
                ++control;
                continue;
            }
            const auto s = tokenSurfaces(*tok, style, id);
            ASSERT_EQ(s.size(), 1u) << path << " id " << id;
            bytes += s[0].byte;
            if (s[0].byte && s[0].position == SurfacePosition::Either) {
                ASSERT_EQ(s[0].text.size(), 1u);
                auto b = byteTokenId(*tok, style, static_cast<unsigned char>(s[0].text[0]));
                ASSERT_TRUE(b) << path << " byte token " << id;
                EXPECT_EQ(*b, id);
                continue;
            }
            if (s[0].position == SurfacePosition::Either) continue;  // a lone space
            EXPECT_EQ(vocabularyString(style, s[0].text, s[0].position), tok->idToToken(id)) << path << " id " << id;
            initial += s[0].position == SurfacePosition::WordInitial;
            ++checked;
        }
        EXPECT_GT(checked, tok->vocabSize() / 2) << path;
        EXPECT_GT(initial, checked / 10) << path;
        EXPECT_GE(bytes, 100) << path;
        EXPECT_GE(control, 2) << path;
    }
    // Known examples.
    const auto gemma = loadTokenizer(test::fixture("tokenizers/gemma3"));
    const auto id = gemma->tokenToId("\xE2\x96\x81kitap");
    ASSERT_TRUE(id);
    const auto s = tokenSurfaces(*gemma, SurfaceStyle::Metaspace, *id);
    EXPECT_EQ(s[0].text, "kitap");
    EXPECT_EQ(s[0].position, SurfacePosition::WordInitial);
    const auto llama = loadTokenizer(test::fixture("tokenizers/llama3"));
    EXPECT_EQ(vocabularyString(SurfaceStyle::ByteLevel, "ı", SurfacePosition::Continuation), "\xC3\x84\xC2\xB1");
    EXPECT_EQ(vocabularyString(SurfaceStyle::ByteLevel, "the", SurfacePosition::WordInitial), "\xC4\xA0the");
    EXPECT_TRUE(llama->tokenToId("\xC4\xA0the"));
    const auto wp = wordPiece({"[UNK]", "[CLS]", "kitap", "##lar"});
    EXPECT_EQ(tokenSurfaces(*wp, SurfaceStyle::WordPiece, 3)[0].text, "lar");
    EXPECT_EQ(tokenSurfaces(*wp, SurfaceStyle::WordPiece, 3)[0].position, SurfacePosition::Continuation);
    EXPECT_TRUE(isControlToken(*wp, 1));
}

TEST(TokenSurface, SeedAllomorphsAreSurfacesOfOneId) {
    const auto seed = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const auto id = seed->tokenToId("lar");
    ASSERT_TRUE(id);
    const auto s = tokenSurfaces(*seed, SurfaceStyle::Seed, *id);
    std::vector<std::string> texts;
    for (const auto& x : s) texts.push_back(x.text);
    EXPECT_NE(std::find(texts.begin(), texts.end(), "lar"), texts.end());
    EXPECT_NE(std::find(texts.begin(), texts.end(), "ler"), texts.end());
    EXPECT_EQ(*seed->tokenToId("ler"), *id);
    for (const auto& x : s) EXPECT_EQ(x.position, SurfacePosition::Continuation);
    EXPECT_TRUE(isControlToken(*seed, 0));   // <uppercase>
    EXPECT_FALSE(isControlToken(*seed, 2));  // the space token is text
    EXPECT_TRUE(isControlToken(*seed, 7));   // special_7
}

// A tokenizer transferred onto itself: every text token is an exact match and copies its row bit for
// bit; every control token maps to itself.
TEST(VocabTransfer, IdentityCopiesEveryRow) {
    const auto tok = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));
    const int64_t V = tok->vocabSize();
    const at::Tensor src = randomMatrix(V, 16, 1);
    const VocabularyMatch m = matchVocabularies(*tok, *tok, V);
    for (auto strat : {TransferStrategy::Mean, TransferStrategy::Weighted, TransferStrategy::Max}) {
        TransferOptions o;
        o.strategy = strat;
        const TransferResult r = buildTransfer(m, src, o);
        for (int64_t t = 0; t < V; ++t) {
            const auto& tt = r.tokens[static_cast<size_t>(t)];
            if (isControlToken(*tok, t)) {
                EXPECT_EQ(tt.method, TransferMethod::Special) << t;
            } else {
                EXPECT_EQ(tt.method, TransferMethod::Exact) << t << " " << tok->idToToken(t);
            }
            ASSERT_EQ(tt.sources.size(), 1u) << t;
            EXPECT_EQ(tt.sources[0].id, t);
            EXPECT_TRUE(at::equal(r.rows[t], src[t])) << t;
        }
    }
}

// SentencePiece BPE → the seed format (32,768 ids with allomorph groups): each linear strategy's row is
// Σ weight · source row over the reported sources; first/last name the first/last piece of the source's
// own encoding; max/min are element-wise over the sources; exact tokens copy their row.
TEST(VocabTransfer, StrategiesAreTheArithmeticOfTheReport) {
    const auto source = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));
    const auto target = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const at::Tensor src = randomMatrix(source->vocabSize(), 24, 2);
    const VocabularyMatch m = matchVocabularies(*source, *target, source->vocabSize());
    int64_t exact = 0, decomposed = 0, fallback = 0;
    for (auto strat : {TransferStrategy::Mean, TransferStrategy::Sum, TransferStrategy::First, TransferStrategy::Last,
                       TransferStrategy::Weighted, TransferStrategy::WeightedLast, TransferStrategy::Max,
                       TransferStrategy::Min}) {
        TransferOptions o;
        o.strategy = strat;
        const TransferResult r = buildTransfer(m, src, o);
        ASSERT_EQ(r.rows.size(0), target->vocabSize());
        EXPECT_TRUE(at::isfinite(r.rows).all().item<bool>());
        for (int64_t t = 0; t < target->vocabSize(); t += 7) {
            const auto& tt = r.tokens[static_cast<size_t>(t)];
            const auto& tm = m.tokens[static_cast<size_t>(t)];
            if (tt.method == TransferMethod::Fallback) {
                ++fallback;
                continue;
            }
            if (tt.method == TransferMethod::Exact && tt.sources.size() == 1) {
                ++exact;
                EXPECT_TRUE(at::equal(r.rows[t], src[tt.sources[0].id])) << t;
                continue;
            }
            ++decomposed;
            if (!isLinearStrategy(strat)) {
                at::Tensor e = src[tt.sources[0].id].clone();
                for (const auto& s : tt.sources) {
                    EXPECT_FALSE(s.weight.has_value());
                    e = strat == TransferStrategy::Max ? at::maximum(e, src[s.id]) : at::minimum(e, src[s.id]);
                }
                EXPECT_TRUE(at::equal(r.rows[t], e)) << t;
                continue;
            }
            EXPECT_TRUE(at::allclose(r.rows[t].to(at::kDouble), expectedRow(tt, src), 1e-5, 1e-5)) << t;
            double total = 0;
            for (const auto& s : tt.sources) total += *s.weight;
            if (tm.surfaces.size() == 1 && tt.method == TransferMethod::Decomposed) {
                const auto& pieces = tm.surfaces[0].pieces;
                switch (strat) {
                case TransferStrategy::Sum: EXPECT_NEAR(total, static_cast<double>(pieces.size()), 1e-9); break;
                case TransferStrategy::First:
                    ASSERT_EQ(tt.sources.size(), 1u);
                    EXPECT_EQ(tt.sources[0].id, pieces.front());
                    break;
                case TransferStrategy::Last:
                    ASSERT_EQ(tt.sources.size(), 1u);
                    EXPECT_EQ(tt.sources[0].id, pieces.back());
                    break;
                case TransferStrategy::Weighted:
                    if (pieces.size() >= 2 && pieces[0] != pieces[1] &&
                        std::count(pieces.begin(), pieces.end(), pieces[0]) == 1) {
                        EXPECT_EQ(tt.sources[0].id, pieces[0]);
                        // piece 1 of n weighs n / (n(n+1)/2), the most
                        EXPECT_NEAR(*tt.sources[0].weight, 2.0 / static_cast<double>(pieces.size() + 1), 1e-12);
                    }
                    EXPECT_NEAR(total, 1.0, 1e-9);
                    break;
                default: EXPECT_NEAR(total, 1.0, 1e-9); break;
                }
            } else if (strat != TransferStrategy::Sum) {
                EXPECT_NEAR(total, 1.0, 1e-9) << t;
            }
        }
    }
    EXPECT_GT(exact, 100);
    EXPECT_GT(decomposed, 1000);
    // The seed's reserved ids (special_7 …) and <uppercase> have no counterpart: drawn, reported.
    EXPECT_GT(fallback, 0);
    // Continuations (suffixes) are spelled as continuations even though this SentencePiece model marks
    // every text as a word start (its dummy prefix): their first piece is not a "▁…" piece when the
    // unmarked piece exists.
    int64_t suffixes = 0, marked = 0;
    for (int64_t t = 0; t < target->vocabSize(); ++t)
        for (const auto& s : m.tokens[static_cast<size_t>(t)].surfaces) {
            if (s.surface.position != SurfacePosition::Continuation || s.pieces.size() < 2) continue;
            ++suffixes;
            marked += source->idToToken(s.pieces[0]).rfind("\xE2\x96\x81", 0) == 0;
        }
    EXPECT_GT(suffixes, 20);
    EXPECT_LT(marked, suffixes / 4) << marked << " of " << suffixes;
    // The source spells each decomposed surface as its own tokenizer does (no piece dropped).
    const auto kid = target->tokenToId("kitap");
    ASSERT_TRUE(kid);
    for (const auto& s : m.tokens[static_cast<size_t>(*kid)].surfaces) {
        if (s.exact) continue;
        const Encoding e = source->encode(s.surface.text, false);
        if (!s.variant) {
            EXPECT_EQ(s.pieces, e.ids) << s.surface.text;
        }
    }
}

TEST(VocabTransfer, ControlTokensMapByNameRoleOrOverride) {
    const auto source = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));  // <unk> 0, <s> 1, </s> 2
    const auto gemma = loadTokenizer(test::fixture("tokenizers/gemma3"));   // <pad> 0, <eos> 1, <bos> 2, <unk> 3
    ASSERT_EQ(source->idToToken(1), "<s>");
    VocabularyMatchOptions mo;
    mo.specialOverrides["<start_of_turn>"] = "<s>";
    const VocabularyMatch m = matchVocabularies(*source, *gemma, source->vocabSize(), mo);
    EXPECT_EQ(m.tokens[2].role, "bos");
    EXPECT_EQ(*m.tokens[2].specialSource, 1);
    EXPECT_EQ(*m.tokens[1].specialSource, 2);  // <eos> → </s>
    EXPECT_EQ(*m.tokens[3].specialSource, 0);  // <unk> → <unk> by name
    const auto sot = gemma->tokenToId("<start_of_turn>");
    ASSERT_TRUE(sot);
    EXPECT_EQ(*m.tokens[static_cast<size_t>(*sot)].specialSource, 1);
    const TransferResult r = buildTransfer(m, randomMatrix(source->vocabSize(), 8, 3), TransferOptions{});
    EXPECT_EQ(r.tokens[2].method, TransferMethod::Special);
    // <pad>: the source has none → a reported fallback.
    EXPECT_EQ(r.tokens[0].method, TransferMethod::Fallback);
    const nlohmann::json rep = transferReport(*source, *gemma, m, r);
    EXPECT_EQ(rep["tokens"][0]["method"], "fallback");
    EXPECT_EQ(rep["tokens"][2]["sources"][0]["token"], "<s>");
    EXPECT_EQ(rep["tokens"][2]["role"], "bos");
    int64_t sum = 0;
    for (const char* k : {"exact", "decomposed", "variant", "aux", "omp", "special", "fallback"})
        sum += rep["summary"][k].get<int64_t>();
    EXPECT_EQ(sum, rep["summary"]["target_tokens"].get<int64_t>());
    // An override naming a token that does not exist is refused.
    mo.specialOverrides = {{"<start_of_turn>", "<nope>"}};
    EXPECT_THROW(matchVocabularies(*source, *gemma, source->vocabSize(), mo), Error);
}

// A seed id with several surfaces (kitap / kitab) weighs each by how often the corpus uses it.
TEST(VocabTransfer, AllomorphsWeightedByCorpusFrequency) {
    const auto source = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));
    const auto target = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const auto kid = target->tokenToId("kitap");
    ASSERT_TRUE(kid);
    ASSERT_EQ(target->tokenToId("kitab"), kid);
    const Encoding probe = target->encode("kitabı", false);
    ASSERT_EQ(probe.ids[0], *kid) << "the seed splits kitabı as kitab + ı";
    const std::string dir = scratch("allomorph");
    {
        std::ofstream f(dir + "/corpus.txt");
        f << "Kitabı okudum.\nkitabı aldım\nbir kitap\n";
    }
    VocabularyMatchOptions mo;
    mo.corpusPath = dir + "/corpus.txt";
    const VocabularyMatch m = matchVocabularies(*source, *target, source->vocabSize(), mo);
    std::map<std::string, double> w;
    for (const auto& s : m.tokens[static_cast<size_t>(*kid)].surfaces) w[s.surface.text] = s.weight;
    ASSERT_EQ(w.size(), 2u);
    EXPECT_NEAR(w["kitab"], 2.0 / 3.0, 1e-12);
    EXPECT_NEAR(w["kitap"], 1.0 / 3.0, 1e-12);
    // Without a corpus: equal weights over every form.
    const VocabularyMatch eq = matchVocabularies(*source, *target, source->vocabSize());
    for (const auto& s : eq.tokens[static_cast<size_t>(*kid)].surfaces) EXPECT_NEAR(s.weight, 0.5, 1e-12);
}

// Tokens the source cannot spell (a vocabulary without their letters) are drawn from the source rows'
// mean and variance: finite, reproducible from the seed, reported as unmapped.
TEST(VocabTransfer, UnspellableTokensGetASeededDraw) {
    const auto source = wordPiece({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##a", "##b"});
    const auto target = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));
    const at::Tensor src = randomMatrix(9, 32, 4) * 3 + 1;
    const VocabularyMatch m = matchVocabularies(*source, *target, 9);
    TransferOptions o;
    const TransferResult a = buildTransfer(m, src, o);
    const TransferResult b = buildTransfer(m, src, o);
    o.seed = 7;
    const TransferResult c = buildTransfer(m, src, o);
    EXPECT_TRUE(at::isfinite(a.rows).all().item<bool>());
    EXPECT_TRUE(at::equal(a.rows, b.rows));
    int64_t drawn = 0;
    for (size_t t = 0; t < a.tokens.size(); ++t)
        if (a.tokens[t].method == TransferMethod::Fallback) {
            ++drawn;
            EXPECT_FALSE(at::equal(a.rows[static_cast<int64_t>(t)], c.rows[static_cast<int64_t>(t)]));
        }
    EXPECT_GT(drawn, target->vocabSize() / 2);
    const nlohmann::json rep = transferReport(*source, *target, m, a);
    EXPECT_GT(rep["summary"]["unmapped"].get<int64_t>(), target->vocabSize() / 2);
    // "ab" is spelled a + ##b.
    const auto ab = target->tokenToId("\xE2\x96\x81" "ab");
    if (ab) {
        EXPECT_NE(a.tokens[static_cast<size_t>(*ab)].method, TransferMethod::Fallback);
    }
    // The drawn rows follow the source's per-dimension mean (1 here) within sampling error.
    std::vector<int64_t> rows;
    for (size_t t = 0; t < a.tokens.size(); ++t)
        if (a.tokens[t].method == TransferMethod::Fallback) rows.push_back(static_cast<int64_t>(t));
    const at::Tensor d = a.rows.index_select(0, at::tensor(rows, at::kLong));
    const at::Tensor srcMean = src.mean(0);
    EXPECT_LT((d.mean(0) - srcMean).abs().max().item<double>(), 0.5);
}

TEST(SparseInit, SparsemaxMatchesReference) {
    const std::string dir = scratch("sparsemax");
    const at::Tensor Z = randomMatrix(6, 40, 5) * 2;
    writeNpyTensor(dir + "/z.npy", Z);
    const nlohmann::json j = runReference("sparsemax " + dir + "/z.npy");
    const at::Tensor Zd = Z.to(at::kDouble).contiguous();
    for (int64_t r = 0; r < 6; ++r) {
        std::vector<double> z(Zd.data_ptr<double>() + r * 40, Zd.data_ptr<double>() + (r + 1) * 40);
        const auto p = sparsemax(z);
        double total = 0;
        int nonzero = 0;
        for (size_t i = 0; i < p.size(); ++i) {
            EXPECT_NEAR(p[i], j["p"][r][i].get<double>(), 1e-12);
            total += p[i];
            nonzero += p[i] > 0;
        }
        EXPECT_NEAR(total, 1.0, 1e-12);
        EXPECT_LT(nonzero, 40);  // sparse
    }
}

TEST(SparseInit, OrthogonalMatchingPursuitMatchesReference) {
    const std::string dir = scratch("omp");
    const at::Tensor A = randomMatrix(60, 20, 6);
    // Signals: exact 3-sparse combinations (recovered exactly) and general vectors.
    at::Tensor X = randomMatrix(5, 20, 7);
    X[0] = 2 * A[3] - 0.5 * A[17] + 0.25 * A[40];
    writeNpyTensor(dir + "/a.npy", A);
    writeNpyTensor(dir + "/x.npy", X);
    const nlohmann::json j = runReference("omp " + dir + "/a.npy " + dir + "/x.npy 6");
    for (int64_t r = 0; r < 5; ++r) {
        const auto sel = orthogonalMatchingPursuit(A.to(at::kDouble), X[r].to(at::kDouble), 6);
        const auto& ref = j["sel"][r];
        ASSERT_EQ(sel.size(), ref.size()) << r;
        for (size_t i = 0; i < sel.size(); ++i) {
            EXPECT_EQ(sel[i].first, ref[i][0].get<int64_t>()) << r;
            EXPECT_NEAR(sel[i].second, ref[i][1].get<double>(), 1e-9) << r;
        }
    }
    // The 3-sparse signal is recovered: three atoms, its coefficients (in float32-rounded data).
    const auto s0 = orthogonalMatchingPursuit(A.to(at::kDouble), X[0].to(at::kDouble), 6);
    ASSERT_GE(s0.size(), 3u);
    std::map<int64_t, double> c(s0.begin(), s0.end());
    EXPECT_EQ((std::set<int64_t>{s0[0].first, s0[1].first, s0[2].first}), (std::set<int64_t>{3, 17, 40}));
    EXPECT_NEAR(c[3], 2.0, 1e-5);
    EXPECT_NEAR(c[17], -0.5, 1e-5);
    EXPECT_NEAR(c[40], 0.25, 1e-5);
    for (size_t i = 3; i < s0.size(); ++i) EXPECT_LT(std::fabs(s0[i].second), 1e-5);  // float32 rounding only
}

// FOCUS and OMP inside a transfer (SentencePiece BPE → SentencePiece unigram, random auxiliary vectors):
// the anchors are the exact-match tokens, and the weights of every other token equal the reference's.
TEST(VocabTransfer, FocusAndOmpWeightsMatchReference) {
    const auto source = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));
    const auto target = loadTokenizer(sp("tr_unigram_2k.model"));
    const int64_t V = target->vocabSize();
    const at::Tensor src = randomMatrix(source->vocabSize(), 12, 8);
    const VocabularyMatch m = matchVocabularies(*source, *target, source->vocabSize());
    AuxiliaryVectors aux;
    aux.vectors = randomMatrix(V, 10, 9);
    for (int64_t i = 0; i < V; ++i) aux.targetIds.push_back(i);
    const TransferResult mean = buildTransfer(m, src, TransferOptions{});
    std::vector<int64_t> anchors, pending;
    for (int64_t t = 0; t < V; ++t) {
        const auto& tt = mean.tokens[static_cast<size_t>(t)];
        if (tt.method == TransferMethod::Exact && tt.sources.size() == 1) anchors.push_back(t);
        else if (!m.tokens[static_cast<size_t>(t)].control) pending.push_back(t);
    }
    ASSERT_GT(anchors.size(), 200u);
    ASSERT_GT(pending.size(), 200u);
    pending.resize(40);  // the reference runs on a sample
    const std::string dir = scratch("focus");
    writeNpyTensor(dir + "/a.npy", aux.vectors.index_select(0, at::tensor(anchors, at::kLong)));
    writeNpyTensor(dir + "/x.npy", aux.vectors.index_select(0, at::tensor(pending, at::kLong)));
    for (auto strat : {TransferStrategy::Focus, TransferStrategy::Omp}) {
        TransferOptions o;
        o.strategy = strat;
        o.ompK = 4;
        const TransferResult r = buildTransfer(m, src, o, &aux);
        const nlohmann::json ref = strat == TransferStrategy::Focus
                                       ? runReference("focus " + dir + "/a.npy " + dir + "/x.npy")
                                       : runReference("omp " + dir + "/a.npy " + dir + "/x.npy 4");
        for (size_t i = 0; i < pending.size(); ++i) {
            const auto& tt = r.tokens[static_cast<size_t>(pending[i])];
            EXPECT_EQ(tt.method, strat == TransferStrategy::Focus ? TransferMethod::Aux : TransferMethod::Omp);
            std::map<int64_t, double> got;  // source id → weight
            for (const auto& s : tt.sources) got[s.id] += *s.weight;
            std::map<int64_t, double> want;
            if (strat == TransferStrategy::Focus) {
                const auto& p = ref["p"][i];
                for (size_t j = 0; j < anchors.size(); ++j)
                    if (p[j].get<double>() > 0)
                        want[mean.tokens[static_cast<size_t>(anchors[j])].sources[0].id] += p[j].get<double>();
            } else {
                for (const auto& jc : ref["sel"][i])
                    want[mean.tokens[static_cast<size_t>(anchors[jc[0].get<size_t>()])].sources[0].id] +=
                        jc[1].get<double>();
                EXPECT_LE(tt.sources.size(), 4u);
            }
            ASSERT_EQ(got.size(), want.size()) << pending[i];
            for (const auto& [id, w] : want) EXPECT_NEAR(got[id], w, 1e-9) << pending[i];
            EXPECT_TRUE(at::allclose(r.rows[pending[i]].to(at::kDouble), expectedRow(tt, src), 1e-5, 1e-5));
        }
        // Exact tokens still copy their row.
        EXPECT_TRUE(at::equal(r.rows[anchors[0]], src[mean.tokens[static_cast<size_t>(anchors[0])].sources[0].id]));
    }
    // Without auxiliary vectors focus is refused with a message.
    TransferOptions o;
    o.strategy = TransferStrategy::Focus;
    EXPECT_THROW(buildTransfer(m, src, o), Error);
}

TEST(VocabTransfer, AuxiliaryVectorsByTokenStringOrId) {
    const auto target = loadTokenizer(sp("tr_unigram_2k.model"));
    const std::string dir = scratch("auxfile");
    {
        std::ofstream f(dir + "/aux.vec");
        f << "4 3\n" << target->idToToken(10) << " 1 2 3\nid:11 4 5 6\nnot-a-token-xyz 7 8 9\n"
          << target->idToToken(12) << " 0.5 0.5 0.5\n";
    }
    int64_t skipped = -1;
    const AuxiliaryVectors a = readAuxiliaryVectors(dir + "/aux.vec", *target, &skipped);
    EXPECT_EQ(skipped, 1);
    ASSERT_EQ(a.targetIds, (std::vector<int64_t>{10, 11, 12}));
    EXPECT_FLOAT_EQ(a.vectors[1][2].item<float>(), 6.0f);
    {
        std::ofstream f(dir + "/none.vec");
        f << "1 2\nnothing-here 1 2\n";
    }
    EXPECT_THROW(readAuxiliaryVectors(dir + "/none.vec", *target), Error);
}

// The random baseline: every text token drawn, control tokens still by role; the same draws as the
// fallback of any other strategy (seeded per id).
TEST(VocabTransfer, RandomBaselineDrawsEveryTextToken) {
    const auto source = loadTokenizer(sp("tr_bpe_2k_bytefallback.model"));
    const auto target = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const at::Tensor src = randomMatrix(source->vocabSize(), 16, 12);
    const VocabularyMatch m = matchVocabularies(*source, *target, source->vocabSize());
    TransferOptions o;
    o.strategy = TransferStrategy::Random;
    const TransferResult r = buildTransfer(m, src, o);
    const TransferResult mean = buildTransfer(m, src, TransferOptions{});
    int64_t special = 0;
    for (size_t t = 0; t < r.tokens.size(); ++t) {
        if (m.tokens[t].control) {
            EXPECT_EQ(r.tokens[t].method, mean.tokens[t].method);
            special += r.tokens[t].method == TransferMethod::Special;
        } else {
            EXPECT_EQ(r.tokens[t].method, TransferMethod::Fallback);
        }
        if (mean.tokens[t].method == TransferMethod::Fallback) {
            EXPECT_TRUE(at::equal(r.rows[static_cast<int64_t>(t)], mean.rows[static_cast<int64_t>(t)]));
        }
    }
    EXPECT_GT(special, 0);
    EXPECT_TRUE(at::isfinite(r.rows).all().item<bool>());
    const nlohmann::json rep = transferReport(*source, *target, m, r, {{"strategy", "random"}});
    EXPECT_EQ(rep["summary"]["unmapped"], 0);
    EXPECT_EQ(rep["tokens"][100]["note"], "random initialisation (the baseline)");
}
