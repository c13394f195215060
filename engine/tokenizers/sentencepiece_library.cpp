#include "engine/tokenizers/sentencepiece_library.h"

#include "engine/core/error.h"
#include "engine/tokenizers/sp_shim/sp_shim_api.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
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
    decltype(&spshim_train) train = nullptr;
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

ShimApi& shim() {
    static std::once_flag once;
    static ShimApi api;
    static std::string loadError;
    std::call_once(once, [] {
        const char* name = "libembedlab_spshim.so";
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("EMBEDLAB_SPSHIM")) candidates.emplace_back(env);
        const std::string exe = executableDir();
        candidates.push_back(exe + "/" + name);
        candidates.push_back(exe + "/../lib/" + name);
        candidates.push_back(exe + "/../lib/embedlab/" + name);
        candidates.push_back(std::string(EMBEDLAB_BUILD_LIBDIR) + "/" + name);
        candidates.push_back(std::string(EMBEDLAB_INSTALL_LIBDIR) + "/" + name);
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
            bind(api, api.train, "spshim_train");
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

void SentencePieceModel::train(const std::string& args) {
    char err[2048] = {0};
    if (shim().train(args.c_str(), err, sizeof(err)) != 0)
        throw Error::badInput(std::string("SentencePiece training failed: ") + err);
}

}  // namespace embedlab
