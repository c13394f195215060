#include "engine/io/file_io.h"

#include "engine/core/error.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
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

bool readBoundedLine(std::istream& in, std::string& line, size_t maxBytes, uint64_t* fullBytes) {
    line.clear();
    uint64_t total = 0;
    bool any = false;
    std::streambuf* sb = in.rdbuf();
    char buf[1 << 16];
    for (;;) {
        // Copy up to the next newline from the stream buffer in blocks.
        size_t n = 0;
        int c = 0;
        while (n < sizeof buf && (c = sb->sbumpc()) != std::char_traits<char>::eof() && c != '\n')
            buf[n++] = static_cast<char>(c);
        if (n || c == '\n') any = true;
        total += n;
        if (line.size() < maxBytes) line.append(buf, std::min(n, maxBytes - line.size()));
        if (c == std::char_traits<char>::eof()) {
            in.setstate(std::ios::eofbit);
            break;
        }
        if (c == '\n') break;
    }
    if (!line.empty() && line.back() == '\r' && total == line.size()) {
        line.pop_back();
        --total;
    }
    if (total > line.size()) {  // cut: end on a character boundary
        size_t end = line.size();
        while (end > 0 && (static_cast<unsigned char>(line[end - 1]) & 0xC0) == 0x80) --end;
        if (end > 0 && (static_cast<unsigned char>(line[end - 1]) & 0x80)) {
            const unsigned char lead = static_cast<unsigned char>(line[end - 1]);
            const size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (line.size() - (end - 1) < need) line.resize(end - 1);
        }
    }
    if (fullBytes) *fullBytes = total;
    return any;
}

std::string dirName(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

namespace {

// Temporary files "<name>.tmp-<pid>-<n>" left beside `path` by writers that were killed (kill -9, a
// crash, a power cut) before they committed: removed when their process no longer exists.
void removeStaleTemporaries(const std::string& path) {
    const std::string dir = dirName(path);
    const std::string prefix = baseName(path) + ".tmp-";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = name.substr(prefix.size());
        const auto dash = rest.find('-');
        if (dash == std::string::npos || dash == 0) continue;
        if (rest.find_first_not_of("0123456789") != dash) continue;
        const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlink((dir + "/" + name).c_str());
    }
    ::closedir(d);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
    removeStaleTemporaries(path);
    std::random_device rd;
    tmp_ = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error::runtime("cannot write " + path + ": " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, uint64_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, 1ull << 30));
        const ssize_t w = ::write(fd_, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw Error::runtime("cannot write " + path_ + ": " + std::strerror(errno));
        }
        p += w;
        n -= static_cast<uint64_t>(w);
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_) != 0) throw Error::runtime("cannot write " + path_ + ": " + std::strerror(errno));
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw Error::runtime("cannot write " + path_ + ": " + std::strerror(errno));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw Error::runtime("cannot write " + path_ + ": " + std::strerror(errno));
    committed_ = true;
    // The rename itself reaches the disk only with its folder: fsync that too (best effort — some
    // file systems refuse to open or sync a folder).
    const int dfd = ::open(dirName(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

void writeFileAtomic(const std::string& path, const std::string& data) {
    AtomicFile f(path);
    f.write(data);
    f.commit();
}

void checkOutputFolder(const std::string& dir, bool replace) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return;
    if (!replace) throw Error::badInput(dir + " already exists; choose another --out or pass --force to replace it");
    if (!fs::is_directory(dir, ec)) throw Error::badInput(dir + " exists and is not a folder");
}

void writeFolderAtomic(const std::string& dir, bool replace, const std::function<void(const std::string& tmp)>& write) {
    namespace fs = std::filesystem;
    checkOutputFolder(dir, replace);
    fs::path out = fs::absolute(dir).lexically_normal();
    if (!out.has_filename()) out = out.parent_path();  // "model/" names the folder "model"
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    static std::atomic<unsigned> counter{0};
    const std::string unique = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const std::string tmp = out.string() + ".partial-" + unique;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    try {
        write(tmp);
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    const bool exists = fs::exists(out, ec);
    // The folder being replaced moves aside under a name of this writer's own (never a user's "DIR.old").
    const std::string old = out.string() + ".replaced-" + unique;
    try {
        if (exists) fs::rename(out, old);
        fs::rename(tmp, out);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(tmp, ec);
        if (exists && !fs::exists(out, ec) && fs::exists(old, ec)) fs::rename(old, out, ec);
        throw Error::runtime("could not put " + dir + " in place: " + e.what());
    }
    fs::remove_all(old, ec);
}

}  // namespace embedlab
