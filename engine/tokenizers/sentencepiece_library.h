// embedlab engine — SentencePiece through the isolated shim module (see sp_shim/sp_shim_api.h).
//
// SentencePieceModel wraps one loaded .model. The shim is loaded once per process, lazily, into a
// new link-map namespace with dlmopen(LM_ID_NEWLM); its location is searched in this order:
// $EMBEDLAB_SPSHIM, the executable's folder, ../lib, ../lib/embedlab, the build tree's lib folder,
// the install prefix. Thread-safety: a loaded model may be used from several threads for encode
// and decode (SentencePieceProcessor is const-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace embedlab {

class Progress;

// Path of the loaded shim module, loading it if needed. Throws Error(Runtime) if it cannot be found.
std::string sentencePieceShimPath();

class SentencePieceModel {
public:
    enum class PieceType { Normal = 0, Unknown = 1, Control = 2, UserDefined = 3, Byte = 4, Unused = 5 };

    // Throws Error(BadInput) for a missing, truncated or invalid .model file.
    static std::unique_ptr<SentencePieceModel> load(const std::string& path);
    ~SentencePieceModel();
    SentencePieceModel(const SentencePieceModel&) = delete;
    SentencePieceModel& operator=(const SentencePieceModel&) = delete;

    std::vector<int32_t> encode(const std::string& text) const;
    std::string decode(const std::vector<int32_t>& ids) const;
    int32_t vocabSize() const;
    std::string idToPiece(int32_t id) const;
    int32_t pieceToId(const std::string& piece) const;
    float score(int32_t id) const;
    PieceType pieceType(int32_t id) const;
    int32_t bosId() const;
    int32_t eosId() const;
    int32_t unkId() const;
    int32_t padId() const;

    // Trains a new model. `args` uses SentencePieceTrainer's flag syntax, e.g.
    // "--input=corpus.txt --model_prefix=out --vocab_size=2000 --model_type=unigram". The trainer runs
    // in a process of its own (embedlab-sptrain): a cancel kills it within 10 ms, a pause or hold
    // stops it. Error(BadInput) with the trainer's message when it fails.
    static void train(const std::string& args, Progress& progress);

private:
    SentencePieceModel() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace embedlab
