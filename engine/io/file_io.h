// embedlab engine — small file helpers: bounded reads, gzip, atomic writes.
#pragma once

#include <cstdint>
#include <string>

namespace embedlab {

// Reads a whole file. Throws Error(BadInput) if it is missing, unreadable or larger than maxBytes.
std::string readFile(const std::string& path, uint64_t maxBytes = (1ull << 32));
// Reads a file, gunzipping it when it starts with the gzip magic bytes (or ends in .gz).
std::string readMaybeGzip(const std::string& path, uint64_t maxBytes = (1ull << 32));
// Writes `data` to `path` atomically: a temporary file in the same folder, fsync, then rename.
// An existing file is replaced only when the write has fully succeeded. Throws Error(Runtime).
void writeFileAtomic(const std::string& path, const std::string& data);

bool isDirectory(const std::string& path);
bool isRegularFile(const std::string& path);
std::string joinPath(const std::string& a, const std::string& b);
std::string baseName(const std::string& path);

}  // namespace embedlab
