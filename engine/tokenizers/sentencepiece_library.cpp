#include "engine/tokenizers/sentencepiece_library.h"

#include "engine/core/error.h"
#include "engine/tokenizers/sp_shim/sp_shim_api.h"

#include "engine/jobs/progress.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <mutex>

namespace embedlab {
namespace {

struct ShimApi {
    void* handle = nullptr;
    std::string path;
    decltype(&spshim_abi_version) abiVersion = nullptr;
    decltype(&spshim_load) load = nullptr;
    decltype(&spshim_destroy) destroy = nullptr;
    decltype(&spshim_vocab_size) vocabSize = nullptr;
    decltype(&spshim_id_to_piece) idToPiece = nullptr;
    decltype(&spshim_piece_to_id) pieceToId = nullptr;
    decltype(&spshim_score) score = nullptr;
    decltype(&spshim_piece_type) pieceType = nullptr;
    decltype(&spshim_bos_id) bosId = nullptr;
    decltype(&spshim_eos_id) eosId = nullptr;
    decltype(&spshim_unk_id) unkId = nullptr;
    decltype(&spshim_pad_id) padId = nullptr;
    decltype(&spshim_encode) encode = nullptr;
    decltype(&spshim_decode) decode = nullptr;
    decltype(&spshim_free) free = nullptr;
};

std::string executableDir() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0) return ".";
    buf[n] = '\0';
    std::string p(buf);
    auto slash = p.rfind('/');
    return slash == std::string::npos ? "." : p.substr(0, slash);
}

bool fileExists(const std::string& p) { return ::access(p.c_str(), R_OK) == 0; }

template <typename F>
void bind(ShimApi& api, F& fn, const char* name) {
    fn = reinterpret_cast<F>(::dlsym(api.handle, name));
    if (!fn) throw Error::runtime(std::string("SentencePiece shim ") + api.path + " lacks symbol " + name);
}

// Where the shim and the training helper are looked for: EMBEDLAB_SPSHIM's folder first (or the
// variable itself for the shim), beside the executable, its ../lib and ../lib/embedlab, the build
// tree, the install prefix.
std::vector<std::string> candidatePaths(const std::string& name, const char* envOverride) {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv(envOverride)) candidates.emplace_back(env);
    if (const char* shimEnv = std::getenv("EMBEDLAB_SPSHIM")) {
        const std::string s(shimEnv);
        const auto slash = s.rfind('/');
        candidates.push_back((slash == std::string::npos ? std::string(".") : s.substr(0, slash)) + "/" + name);
    }
    const std::string exe = executableDir();
    candidates.push_back(exe + "/" + name);
    candidates.push_back(exe + "/../lib/" + name);
    candidates.push_back(exe + "/../lib/embedlab/" + name);
    candidates.push_back(std::string(EMBEDLAB_BUILD_LIBDIR) + "/" + name);
    candidates.push_back(std::string(EMBEDLAB_INSTALL_LIBDIR) + "/" + name);
    return candidates;
}

ShimApi& shim() {
    static std::once_flag once;
    static ShimApi api;
    static std::string loadError;
    std::call_once(once, [] {
        const char* name = "libembedlab_spshim.so";
        const std::vector<std::string> candidates = candidatePaths(name, "EMBEDLAB_SPSHIM");
        std::string tried;
        for (const auto& c : candidates) {
            if (!fileExists(c)) {
                tried += " " + c;
                continue;
            }
            // A new link-map namespace: the shim gets its own libstdc++ and protobuf, so its protobuf
            // 3.14 never meets LibTorch's protobuf 3.21 (sentencepiece#723).
            api.handle = ::dlmopen(LM_ID_NEWLM, c.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!api.handle) {
                const char* e = ::dlerror();
                loadError = "cannot load the SentencePiece shim " + c + ": " + (e ? e : "unknown error");
                return;
            }
            api.path = c;
            break;
        }
        if (!api.handle) {
            loadError = "the SentencePiece shim " + std::string(name) + " was not found (looked at:" + tried +
                        "); set EMBEDLAB_SPSHIM to its path";
            return;
        }
        try {
            bind(api, api.abiVersion, "spshim_abi_version");
            bind(api, api.load, "spshim_load");
            bind(api, api.destroy, "spshim_destroy");
            bind(api, api.vocabSize, "spshim_vocab_size");
            bind(api, api.idToPiece, "spshim_id_to_piece");
            bind(api, api.pieceToId, "spshim_piece_to_id");
            bind(api, api.score, "spshim_score");
            bind(api, api.pieceType, "spshim_piece_type");
            bind(api, api.bosId, "spshim_bos_id");
            bind(api, api.eosId, "spshim_eos_id");
            bind(api, api.unkId, "spshim_unk_id");
            bind(api, api.padId, "spshim_pad_id");
            bind(api, api.encode, "spshim_encode");
            bind(api, api.decode, "spshim_decode");
            bind(api, api.free, "spshim_free");
            if (api.abiVersion() != SPSHIM_ABI_VERSION) loadError = "SentencePiece shim ABI mismatch at " + api.path;
        } catch (const Error& e) {
            loadError = e.what();
        }
    });
    if (!loadError.empty()) throw Error::runtime(loadError);
    return api;
}

}  // namespace

