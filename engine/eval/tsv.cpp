#include "engine/eval/tsv.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace embedlab::eval {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
    return s.substr(b, e - b);
}

bool parseNumber(const std::string& s0, double& out) {
    const std::string s = trim(s0);
    if (s.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
    out = v;
    return true;
}

std::vector<TsvRow> readTsv(const std::string& path, size_t minFields, size_t maxFields, const std::string& what) {
    if (!isRegularFile(path)) throw Error::badInput("cannot open " + path + ": no such file");
    const std::string data = readFile(path);
    if (data.find('\0') != std::string::npos)
        throw Error::badInput(path + " looks like a binary file (it contains NUL bytes), not a tab-separated text file");
    std::vector<TsvRow> rows;
    size_t pos = 0;
    if (data.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
    int64_t lineNo = 0;
    while (pos < data.size()) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string::npos) nl = data.size();
        std::string line = data.substr(pos, nl - pos);
        pos = nl + 1;
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (trim(line).empty()) continue;
        TsvRow r;
        r.line = lineNo;
        size_t b = 0;
        while (true) {
            const size_t t = line.find('\t', b);
            if (t == std::string::npos) {
                r.fields.push_back(line.substr(b));
                break;
            }
            r.fields.push_back(line.substr(b, t - b));
            b = t + 1;
        }
        if (r.fields.size() < minFields || r.fields.size() > maxFields) {
            const std::string expected = minFields == maxFields
                                             ? std::to_string(minFields)
                                             : std::to_string(minFields) + "–" + std::to_string(maxFields);
            throw Error::badInput(path + ":" + std::to_string(lineNo) + ": expected " + expected +
                                  " tab-separated fields (" + what + "), found " + std::to_string(r.fields.size()));
        }
        rows.push_back(std::move(r));
    }
    if (rows.empty()) throw Error::badInput(path + " is empty: expected lines of " + what);
    return rows;
}

}  // namespace embedlab::eval
