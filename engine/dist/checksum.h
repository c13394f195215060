// embedlab engine — the checksums ranks compare before a data-parallel job starts (FNV-1a 64 over
// bytes; a tensor's bytes on the CPU, contiguous). Not cryptographic: they catch ranks started with
// another model, other data or other options, not an adversary.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace embedlab {

constexpr uint64_t kChecksumSeed = 1469598103934665603ull;

uint64_t checksumBytes(const void* data, size_t n, uint64_t h = kChecksumSeed);
uint64_t checksumText(const std::string& s, uint64_t h = kChecksumSeed);
// Every tensor's name, shape, dtype and bytes, in name order.
uint64_t checksumTensors(const std::map<std::string, at::Tensor>& tensors, uint64_t h = kChecksumSeed);
// A file's size and the bytes of its first and last MiB (two reads, whatever its size; the caller adds
// what it already knows, such as the line count).
uint64_t checksumFileSample(const std::string& path, uint64_t h = kChecksumSeed);

}  // namespace embedlab
