// embedlab engine — NumPy .npy files (format version 1.0/2.0): float32/float64/int64 arrays, C order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

struct NpyArray {
    std::vector<int64_t> shape;
    std::vector<float> data;  // row-major, converted to float32
};

// Writes a float32 array of `shape` (product must equal data.size()) atomically. Throws Error(Runtime).
void writeNpy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
// The bytes before the data of a float32 .npy of `shape` (magic, version, padded header), for
// writers that stream the data themselves.
std::string npyPrefix(const std::vector<int64_t>& shape);
// Reads a little-endian <f4, <f8, <i8 or <i4 array in C order. Throws Error(BadInput) for anything else.
NpyArray readNpy(const std::string& path);

// The dimensions in a .npy header's shape tuple, the text between its parentheses ("3, 4"), and the
// bytes its data take at `elementSize` bytes an element. Throw Error(BadInput), prefixed by `where`,
// for a dimension or a size beyond 2^62 (a lying header must not overflow a size check).
std::vector<int64_t> parseNpyShape(const std::string& tuple, const std::string& where);
uint64_t npyDataBytes(const std::vector<int64_t>& shape, uint64_t elementSize, const std::string& where);

}  // namespace embedlab
