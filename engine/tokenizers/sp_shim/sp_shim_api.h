// embedlab — the C ABI of the SentencePiece shim.
//
// Debian's libsentencepiece carries its own protobuf (3.14); linked into a process that also holds
// LibTorch (protobuf 3.21) it crashes before main() (sentencepiece#723). The shim is a separate
// module that links only libsentencepiece and is loaded with dlmopen(LM_ID_NEWLM), i.e. into its
// own link-map namespace with its own libstdc++ and protobuf. Only plain C types cross the boundary:
// memory the shim allocates is released by the shim (spshim_free).
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPSHIM_ABI_VERSION 2

typedef struct spshim_processor spshim_processor;

int spshim_abi_version(void);
// Loads a .model file. Returns NULL and writes a message into err (size errlen) on failure.
spshim_processor* spshim_load(const char* path, char* err, size_t errlen);
// Loads a serialized model proto from memory.
spshim_processor* spshim_load_from_bytes(const char* data, size_t len, char* err, size_t errlen);
void spshim_destroy(spshim_processor* p);

int32_t spshim_vocab_size(const spshim_processor* p);
// Piece of an id: copies at most buflen-1 bytes, returns the full length (or -1 for a bad id).
int32_t spshim_id_to_piece(const spshim_processor* p, int32_t id, char* buf, size_t buflen);
int32_t spshim_piece_to_id(const spshim_processor* p, const char* piece, size_t len);
float spshim_score(const spshim_processor* p, int32_t id);
// 0 normal, 1 unknown, 2 control, 3 user defined, 4 byte, 5 unused
int32_t spshim_piece_type(const spshim_processor* p, int32_t id);
int32_t spshim_bos_id(const spshim_processor* p);
int32_t spshim_eos_id(const spshim_processor* p);
int32_t spshim_unk_id(const spshim_processor* p);
int32_t spshim_pad_id(const spshim_processor* p);

// Encodes UTF-8 text. On success returns 0 and sets *ids (free with spshim_free) and *n.
int spshim_encode(const spshim_processor* p, const char* text, size_t len, int32_t** ids, size_t* n, char* err,
                  size_t errlen);
// Decodes ids. On success returns 0 and sets *text (NUL-terminated, free with spshim_free), *len.
int spshim_decode(const spshim_processor* p, const int32_t* ids, size_t n, char** text, size_t* len, char* err,
                  size_t errlen);

void spshim_free(void* ptr);

#ifdef __cplusplus
}
#endif
