// embedlab engine — proof that SentencePiece and LibTorch live in one process.
//
// Debian's libsentencepiece (protobuf 3.14) and LibTorch (protobuf 3.21) crash when linked into one
// process (sentencepiece#723). embedlab loads SentencePiece through an isolated shim. This
// self-test encodes text with a .model, runs a LibTorch tensor op on the ids, decodes them again
// and returns the result as JSON text; both binaries (embedlab --self-test, embedlab-cli selftest)
// expose it so that tests can prove the fix in each.
#pragma once

#include <string>

namespace embedlab {

// Returns {"ids":[...], "decoded":"...", "tensor_sum":N, "tensor_matmul_trace":X, "shim":"path"}.
// Throws Error on failure.
std::string sentencePieceTorchSelfTest(const std::string& spModelPath, const std::string& text);

}  // namespace embedlab
