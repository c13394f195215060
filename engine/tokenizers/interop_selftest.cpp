#include "engine/tokenizers/interop_selftest.h"

#include "engine/tokenizers/sentencepiece_library.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace embedlab {

std::string sentencePieceTorchSelfTest(const std::string& spModelPath, const std::string& text) {
    auto sp = SentencePieceModel::load(spModelPath);
    const std::vector<int32_t> ids = sp->encode(text);
    std::vector<int64_t> ids64(ids.begin(), ids.end());
    // A LibTorch op on the ids: sum, and a float matmul so that BLAS runs in this process too.
    at::Tensor t = at::tensor(ids64, at::kLong);
    const int64_t sum = t.sum().item<int64_t>();
    at::Tensor f = t.to(at::kFloat).unsqueeze(1);
    const double trace = at::matmul(f, f.t()).trace().item<double>();
    nlohmann::json j;
    j["ids"] = ids;
    j["decoded"] = sp->decode(ids);
    j["tensor_sum"] = sum;
    j["tensor_matmul_trace"] = trace;
    j["shim"] = sentencePieceShimPath();
    return j.dump();
}

}  // namespace embedlab
