#include "engine/dist/checksum.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

namespace embedlab {

uint64_t checksumBytes(const void* data, size_t n, uint64_t h) {
    const auto* b = static_cast<const unsigned char*>(data);
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {  // 64-bit words, then the tail byte by byte
        uint64_t w;
        std::memcpy(&w, b + k, 8);
        h = (h ^ w) * 1099511628211ull;
    }
    for (; k < n; ++k) h = (h ^ b[k]) * 1099511628211ull;
    return h;
}

uint64_t checksumText(const std::string& s, uint64_t h) { return checksumBytes(s.data(), s.size(), checksumBytes("\x1f", 1, h)); }

uint64_t checksumTensors(const std::map<std::string, at::Tensor>& tensors, uint64_t h) {
    for (const auto& [name, t] : tensors) {
        h = checksumText(name, h);
        const at::Tensor c = t.detach().to(at::kCPU).contiguous();
        h = checksumText(std::string(c10::toString(c.scalar_type())), h);
        for (int64_t s : c.sizes()) h = checksumBytes(&s, sizeof s, h);
        h = checksumBytes(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size(), h);
    }
    return h;
}

uint64_t checksumFileSample(const std::string& path, uint64_t h) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw Error::badInput("cannot open " + path);
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    h = checksumBytes(&size, sizeof size, h);
    const uint64_t block = 1 << 20;
    std::vector<char> buf(static_cast<size_t>(std::min(size, block)));
    // The first MiB, then the last (they overlap, or are the same, in a small file).
    for (const uint64_t at : {uint64_t{0}, size - buf.size()}) {
        in.seekg(static_cast<std::streamoff>(at));
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (static_cast<size_t>(in.gcount()) != buf.size()) throw Error::badInput("cannot read " + path);
        h = checksumBytes(buf.data(), buf.size(), h);
    }
    return h;
}

}  // namespace embedlab
