// embedlab engine — sets of vectors for the embedding explorer: reading the common interchange formats
// (word2vec text and binary, GloVe text, fastText .vec, TensorFlow Projector TSV + metadata TSV, .npy,
// safetensors) into one float32 matrix with labels, and writing Projector TSV and coordinate CSV.
//
// Readers stream: text is parsed line by line and rows are appended to one growing buffer that
// becomes the tensor without a copy; .npy and word2vec binary are read row by row into a preallocated
// tensor. A matrix that cannot fit (more than the `maxMatrixBytes` limit, by default 80% of the memory
// available) is refused up front with a message, before anything is allocated.
//
// Bad input: rows holding NaN or Inf are excluded and reported (with their source rows), a ragged line
// is an error that names the file and the line, 1-D data and empty files are errors, duplicate rows
// are counted (and kept). All errors are Error(BadInput).
#pragma once

#include "engine/jobs/progress.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

struct VectorSet {
    at::Tensor data;                                 // [N, D] float32, contiguous, CPU
    std::vector<std::string> labels;                 // N labels, or empty when the source has none
    std::vector<std::string> metadataHeader;         // column names of `metadata` (may be empty)
    std::vector<std::vector<std::string>> metadata;  // N rows of metadata columns, or empty
    std::vector<int64_t> sourceRows;                 // row in the source file of each kept row

    int64_t size() const;
    int64_t dim() const;
    // labels[i], or the source row number when there are no labels.
    std::string label(int64_t i) const;
};

enum class VectorFormat { Auto, Word2VecText, Word2VecBinary, GloveText, FastTextVec, ProjectorTsv, Npy, SafeTensors };

std::string vectorFormatName(VectorFormat f);
// "word2vec", "word2vec-binary", "glove", "fasttext", "tsv", "npy", "safetensors" (or "auto").
VectorFormat parseVectorFormat(const std::string& name);
// Guesses the format from the extension and the first bytes of the file.
VectorFormat detectVectorFormat(const std::string& path);

struct VectorReadOptions {
    VectorFormat format = VectorFormat::Auto;
    std::string tensorName;    // safetensors: the tensor to read ("" → the only 2-D tensor)
    std::string metadataPath;  // Projector TSV: its metadata TSV ("" → none)
    bool dropNonFinite = true; // false → a NaN/Inf row is an error instead
    uint64_t maxMatrixBytes = 0;  // 0 → 80% of MemAvailable
};

struct VectorReadReport {
    VectorFormat format = VectorFormat::Auto;
    int64_t rowsRead = 0;       // rows in the source
    int64_t rowsKept = 0;       // rows in the VectorSet
    int64_t nonFiniteRows = 0;  // rows excluded because they hold NaN or Inf
    std::vector<int64_t> nonFiniteSourceRows;  // their source rows (0-based), at most the first 1000
    int64_t duplicateRows = 0;  // kept rows that repeat an earlier row exactly
    std::vector<std::string> warnings;
};

// Reads a vectors file. Throws Error(BadInput) with the file (and line) for malformed input, and
// Error(BadInput) "too large" when the matrix cannot fit. Reports progress by bytes read.
VectorSet readVectors(const std::string& path, const VectorReadOptions& options = {},
                      VectorReadReport* report = nullptr, Progress& progress = nullProgress());

// Excludes rows of `data` (a 2-D float tensor) that hold NaN or Inf; returns the kept row indices.
std::vector<int64_t> finiteRows(const at::Tensor& data);
// Counts rows that are exact repeats of an earlier row.
int64_t countDuplicateRows(const at::Tensor& data);

// TensorFlow Projector: vectors TSV (one row per line, values separated by tabs) and metadata TSV
// (a single label column without a header, or a header line + columns when there is metadata).
// Tabs, newlines and backslashes in labels are escaped as \t, \n, \r and \\ (and unescaped on read).
void writeProjectorTsv(const VectorSet& set, const std::string& vectorsPath, const std::string& metadataPath = {});
std::string escapeTsvField(const std::string& s);
std::string unescapeTsvField(const std::string& s);

// CSV of coordinates: header `row,label,x,y[,z]`, one line per row of `coords` [N, 2|3]; labels are
// quoted as RFC 4180 requires. `rows` (optional) gives the row number written for each line. Rows of
// NaN are written as `nan`.
void writeCoordinatesCsv(const std::string& path, const at::Tensor& coords, const std::vector<std::string>& labels = {},
                         const std::vector<int64_t>& rows = {});

// 80% of MemAvailable (from /proc/meminfo), or 4 GiB when unknown.
uint64_t defaultMaxMatrixBytes();

}  // namespace embedlab
