#include "ui/map/map_data.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace embedlab {

QString turkishFold(QStringView s) {
    QString out;
    out.reserve(s.size());
    for (QChar c : s) {
        if (c == QChar(0x0130)) out.append(QLatin1Char('i'));        // İ → i
        else if (c == QLatin1Char('I')) out.append(QChar(0x0131));   // I → ı
        else out.append(c);
    }
    return out.toLower();
}

QString pointTypeName(PointType t) {
    switch (t) {
    case PointType::Normal: return QStringLiteral("normal");
    case PointType::Root: return QStringLiteral("root");
    case PointType::Suffix: return QStringLiteral("suffix");
    case PointType::Bpe: return QStringLiteral("bpe");
    case PointType::Special: return QStringLiteral("special");
    case PointType::Byte: return QStringLiteral("byte");
    case PointType::Unknown: return QStringLiteral("unknown");
    }
    return QStringLiteral("unknown");
}

PointType pointTypeFromName(QStringView name) {
    for (int i = 0; i < kPointTypeCount; ++i) {
        const auto t = PointType(i);
        if (name.compare(pointTypeName(t), Qt::CaseInsensitive) == 0) return t;
    }
    return PointType::Unknown;
}

// ---- LabelStore ----

LabelStore LabelStore::fromList(const QStringList& list) {
    LabelStore s;
    qsizetype chars = 0;
    for (const QString& l : list) chars += l.size();
    s.reserve(list.size(), chars);
    for (const QString& l : list) s.append(l);
    return s;
}

void LabelStore::reserve(qsizetype labels, qsizetype chars) {
    offsets_.reserve(size_t(labels) + 1);
    chars_.reserve(chars);
}

void LabelStore::append(QStringView label) {
    chars_.append(label);
    offsets_.push_back(chars_.size());
}

void LabelStore::clear() {
    chars_.clear();
    offsets_.assign(1, 0);
}

QStringList LabelStore::toList() const {
    QStringList out;
    out.reserve(size());
    for (int i = 0; i < size(); ++i) out.append(at(i));
    return out;
}

LabelStore LabelStore::folded() const {
    LabelStore s;
    s.reserve(size(), chars_.size());
    for (int i = 0; i < size(); ++i) s.append(turkishFold(view(i)));
    return s;
}

// ---- MetaColumn ----

MetaColumn MetaColumn::numeric(const QString& name, std::vector<float> values) {
    MetaColumn c;
    c.name = name;
    c.kind = Kind::Numeric;
    c.numbers = std::move(values);
    return c;
}

MetaColumn MetaColumn::categorical(const QString& name, const QStringList& values) {
    MetaColumn c;
    c.name = name;
    c.kind = Kind::Categorical;
    c.codes.reserve(size_t(values.size()));
    QHash<QString, int> index;
    for (const QString& v : values) {
        if (v.isEmpty()) {
            c.codes.push_back(-1);
            continue;
        }
        auto it = index.constFind(v);
        if (it == index.constEnd()) {
            it = index.insert(v, int(c.categories.size()));
            c.categories.append(v);
        }
        c.codes.push_back(*it);
    }
    return c;
}

MetaColumn MetaColumn::guess(const QString& name, const QStringList& values) {
    std::vector<float> nums;
    nums.reserve(size_t(values.size()));
    bool anyValue = false;
    for (const QString& v : values) {
        const QString t = v.trimmed();
        if (t.isEmpty()) {
            nums.push_back(std::nanf(""));
            continue;
        }
        bool ok = false;
        const float f = t.toFloat(&ok);
        if (!ok) return categorical(name, values);
        nums.push_back(f);
        anyValue = true;
    }
    if (!anyValue) return categorical(name, values);
    return numeric(name, std::move(nums));
}

QString MetaColumn::valueText(int row) const {
    if (kind == Kind::Numeric) {
        if (row < 0 || size_t(row) >= numbers.size() || !std::isfinite(numbers[size_t(row)])) return {};
        return QString::number(double(numbers[size_t(row)]), 'g', 6);
    }
    if (row < 0 || size_t(row) >= codes.size()) return {};
    const int c = codes[size_t(row)];
    return c >= 0 && c < categories.size() ? categories[c] : QString();
}

void MetaColumn::range(float* lo, float* hi) const {
    float a = INFINITY, b = -INFINITY;
    for (float v : numbers) {
        if (!std::isfinite(v)) continue;
        a = std::min(a, v);
        b = std::max(b, v);
    }
    *lo = a;
    *hi = b;
}

// ---- MapData ----

int MapData::rowOfSource(std::int64_t source) const {
    if (sourceRows.empty()) return source >= 0 && source < size() ? int(source) : -1;
    // sourceRows is increasing when built by fromArrays/dropNonFinite; fall back to a scan otherwise.
    auto it = std::lower_bound(sourceRows.begin(), sourceRows.end(), source);
    if (it != sourceRows.end() && *it == source) return int(it - sourceRows.begin());
    for (size_t i = 0; i < sourceRows.size(); ++i)
        if (sourceRows[i] == source) return int(i);
    return -1;
}

int MapData::columnIndex(const QString& name) const {
    for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name) return int(i);
    return -1;
}

