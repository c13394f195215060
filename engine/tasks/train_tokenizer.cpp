#include "engine/tasks/train_tokenizer.h"

#include "engine/core/error.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/morph_tokenizer_trainer.h"
#include "engine/tokenizers/sentencepiece_library.h"
#include "engine/tokenizers/tokenizer.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace embedlab::tasks {

namespace fs = std::filesystem;

TokenizerTrainResult trainTokenizer(const TokenizerTrainOptions& o, Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.kind != "bpe" && o.kind != "unigram" && o.kind != "morph")
        throw Error::badInput("train tokenizer: --kind must be morph, bpe or unigram, not \"" + o.kind + "\"");
    if (o.input.empty()) throw Error::badInput("train tokenizer: give the corpus (--input)");
    if (o.outDir.empty()) throw Error::badInput("train tokenizer: give the output folder (--out)");
    if (o.vocabSize < 260 || o.vocabSize > 1000000)
        throw Error::badInput("--vocab-size must be between 260 (the 256 bytes and 4 specials) and 1,000,000");
    TokenizerTrainResult r;
    if (o.kind == "morph") {
        MorphTokenizerOptions m;
        m.corpora.push_back(o.input);
        m.corpora.insert(m.corpora.end(), o.moreInputs.begin(), o.moreInputs.end());
        m.lexiconDir = o.lexiconDir;
        m.vocabSize = o.vocabSize;
        m.maxSentences = o.maxSentences;
        MorphTokenizerReport rep;
        writeFolderAtomic(o.outDir, o.force, [&](const std::string& outTmp) {
            rep = trainMorphTokenizer(m, outTmp, progress);
            r.vocabSize = loadTokenizer(outTmp)->vocabSize();
        });
        r.sentences = rep.sentences;
        r.chars = rep.chars;
        r.roots = rep.roots;
        r.suffixGroups = rep.suffixGroups;
        r.bpePieces = rep.bpe;
        r.words = rep.words;
        r.wordsParsed = rep.wordsParsed;
        r.lexiconSkipped = rep.lexiconSkipped;
        r.modelPath = fs::absolute(o.outDir).lexically_normal().string();
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return r;
    }
    writeFolderAtomic(o.outDir, o.force, [&](const std::string& outTmp) {
        std::error_code ec;
        // SentencePiece splits its options at spaces: it works in a private folder whose path has none.
        std::string pattern = (fs::temp_directory_path() / "embedlab-sptrain-XXXXXX").string();
        if (pattern.find(' ') != std::string::npos || !::mkdtemp(pattern.data()))
            throw Error::runtime("cannot create a working folder for SentencePiece under " + fs::temp_directory_path().string());
        const std::string tmp = pattern;
        struct Cleanup {
            std::string dir;
            ~Cleanup() {
                std::error_code e;
                fs::remove_all(dir, e);
            }
        } cleanup{tmp};
        // The corpus as plain lines (the reader's encodings, formats and columns), one record per line.
        {
            std::ofstream f(tmp + "/corpus.txt", std::ios::binary);
            Progress reading(progress, 0.0, 0.2, "reading");
            CorpusOptions co;
            co.maxRecords = o.maxSentences;
            streamCorpus(
                o.input, co,
                [&](CorpusRecord&& rec) {
                    for (char& c : rec.text)
                        if (c == '\n' || c == '\r') c = ' ';
                    // SentencePiece's trainers abort the process on a word of more than 65,535
                    // characters: a run without spaces longer than 4,096 bytes is cut (at a code point).
                    size_t run = 0;
                    std::string text;
                    text.reserve(rec.text.size());
                    for (char c : rec.text) {
                        const bool lead = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                        if (c == ' ' || c == '\t') run = 0;
                        else if (lead && ++run > 4096) {
                            text += ' ';
                            run = 1;
                        }
                        text += c;
                    }
                    f << text << '\n';
                    ++r.sentences;
                    for (unsigned char c : rec.text) r.chars += (c & 0xC0) != 0x80;
                },
                reading);
            if (!f) throw Error::runtime("could not write the training text to " + tmp);
        }
        if (r.sentences == 0) throw Error::badInput(o.input + ": the corpus has no text");
        progress.report(0.25, "training " + o.kind);
        char cov[32];
        std::snprintf(cov, sizeof cov, "%.6f", o.characterCoverage);
        SentencePieceModel::train("--input=" + tmp + "/corpus.txt --model_prefix=" + tmp + "/tokenizer --model_type=" +
                                  o.kind + " --vocab_size=" + std::to_string(o.vocabSize) + " --character_coverage=" +
                                  cov + " --byte_fallback=true --normalization_rule_name=identity "
                                  "--remove_extra_whitespaces=false --split_digits=true --hard_vocab_limit=false "
                                  "--shuffle_input_sentence=false --input_sentence_size=0 --num_threads=2 "
                                  "--max_sentence_length=1000000 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 --minloglevel=2",
                                  progress);
        fs::copy_file(tmp + "/tokenizer.model", outTmp + "/tokenizer.model", fs::copy_options::overwrite_existing, ec);
        if (ec) throw Error::runtime("could not write " + outTmp + "/tokenizer.model: " + ec.message());
        r.vocabSize = loadTokenizer(outTmp + "/tokenizer.model")->vocabSize();
    });
    r.modelPath = (fs::absolute(o.outDir).lexically_normal() / "tokenizer.model").string();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report(1.0, "trained");
    return r;
}

}  // namespace embedlab::tasks
