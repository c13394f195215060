#include "engine/dist/checksum.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

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
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::badInput("cannot open " + path);
    std::vector<char> buf(1 << 20);
    uint64_t size = 0, lines = 0;
    bool first = true;
    std::vector<char> last;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const size_t got = static_cast<size_t>(in.gcount());
        if (got == 0) break;
        size += got;
        for (size_t i = 0; i < got; ++i) lines += buf[i] == '\n';
        if (first) h = checksumBytes(buf.data(), got, h), first = false;
        else last.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got));
    }
    h = checksumBytes(last.data(), last.size(), h);
    h = checksumBytes(&size, sizeof size, h);
    return checksumBytes(&lines, sizeof lines, h);
}

}  // namespace embedlab
