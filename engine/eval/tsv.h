// embedlab engine — reading the small tab-separated files of the evaluation tasks.
//
// UTF-8 (a BOM is skipped), LF or CRLF line ends, blank lines skipped, no quoting (a field is
// everything between two tabs). Every problem is an Error(BadInput) that names the file and line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::eval {

struct TsvRow {
    int64_t line = 0;  // 1-based line number in the file
    std::vector<std::string> fields;
};

// Reads `path`; every non-blank line must have between minFields and maxFields fields, otherwise
// Error(BadInput) "FILE:LINE: expected N tab-separated fields (what), found M".
std::vector<TsvRow> readTsv(const std::string& path, size_t minFields, size_t maxFields, const std::string& what);

// Parses a finite number; false when `s` is not one.
bool parseNumber(const std::string& s, double& out);

// Trims ASCII whitespace at both ends.
std::string trim(const std::string& s);

}  // namespace embedlab::eval
