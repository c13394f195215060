#include "engine/io/npy.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"

#include <algorithm>
#include <cstring>

namespace embedlab {

std::string npyPrefix(const std::vector<int64_t>& shape) {
    std::string dims;
    for (int64_t d : shape) {
        if (d < 0) throw Error::runtime("writeNpy: negative dimension");
        dims += std::to_string(d) + ",";
    }
    if (shape.size() > 1) dims.pop_back();
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    // magic(6) + version(2) + len(2) + header + '\n' padded to a multiple of 64
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    std::string out("\x93NUMPY", 6);
    out.push_back('\x01');
    out.push_back('\x00');
    const uint16_t hl = static_cast<uint16_t>(header.size());
    out.push_back(static_cast<char>(hl & 0xff));
    out.push_back(static_cast<char>(hl >> 8));
    return out + header;
}

void writeNpy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::string out = npyPrefix(shape);
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(std::max<int64_t>(n, 0)) * sizeof(float));
    writeFileAtomic(path, out);
}

std::vector<int64_t> parseNpyShape(const std::string& tuple, const std::string& where) {
    std::vector<int64_t> shape;
    std::string cur;
    for (char ch : tuple + ",") {
        if (ch >= '0' && ch <= '9') {
            cur += ch;
            if (cur.size() > 18) throw Error::badInput(where + ": a .npy dimension of more than 18 digits");
        } else if (ch == ',' && !cur.empty()) {
            shape.push_back(std::stoll(cur));  // ≤ 18 digits: fits
            cur.clear();
        }
    }
    return shape;
}

uint64_t npyDataBytes(const std::vector<int64_t>& shape, uint64_t elementSize, const std::string& where) {
    uint64_t bytes = elementSize;
    for (int64_t d : shape)
        if (d < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes) || bytes > (uint64_t(1) << 62))
            throw Error::badInput(where + ": the .npy shape describes more data than any file holds");
    return bytes;
}

NpyArray readNpy(const std::string& path) {
    const std::string buf = readFile(path);
    auto fail = [&](const std::string& w) -> NpyArray { throw Error::badInput(path + ": " + w); };
    if (buf.size() < 10 || buf.compare(0, 6, "\x93NUMPY") != 0) return fail("not a .npy file");
    const int major = static_cast<unsigned char>(buf[6]);
    size_t hl = 0, off = 0;
    if (major == 1) {
        hl = static_cast<unsigned char>(buf[8]) | (static_cast<size_t>(static_cast<unsigned char>(buf[9])) << 8);
        off = 10;
    } else if (major == 2 || major == 3) {
        if (buf.size() < 12) return fail("truncated header");
        hl = 0;
        for (int i = 0; i < 4; ++i) hl |= static_cast<size_t>(static_cast<unsigned char>(buf[8 + i])) << (8 * i);
        off = 12;
    } else {
        return fail("unsupported .npy version");
    }
    if (off + hl > buf.size()) return fail("truncated header");
    const std::string h = buf.substr(off, hl);
    auto field = [&](const std::string& key) {
        auto p = h.find("'" + key + "'");
        if (p == std::string::npos) return std::string();
        p = h.find(':', p);
        return p == std::string::npos ? std::string() : h.substr(p + 1);
    };
    std::string descr = field("descr");
    const auto q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) return fail("no dtype in header");
    descr = descr.substr(q1 + 1, q2 - q1 - 1);
    if (field("fortran_order").find("True") < field("fortran_order").find(',')) return fail("Fortran order is not supported");
    std::string shp = field("shape");
    const auto p1 = shp.find('('), p2 = shp.find(')');
    if (p1 == std::string::npos || p2 == std::string::npos) return fail("no shape in header");
    NpyArray a;
    a.shape = parseNpyShape(shp.substr(p1 + 1, p2 - p1 - 1), path);
    size_t es = 0;
    if (descr == "<f4" || descr == "<i4") es = 4;
    else if (descr == "<f8" || descr == "<i8") es = 8;
    else return fail("dtype " + descr + " is not supported (use float32)");
    const size_t dataOff = off + hl;
    if (buf.size() - dataOff < npyDataBytes(a.shape, es, path)) return fail("file is shorter than its shape says");
    const size_t n = npyDataBytes(a.shape, 1, path);
    a.data.resize(n);
    const char* p = buf.data() + dataOff;
    for (size_t i = 0; i < n; ++i) {
        if (descr == "<f4") std::memcpy(&a.data[i], p + 4 * i, 4);
        else if (descr == "<f8") { double d; std::memcpy(&d, p + 8 * i, 8); a.data[i] = static_cast<float>(d); }
        else if (descr == "<i8") { int64_t d; std::memcpy(&d, p + 8 * i, 8); a.data[i] = static_cast<float>(d); }
        else { int32_t d; std::memcpy(&d, p + 4 * i, 4); a.data[i] = static_cast<float>(d); }
    }
    return a;
}

}  // namespace embedlab
