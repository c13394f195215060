// embedlab-sptrain: SentencePiece training in a process of its own. SentencePieceTrainer::Train has
// no way to stop it half-way, so the engine (SentencePieceModel::train) runs it here and kills the
// process on cancel, stops it while the job is paused or held, and reads its message on failure.
// Links only libsentencepiece (never LibTorch, whose protobuf clashes with sentencepiece's).
//   embedlab-sptrain 'ARGS'    ARGS in SentencePieceTrainer's flag syntax; exit 0 = trained
#include <sentencepiece_trainer.h>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: embedlab-sptrain 'SentencePieceTrainer flags'\n");
        return 2;
    }
    // Dies with the process that started it (an app killed outright must not leave a trainer running,
    // or stopped, behind). EMBEDLAB_SPTRAIN_PARENT closes the gap of a parent gone before prctl.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (const char* parent = std::getenv("EMBEDLAB_SPTRAIN_PARENT"))
        if (std::to_string(::getppid()) != parent) return 3;
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