MapData MapData::fromArrays(const float* xyz, int n, int dims, const QStringList& labels) {
    MapData d;
    d.dims = dims == 3 ? 3 : 2;
    const int srcDims = dims;
    d.coords.reserve(size_t(n) * size_t(d.dims));
    d.sourceRows.reserve(size_t(n));
    const bool withLabels = labels.size() == n;
    for (int i = 0; i < n; ++i) {
        const float* r = xyz + size_t(i) * size_t(srcDims);
        bool finite = true;
        for (int k = 0; k < srcDims; ++k) finite = finite && std::isfinite(r[k]);
        if (!finite) {
            ++d.excluded;
            continue;
        }
        for (int k = 0; k < d.dims; ++k) d.coords.push_back(k < srcDims ? r[k] : 0.f);
        d.sourceRows.push_back(i);
        if (withLabels) d.labels.append(labels[i]);
    }
    if (d.excluded == 0) d.sourceRows.clear();
    return d;
}

void MapData::dropNonFinite() {
    const int n = size();
    std::vector<int> keep;
    keep.reserve(size_t(n));
    for (int i = 0; i < n; ++i) {
        bool finite = true;
        for (int k = 0; k < dims; ++k) finite = finite && std::isfinite(coords[size_t(i) * size_t(dims) + size_t(k)]);
        if (finite) keep.push_back(i);
    }
    if (int(keep.size()) == n) return;
    excluded += n - int(keep.size());
    std::vector<float> c;
    c.reserve(keep.size() * size_t(dims));
    LabelStore l;
    std::vector<PointType> t;
    std::vector<std::int64_t> src;
    for (int i : keep) {
        for (int k = 0; k < dims; ++k) c.push_back(coords[size_t(i) * size_t(dims) + size_t(k)]);
        if (i < labels.size()) l.append(labels.view(i));
        if (size_t(i) < tokenTypes.size()) t.push_back(tokenTypes[size_t(i)]);
        src.push_back(sourceRow(i));
    }
    for (MetaColumn& col : columns) {
        if (col.isNumeric()) {
            std::vector<float> v;
            v.reserve(keep.size());
            for (int i : keep) v.push_back(size_t(i) < col.numbers.size() ? col.numbers[size_t(i)] : std::nanf(""));
            col.numbers = std::move(v);
        } else {
            std::vector<std::int32_t> v;
            v.reserve(keep.size());
            for (int i : keep) v.push_back(size_t(i) < col.codes.size() ? col.codes[size_t(i)] : -1);
            col.codes = std::move(v);
        }
    }
    coords = std::move(c);
    labels = std::move(l);
    tokenTypes = std::move(t);
    sourceRows = std::move(src);
}

QString MapData::validate() const {
    if (dims != 2 && dims != 3) return QStringLiteral("map data must be 2-D or 3-D (got %1-D)").arg(dims);
    if (coords.size() % size_t(dims) != 0) return QStringLiteral("coordinate count is not a multiple of %1").arg(dims);
    const int n = size();
    if (!labels.isEmpty() && labels.size() != n)
        return QStringLiteral("%1 labels for %2 points").arg(labels.size()).arg(n);
    if (!tokenTypes.empty() && int(tokenTypes.size()) != n)
        return QStringLiteral("%1 token types for %2 points").arg(tokenTypes.size()).arg(n);
    if (!sourceRows.empty() && int(sourceRows.size()) != n)
        return QStringLiteral("%1 source rows for %2 points").arg(sourceRows.size()).arg(n);
    for (const MetaColumn& c : columns) {
        const size_t m = c.isNumeric() ? c.numbers.size() : c.codes.size();
        if (int(m) != n) return QStringLiteral("column '%1' has %2 values for %3 points").arg(c.name).arg(m).arg(n);
    }
    return {};
}

QString csvField(const QString& s) {
    const bool quote = s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) ||
                       s.contains(QLatin1Char('\n')) || s.contains(QLatin1Char('\r')) ||
                       (!s.isEmpty() && (s.front().isSpace() || s.back().isSpace()));
    if (!quote) return s;
    QString q = s;
    q.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QByteArray MapData::toCsv() const {
    QString out;
    out += QStringLiteral("row,x,y");
    if (dims == 3) out += QStringLiteral(",z");
    out += QStringLiteral(",label");
    if (!tokenTypes.empty()) out += QStringLiteral(",token_type");
    for (const MetaColumn& c : columns) out += QLatin1Char(',') + csvField(c.name);
    out += QLatin1Char('\n');
    const int n = size();
    for (int i = 0; i < n; ++i) {
        out += QString::number(sourceRow(i));
        for (int k = 0; k < dims; ++k)
            out += QLatin1Char(',') + QString::number(double(coords[size_t(i) * size_t(dims) + size_t(k)]), 'g', 9);
        out += QLatin1Char(',') + csvField(i < labels.size() ? labels.at(i) : QString());
        if (!tokenTypes.empty()) out += QLatin1Char(',') + pointTypeName(tokenTypes[size_t(i)]);
        for (const MetaColumn& c : columns) out += QLatin1Char(',') + csvField(c.valueText(i));
        out += QLatin1Char('\n');
    }
    return out.toUtf8();
}

QString MapData::describe(int row) const {
    if (row < 0 || row >= size()) return {};
    QString s = label(row);
    s += QStringLiteral("\nrow: %1").arg(sourceRow(row));
    if (size_t(row) < tokenTypes.size()) s += QStringLiteral("\ntoken type: ") + pointTypeName(tokenTypes[size_t(row)]);
    for (const MetaColumn& c : columns) s += QStringLiteral("\n%1: %2").arg(c.name, c.valueText(row));
    return s;
}

}  // namespace embedlab
