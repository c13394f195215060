// embedlab ui — the data behind the embedding map: a plain value type fed with float arrays and
// strings (never tensors). N points in 2-D or 3-D, a compact label store (built for a million
// labels), optional metadata columns (numeric or categorical), an optional token-type column, and the
// number of rows that were excluded because they held NaN or Inf (shown on screen).
#pragma once

#include <QString>
#include <QStringList>
#include <QStringView>

#include <cstdint>
#include <vector>

namespace embedlab {

// Turkish case folding for search: İ → i, I → ı, then lower case (so "IŞIK" folds to "ışık" and
// "İstanbul" to "istanbul", while "Irmak" folds to "ırmak", not "irmak").
QString turkishFold(QStringView s);

enum class PointType : std::uint8_t { Normal = 0, Root, Suffix, Bpe, Special, Byte, Unknown };
constexpr int kPointTypeCount = 7;
QString pointTypeName(PointType t);              // "normal", "root", "suffix", "bpe", "special", ...
PointType pointTypeFromName(QStringView name);   // unknown names → PointType::Unknown

// All labels in one buffer plus offsets: ~2 bytes per character + 8 bytes per label, instead of a
// QString (and its heap block) per label.
class LabelStore {
public:
    LabelStore() = default;
    static LabelStore fromList(const QStringList& list);

    void reserve(qsizetype labels, qsizetype chars);
    void append(QStringView label);
    void clear();
    int size() const { return int(offsets_.size()) - 1; }
    bool isEmpty() const { return size() == 0; }
    QStringView view(int i) const {
        return QStringView(chars_).mid(offsets_[size_t(i)], offsets_[size_t(i) + 1] - offsets_[size_t(i)]);
    }
    QString at(int i) const { return view(i).toString(); }
    QStringList toList() const;
    // A new store with every label passed through turkishFold().
    LabelStore folded() const;

private:
    QString chars_;
    std::vector<qsizetype> offsets_{0};
};

// A metadata column: either numeric (continuous colormap) or categorical (codes into categories;
// categorical palette).
struct MetaColumn {
    enum class Kind { Numeric, Categorical };
    QString name;
    Kind kind = Kind::Categorical;
    std::vector<float> numbers;          // Numeric: one per row (NaN = missing)
    std::vector<std::int32_t> codes;     // Categorical: one per row, index into categories (-1 = missing)
    QStringList categories;

    static MetaColumn numeric(const QString& name, std::vector<float> values);
    // Categories are numbered in order of first appearance.
    static MetaColumn categorical(const QString& name, const QStringList& values);
    // Numeric if every non-empty value parses as a number, categorical otherwise.
    static MetaColumn guess(const QString& name, const QStringList& values);

    QString valueText(int row) const;
    bool isNumeric() const { return kind == Kind::Numeric; }
    // For Numeric: the finite range (lo == hi when constant; lo > hi when no finite values).
    void range(float* lo, float* hi) const;
};

struct MapData {
    int dims = 2;                        // 2 or 3
    std::vector<float> coords;           // size() * dims, row-major
    LabelStore labels;                   // empty, or one per row
    std::vector<MetaColumn> columns;     // each with one value per row
    std::vector<PointType> tokenTypes;   // empty, or one per row
    std::vector<std::int64_t> sourceRows;  // empty (row i is source row i), or the source row of each row
    int excluded = 0;                    // rows dropped because they held NaN/Inf

    int size() const { return dims > 0 ? int(coords.size() / size_t(dims)) : 0; }
    bool isEmpty() const { return size() == 0; }
    float x(int i) const { return coords[size_t(i) * size_t(dims)]; }
    float y(int i) const { return coords[size_t(i) * size_t(dims) + 1]; }
    float z(int i) const { return dims >= 3 ? coords[size_t(i) * size_t(dims) + 2] : 0.f; }
    QString label(int i) const { return i < labels.size() ? labels.at(i) : QString::number(sourceRow(i)); }
    std::int64_t sourceRow(int i) const { return sourceRows.empty() ? i : sourceRows[size_t(i)]; }
    // The map row holding a source row, or -1 (excluded or out of range).
    int rowOfSource(std::int64_t source) const;
    int columnIndex(const QString& name) const;

    // Builds map data from a row-major float matrix (n × dims, dims 2 or 3): rows holding NaN or Inf
    // are dropped and counted in `excluded`; sourceRows records where each kept row came from.
    // `labels` may be empty or hold n labels.
    static MapData fromArrays(const float* xyz, int n, int dims, const QStringList& labels = {});
    // Drops rows with non-finite coordinates (and their labels, metadata and token types) in place.
    void dropNonFinite();
    // Checks that every column has size() entries; returns a message or an empty string.
    QString validate() const;

    // "row,x,y[,z],label[,token_type][,column...]" with RFC 4180 quoting; `row` is the source row.
    QByteArray toCsv() const;
    // The tooltip text for a row: label, then "name: value" for the token type and every column.
    QString describe(int row) const;
};

// A CSV field with quotes when needed (commas, quotes, CR/LF, leading/trailing spaces).
QString csvField(const QString& s);

}  // namespace embedlab
