#include "io/file_io.h"

#include "core/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

namespace embedlab {

bool isDirectory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isRegularFile(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string joinPath(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (a.back() == '/') return a + b;
    return a + "/" + b;
}

std::string baseName(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string readFile(const std::string& path, uint64_t maxBytes) {
    if (isDirectory(path)) throw Error::badInput(path + " is a folder, not a file");
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error::badInput("cannot open " + path + ": " + std::strerror(errno));
    f.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(f.tellg());
    if (size > maxBytes)
        throw Error::badInput(path + " is too large (" + std::to_string(size) + " bytes; the limit here is " +
                              std::to_string(maxBytes) + ")");
    f.seekg(0);
    std::string data(size, '\0');
    if (size && !f.read(data.data(), static_cast<std::streamsize>(size)))
        throw Error::badInput("cannot read " + path);
    return data;
}

std::string readMaybeGzip(const std::string& path, uint64_t maxBytes) {
    std::string raw = readFile(path, maxBytes);
    if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f || static_cast<unsigned char>(raw[1]) != 0x8b)
        return raw;
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error::runtime("zlib initialisation failed");
    zs.next_in = reinterpret_cast<Bytef*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    std::string out;
    char buf[1 << 16];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof(buf);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw Error::badInput(path + " is not a valid gzip file (truncated or corrupt)");
        }
        out.append(buf, sizeof(buf) - zs.avail_out);
        if (out.size() > maxBytes) {
            inflateEnd(&zs);
            throw Error::badInput(path + " expands beyond " + std::to_string(maxBytes) + " bytes");
        }
        if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            throw Error::badInput(path + " is a truncated gzip file");
        }
    }
    inflateEnd(&zs);
    return out;
}

void writeFileAtomic(const std::string& path, const std::string& data) {
    std::random_device rd;
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error::runtime("cannot write " + path + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error::runtime("cannot write " + path + ": " + why);
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error::runtime("cannot write " + path + ": " + why);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error::runtime("cannot write " + path + ": " + why);
    }
}

}  // namespace embedlab