std::string sentencePieceShimPath() { return shim().path; }

struct SentencePieceModel::Impl {
    spshim_processor* p = nullptr;
};

std::unique_ptr<SentencePieceModel> SentencePieceModel::load(const std::string& path) {
    {
        std::ifstream f(path, std::ios::binary);
        if (!f) throw Error::badInput("cannot open SentencePiece model " + path);
        f.seekg(0, std::ios::end);
        if (f.tellg() <= 0) throw Error::badInput("SentencePiece model " + path + " is empty");
    }
    auto& api = shim();
    char err[1024] = {0};
    spshim_processor* p = api.load(path.c_str(), err, sizeof(err));
    if (!p)
        throw Error::badInput("cannot read SentencePiece model " + path + ": " +
                              (err[0] ? std::string(err) : std::string("invalid or truncated model file")));
    std::unique_ptr<SentencePieceModel> m(new SentencePieceModel);
    m->impl_ = std::make_unique<Impl>();
    m->impl_->p = p;
    return m;
}

SentencePieceModel::~SentencePieceModel() {
    if (impl_ && impl_->p) shim().destroy(impl_->p);
}

std::vector<int32_t> SentencePieceModel::encode(const std::string& text) const {
    auto& api = shim();
    int32_t* ids = nullptr;
    size_t n = 0;
    char err[1024] = {0};
    if (api.encode(impl_->p, text.data(), text.size(), &ids, &n, err, sizeof(err)) != 0)
        throw Error::badInput(std::string("SentencePiece encode failed: ") + err);
    std::vector<int32_t> out(ids, ids + n);
    api.free(ids);
    return out;
}

std::string SentencePieceModel::decode(const std::vector<int32_t>& ids) const {
    auto& api = shim();
    char* text = nullptr;
    size_t n = 0;
    char err[1024] = {0};
    if (api.decode(impl_->p, ids.data(), ids.size(), &text, &n, err, sizeof(err)) != 0)
        throw Error::badInput(std::string("SentencePiece decode failed: ") + err);
    std::string out(text, n);
    api.free(text);
    return out;
}

int32_t SentencePieceModel::vocabSize() const { return shim().vocabSize(impl_->p); }

std::string SentencePieceModel::idToPiece(int32_t id) const {
    auto& api = shim();
    char buf[256];
    int32_t n = api.idToPiece(impl_->p, id, buf, sizeof(buf));
    if (n < 0) throw Error::badInput("id " + std::to_string(id) + " is outside the SentencePiece vocabulary");
    if (static_cast<size_t>(n) < sizeof(buf)) return std::string(buf, n);
    std::string big(static_cast<size_t>(n) + 1, '\0');
    api.idToPiece(impl_->p, id, big.data(), big.size());
    big.resize(n);
    return big;
}

int32_t SentencePieceModel::pieceToId(const std::string& piece) const {
    return shim().pieceToId(impl_->p, piece.data(), piece.size());
}
float SentencePieceModel::score(int32_t id) const { return shim().score(impl_->p, id); }
SentencePieceModel::PieceType SentencePieceModel::pieceType(int32_t id) const {
    return static_cast<PieceType>(shim().pieceType(impl_->p, id));
}
int32_t SentencePieceModel::bosId() const { return shim().bosId(impl_->p); }
int32_t SentencePieceModel::eosId() const { return shim().eosId(impl_->p); }
int32_t SentencePieceModel::unkId() const { return shim().unkId(impl_->p); }
int32_t SentencePieceModel::padId() const { return shim().padId(impl_->p); }

