// The SentencePiece shim module: links only libsentencepiece. Never link this into a binary that
// holds LibTorch; it is loaded at run time by engine/tokenizers/sentencepiece_library.cpp.
#include "engine/tokenizers/sp_shim/sp_shim_api.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct spshim_processor {
    sentencepiece::SentencePieceProcessor sp;
};

namespace {
void setErr(char* err, size_t errlen, const std::string& msg) {
    if (!err || errlen == 0) return;
    size_t n = msg.size() < errlen - 1 ? msg.size() : errlen - 1;
    std::memcpy(err, msg.data(), n);
    err[n] = '\0';
}
}  // namespace

extern "C" {

int spshim_abi_version(void) { return SPSHIM_ABI_VERSION; }

spshim_processor* spshim_load(const char* path, char* err, size_t errlen) {
    try {
        auto* p = new spshim_processor;
        auto st = p->sp.Load(path);
        if (!st.ok()) {
            setErr(err, errlen, st.ToString());
            delete p;
            return nullptr;
        }
        return p;
    } catch (const std::exception& e) {
        setErr(err, errlen, e.what());
        return nullptr;
    }
}

spshim_processor* spshim_load_from_bytes(const char* data, size_t len, char* err, size_t errlen) {
    try {
        auto* p = new spshim_processor;
        auto st = p->sp.LoadFromSerializedProto(std::string(data, len));
        if (!st.ok()) {
            setErr(err, errlen, st.ToString());
            delete p;
            return nullptr;
        }
        return p;
    } catch (const std::exception& e) {
        setErr(err, errlen, e.what());
        return nullptr;
    }
}

void spshim_destroy(spshim_processor* p) { delete p; }

int32_t spshim_vocab_size(const spshim_processor* p) { return p->sp.GetPieceSize(); }

int32_t spshim_id_to_piece(const spshim_processor* p, int32_t id, char* buf, size_t buflen) {
    if (id < 0 || id >= p->sp.GetPieceSize()) return -1;
    const std::string& s = p->sp.IdToPiece(id);
    setErr(buf, buflen, s);
    return static_cast<int32_t>(s.size());
}

int32_t spshim_piece_to_id(const spshim_processor* p, const char* piece, size_t len) {
    return p->sp.PieceToId(std::string(piece, len));
}

float spshim_score(const spshim_processor* p, int32_t id) {
    if (id < 0 || id >= p->sp.GetPieceSize()) return 0.0f;
    return p->sp.GetScore(id);
}

int32_t spshim_piece_type(const spshim_processor* p, int32_t id) {
    if (id < 0 || id >= p->sp.GetPieceSize()) return -1;
    if (p->sp.IsUnknown(id)) return 1;
    if (p->sp.IsControl(id)) return 2;
    if (p->sp.IsUnused(id)) return 5;
    if (p->sp.IsByte(id)) return 4;
    // user-defined pieces are not exposed separately by the 0.1.x API; report them as normal.
    return 0;
}

int32_t spshim_bos_id(const spshim_processor* p) { return p->sp.bos_id(); }
int32_t spshim_eos_id(const spshim_processor* p) { return p->sp.eos_id(); }
int32_t spshim_unk_id(const spshim_processor* p) { return p->sp.unk_id(); }
int32_t spshim_pad_id(const spshim_processor* p) { return p->sp.pad_id(); }

int spshim_encode(const spshim_processor* p, const char* text, size_t len, int32_t** ids, size_t* n, char* err,
                  size_t errlen) {
    try {
        std::vector<int> out;
        auto st = p->sp.Encode(std::string(text, len), &out);
        if (!st.ok()) {
            setErr(err, errlen, st.ToString());
            return 1;
        }
        *n = out.size();
        *ids = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * (out.size() ? out.size() : 1)));
        if (!*ids) {
            setErr(err, errlen, "out of memory");
            return 1;
        }
        for (size_t i = 0; i < out.size(); ++i) (*ids)[i] = out[i];
        return 0;
    } catch (const std::exception& e) {
        setErr(err, errlen, e.what());
        return 1;
    }
}

int spshim_decode(const spshim_processor* p, const int32_t* ids, size_t n, char** text, size_t* len, char* err,
                  size_t errlen) {
    try {
        std::vector<int> in(ids, ids + n);
        for (int id : in)
            if (id < 0 || id >= p->sp.GetPieceSize()) {
                setErr(err, errlen, "id " + std::to_string(id) + " is outside the vocabulary");
                return 1;
            }
        std::string out;
        auto st = p->sp.Decode(in, &out);
        if (!st.ok()) {
            setErr(err, errlen, st.ToString());
            return 1;
        }
        *text = static_cast<char*>(std::malloc(out.size() + 1));
        if (!*text) {
            setErr(err, errlen, "out of memory");
            return 1;
        }
        std::memcpy(*text, out.data(), out.size());
        (*text)[out.size()] = '\0';
        *len = out.size();
        return 0;
    } catch (const std::exception& e) {
        setErr(err, errlen, e.what());
        return 1;
    }
}

void spshim_free(void* ptr) { std::free(ptr); }

}  // extern "C"
