// embedlab engine — small file helpers: bounded reads, gzip, atomic writes.
#pragma once

#include <cstdint>
#include <cstdint>
#include <istream>
#include <functional>
#include <string>

namespace embedlab {

// Reads a whole file. Throws Error(BadInput) if it is missing, unreadable or larger than maxBytes.
std::string readFile(const std::string& path, uint64_t maxBytes = (1ull << 32));
// Reads a file, gunzipping it when it starts with the gzip magic bytes (or ends in .gz).
std::string readMaybeGzip(const std::string& path, uint64_t maxBytes = (1ull << 32));
// Reads one line (up to '\n', which is dropped, as a trailing '\r' is) keeping at most `maxBytes` of
// it, cut back to a UTF-8 character boundary; the rest of the line is read and discarded, so a
// gigabyte-long line costs `maxBytes` of memory. Returns false at the end of the input. `fullBytes`
// (optional) receives the line's whole length in bytes.
bool readBoundedLine(std::istream& in, std::string& line, size_t maxBytes, uint64_t* fullBytes = nullptr);

// Writes `data` to `path` atomically: a temporary file in the same folder, fsync, then rename.
// An existing file is replaced only when the write has fully succeeded. Throws Error(Runtime).
void writeFileAtomic(const std::string& path, const std::string& data);

// A file written piece by piece and put in place atomically: the data go to a temporary file in the
// same folder; commit() fsyncs it, renames it over `path` and fsyncs the folder. Destroyed uncommitted
// (an error, a cancel), it removes the temporary file and leaves `path` untouched; a writer killed
// outright leaves `path` untouched too, and its temporary file is removed by the next AtomicFile for
// the same path. Throws Error(Runtime) on I/O errors, naming the path and the system's reason (e.g.
// "No space left on device").
class AtomicFile {
public:
    explicit AtomicFile(const std::string& path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    void write(const void* data, uint64_t n);
    void write(const std::string& s) { write(s.data(), s.size()); }
    void commit();

private:
    std::string path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

// A folder written whole or not at all: checks that `dir` may be written (it does not exist, or
// `replace` and it is a folder — else Error(BadInput) naming --force), calls `write` with a fresh
// sibling folder (DIR.partial-N), then renames it over DIR (the old one moved aside and removed only once
// the new one is in place). When `write` throws, the partial folder is removed and DIR is untouched.
void checkOutputFolder(const std::string& dir, bool replace);
void writeFolderAtomic(const std::string& dir, bool replace, const std::function<void(const std::string& tmp)>& write);

bool isDirectory(const std::string& path);
bool isRegularFile(const std::string& path);
std::string joinPath(const std::string& a, const std::string& b);
std::string baseName(const std::string& path);
// The folder part of `path` ("." when there is none, "/" for a file in the root).
std::string dirName(const std::string& path);

}  // namespace embedlab