std::string sentencePieceTrainerPath() {
    std::string tried;
    for (const auto& c : candidatePaths("embedlab-sptrain", "EMBEDLAB_SPTRAIN")) {
        if (::access(c.c_str(), X_OK) == 0) return c;
        tried += " " + c;
    }
    throw Error::runtime("the SentencePiece trainer embedlab-sptrain was not found (looked at:" + tried +
                         "); set EMBEDLAB_SPTRAIN to its path");
}

void SentencePieceModel::train(const std::string& args, Progress& progress) {
    progress.checkCancelled();
    const std::string helper = sentencePieceTrainerPath();
    // The helper's messages go to a file: its last lines explain a failure.
    std::string errPath = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) +
                          "/embedlab-sptrain-XXXXXX";
    const int errFd = ::mkostemp(errPath.data(), O_CLOEXEC);  // other children never inherit it
    if (errFd < 0) throw Error::runtime("cannot create a temporary file in " + errPath + ": " + std::strerror(errno));
    ::unlink(errPath.c_str());  // open while needed, gone afterwards whatever happens
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, errFd, 1);
    posix_spawn_file_actions_adddup2(&actions, errFd, 2);
    std::vector<char*> argv{const_cast<char*>(helper.c_str()), const_cast<char*>(args.c_str()), nullptr};
    // The helper dies with this thread (PR_SET_PDEATHSIG) and checks that its parent is still this
    // process when it starts.
    std::vector<std::string> envStrings;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "EMBEDLAB_SPTRAIN_PARENT=", 24) != 0) envStrings.emplace_back(*e);
    envStrings.push_back("EMBEDLAB_SPTRAIN_PARENT=" + std::to_string(::getpid()));
    std::vector<char*> envp;
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, helper.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        ::close(errFd);
        throw Error::runtime("cannot start " + helper + ": " + std::strerror(rc));
    }
    // Poll every 10 ms: a cancel kills the trainer at once; a pause or a scheduler's hold stops it
    // (SIGSTOP) until released, so a held long job really yields the CPU.
    int status = 0;
    bool stopped = false;
    for (;;) {
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            ::close(errFd);
            throw Error::runtime(std::string("lost the SentencePiece trainer: ") + std::strerror(errno));
        }
        if (progress.cancelled()) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            ::close(errFd);
            throw Error::cancelled();
        }
        const bool wait = progress.paused() || progress.held();
        if (wait != stopped) {
            ::kill(pid, wait ? SIGSTOP : SIGCONT);
            stopped = wait;
        }
        ::usleep(10000);
    }
    std::string messages;  // the last 4 KB: SentencePiece logs a line per EM iteration
    {
        char buf[4096];
        const off_t size = ::lseek(errFd, 0, SEEK_END);
        ::lseek(errFd, size > 4096 ? size - 4096 : 0, SEEK_SET);
        ssize_t n;
        while ((n = ::read(errFd, buf, sizeof buf)) > 0) messages.append(buf, static_cast<size_t>(n));
        ::close(errFd);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    // The trainer's own message: its last non-empty line ("embedlab-sptrain: ..." or a LOG(FATAL)'s
    // text — the line before SentencePiece's closing "Program terminated with an unrecoverable error.").
    std::string last;
    for (int tries = 0; tries < 3 && !messages.empty(); ++tries) {
        while (!messages.empty() && (messages.back() == '\n' || messages.back() == ' ' || messages.back() == '\r'))
            messages.pop_back();
        const auto nl = messages.rfind('\n');
        last = nl == std::string::npos ? messages : messages.substr(nl + 1);
        messages.resize(nl == std::string::npos ? 0 : nl);
        if (last.find("unrecoverable error") == std::string::npos) break;
    }
    if (last.rfind("embedlab-sptrain: ", 0) == 0) last = last.substr(18);
    if (WIFSIGNALED(status))
        throw Error::runtime("SentencePiece training was stopped by signal " + std::to_string(WTERMSIG(status)) +
                             (last.empty() ? std::string() : " (" + last + ")"));
    throw Error::badInput("SentencePiece training failed: " + (last.empty() ? std::string("no message") : last));
}

}  // namespace embedlab
