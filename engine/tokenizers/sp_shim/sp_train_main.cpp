// embedlab-sptrain: SentencePiece training in a process of its own. SentencePieceTrainer::Train has
// no way to stop it half-way, so the engine (SentencePieceModel::train) runs it here and kills the
// process on cancel, stops it while the job is paused or held, and reads its message on failure.
// Links only libsentencepiece (never LibTorch, whose protobuf clashes with sentencepiece's).
//   embedlab-sptrain 'ARGS'    ARGS in SentencePieceTrainer's flag syntax; exit 0 = trained
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: embedlab-sptrain 'SentencePieceTrainer flags'\n");
        return 2;
    }
    try {
        const auto st = sentencepiece::SentencePieceTrainer::Train(argv[1]);
        if (!st.ok()) {
            std::fprintf(stderr, "embedlab-sptrain: %s\n", st.ToString().c_str());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "embedlab-sptrain: %s\n", e.what());
        return 1;
    }
    return 0;
}
