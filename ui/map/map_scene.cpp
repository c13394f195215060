#include "ui/map/map_scene.h"

#include "ui/common/export.h"

#include <QFileInfo>
#include <QFontMetricsF>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QtMath>

#include <algorithm>
#include <climits>
#include <cmath>

namespace embedlab {

namespace {

// Tableau's 20 categorical colours with its two greys replaced (by tab20b's indigo and olive): grey is
// what a point without a value gets (kMissing), and a category must never look missing.
constexpr QRgb kPalette[20] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2,
                               0x393b79, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896,
                               0xc5b0d5, 0xc49c94, 0xf7b6d2, 0x637939, 0xdbdb8d, 0x9edae5};
constexpr QRgb kViridis[9] = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                              0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};
const QColor kMissing(0xc8, 0xc8, 0xc8);

void sortUnique(std::vector<int>& v, int n) {
    v.erase(std::remove_if(v.begin(), v.end(), [n](int r) { return r < 0 || r >= n; }), v.end());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

MapScene::MapScene() = default;

// ---------------------------------------------------------------- data

void MapScene::setData(MapData data) {
    data.dropNonFinite();
    data_ = std::move(data);
    const int n = data_.size();
    pos3_.resize(size_t(n) * 3);
    for (int i = 0; i < n; ++i) {
        pos3_[size_t(i) * 3] = data_.x(i);
        pos3_[size_t(i) * 3 + 1] = data_.y(i);
        pos3_[size_t(i) * 3 + 2] = data_.z(i);
    }
    grid2d_.build(pos3_.data(), n, 3);
    grid3dCamera_ = ~0ull;
    folded_.clear();
    foldedValid_ = false;
    selection_.clear();
    highlighted_.clear();
    matches_.clear();
    hovered_ = -1;
    if (colorMode_ == ColorMode::Column && size_t(colorColumn_) >= data_.columns.size()) colorMode_ = ColorMode::Uniform;
    if (colorMode_ == ColorMode::PointType && data_.tokenTypes.empty()) colorMode_ = ColorMode::Uniform;
    ++dataVersion_;
    rebuildColors();
    if (!search_.isEmpty()) setSearch(search_);
    touchOverlay();
    fitToData();
}

// ---------------------------------------------------------------- camera

void MapScene::setViewport(const QSize& s) {
    const QSize v(std::max(1, s.width()), std::max(1, s.height()));
    if (v == viewport_) return;
    viewport_ = v;
    touchCamera();
}

void MapScene::set3D(bool on) {
    if (mode3d_ == on) return;
    mode3d_ = on;
    hovered_ = -1;
    touchOverlay();
    touchCamera();
}

void MapScene::fitToData() {
    const int n = size();
    QVector3D lo(0, 0, 0), hi(0, 0, 0);
    if (n > 0) {
        lo = hi = QVector3D(pos3_[0], pos3_[1], pos3_[2]);
        for (int i = 1; i < n; ++i) {
            const QVector3D p(pos3_[size_t(i) * 3], pos3_[size_t(i) * 3 + 1], pos3_[size_t(i) * 3 + 2]);
            lo = QVector3D(std::min(lo.x(), p.x()), std::min(lo.y(), p.y()), std::min(lo.z(), p.z()));
            hi = QVector3D(std::max(hi.x(), p.x()), std::max(hi.y(), p.y()), std::max(hi.z(), p.z()));
        }
    }
    target_ = (lo + hi) * 0.5f;
    center_ = QPointF(target_.x(), target_.y());
    const double w = std::max(1e-9, double(hi.x() - lo.x())), h = std::max(1e-9, double(hi.y() - lo.y()));
    const double margin = 24.0;
    scale_ = std::min((viewport_.width() - 2 * margin) / w, (viewport_.height() - 2 * margin) / h);
    if (!(scale_ > 0) || !std::isfinite(scale_)) scale_ = 1.0;
    if (n <= 1) scale_ = 1.0;
    radius_ = std::max(1e-6, double((hi - lo).length()) * 0.5);
    yaw_ = 30.0;
    pitch_ = 20.0;
    distance_ = radius_ / std::sin(qDegreesToRadians(kFovDeg / 2)) * 1.05;
    touchCamera();
}

void MapScene::setView2D(const QPointF& center, double scale) {
    center_ = center;
    scale_ = std::clamp(scale, 1e-12, 1e12);
    touchCamera();
}

void MapScene::setCamera(const Camera& c) {
    set3D(c.is3d);
    center_ = c.center;
    scale_ = std::clamp(c.scale, 1e-12, 1e12);
    target_ = c.target;
    yaw_ = c.yaw;
    pitch_ = std::clamp(c.pitch, -89.0, 89.0);
    distance_ = std::clamp(c.distance, 1e-9, 1e12);
    touchCamera();
}

double MapScene::viewHeightAt(double dist) const { return 2.0 * dist * std::tan(qDegreesToRadians(kFovDeg / 2)); }

void MapScene::pan(const QPointF& d) {
    if (!mode3d_) {
        center_ -= QPointF(d.x() / scale_, -d.y() / scale_);
    } else {
        QMatrix4x4 rot;
        rot.rotate(float(yaw_), 0, 1, 0);
        rot.rotate(float(-pitch_), 1, 0, 0);
        const QVector3D right = rot.map(QVector3D(1, 0, 0)), up = rot.map(QVector3D(0, 1, 0));
        const double perPx = viewHeightAt(distance_) / viewport_.height();
        target_ -= right * float(d.x() * perPx);
        target_ += up * float(d.y() * perPx);
    }
    touchCamera();
}

void MapScene::zoomAt(const QPointF& pos, double factor) {
    if (!(factor > 0) || !std::isfinite(factor)) return;
    if (!mode3d_) {
        const QPointF before = toData(pos);
        scale_ = std::clamp(scale_ * factor, 1e-12, 1e12);
        const QPointF after = toData(pos);
        center_ += before - after;
    } else {
        distance_ = std::clamp(distance_ / factor, radius_ * 1e-3, radius_ * 1e3);
    }
    touchCamera();
}

void MapScene::orbit(double dyaw, double dpitch) {
    yaw_ = std::fmod(yaw_ + dyaw, 360.0);
    pitch_ = std::clamp(pitch_ + dpitch, -89.0, 89.0);
    touchCamera();
}

QMatrix4x4 MapScene::mvp() const {
    QMatrix4x4 m;
    const double w = viewport_.width(), h = viewport_.height();
    if (!mode3d_) {
        const double sx = 2.0 * scale_ / w, sy = 2.0 * scale_ / h;
        m = QMatrix4x4(float(sx), 0, 0, float(-center_.x() * sx),  //
                       0, float(sy), 0, float(-center_.y() * sy),  //
                       0, 0, 1, 0,                                 //
                       0, 0, 0, 1);
        return m;
    }
    const double yaw = qDegreesToRadians(yaw_), pitch = qDegreesToRadians(pitch_);
    const QVector3D eye = target_ + float(distance_) * QVector3D(float(std::cos(pitch) * std::sin(yaw)), float(std::sin(pitch)),
                                                                 float(std::cos(pitch) * std::cos(yaw)));
    QMatrix4x4 proj, view;
    const double nearP = std::max(distance_ - radius_ * 2.0, distance_ * 0.01);
    proj.perspective(float(kFovDeg), float(w / h), float(nearP), float(distance_ + radius_ * 4.0));
    view.lookAt(eye, target_, QVector3D(0, 1, 0));
    return proj * view;
}

QPointF MapScene::project(float x, float y, float z, bool* inFront) const {
    const double w = viewport_.width(), h = viewport_.height();
    if (!mode3d_) {
        if (inFront) *inFront = true;
        return QPointF(w / 2 + (double(x) - center_.x()) * scale_, h / 2 - (double(y) - center_.y()) * scale_);
    }
    const QMatrix4x4 m = mvp();
    const float* d = m.constData();  // column-major
    const double cx = d[0] * double(x) + d[4] * double(y) + d[8] * double(z) + d[12];
    const double cy = d[1] * double(x) + d[5] * double(y) + d[9] * double(z) + d[13];
    const double cw = d[3] * double(x) + d[7] * double(y) + d[11] * double(z) + d[15];
    if (inFront) *inFront = cw > 1e-9;
    if (!(cw > 1e-9)) return QPointF(-1e9, -1e9);
    return QPointF((cx / cw + 1.0) * 0.5 * w, (1.0 - cy / cw) * 0.5 * h);
}

QPointF MapScene::screenPos(int row, bool* visible) const {
    if (row < 0 || row >= size()) {
        if (visible) *visible = false;
        return {};
    }
    bool front = true;
    const QPointF p = project(pos3_[size_t(row) * 3], pos3_[size_t(row) * 3 + 1], pos3_[size_t(row) * 3 + 2], &front);
    if (visible)
        *visible = front && p.x() >= 0 && p.y() >= 0 && p.x() <= viewport_.width() && p.y() <= viewport_.height();
    return p;
}

QPointF MapScene::toData(const QPointF& s) const {
    return QPointF(center_.x() + (s.x() - viewport_.width() / 2.0) / scale_,
                   center_.y() - (s.y() - viewport_.height() / 2.0) / scale_);
}

QRectF MapScene::visibleDataRect() const {
    const QPointF a = toData(QPointF(0, viewport_.height())), b = toData(QPointF(viewport_.width(), 0));
    return QRectF(a, b).normalized();
}

// ---------------------------------------------------------------- colours

QColor MapScene::tokenTypeColor(PointType t) {
    switch (t) {
    case PointType::Normal: return QColor(0x7f, 0x7f, 0x7f);
    case PointType::Root: return QColor(0x1f, 0x77, 0xb4);
    case PointType::Suffix: return QColor(0xff, 0x7f, 0x0e);
    case PointType::Bpe: return QColor(0x2c, 0xa0, 0x2c);
    case PointType::Special: return QColor(0xd6, 0x27, 0x28);
    case PointType::Byte: return QColor(0x94, 0x67, 0xbd);
    case PointType::Unknown: return QColor(0xc7, 0xc7, 0xc7);
    }
    return kMissing;
}

QColor MapScene::categoricalColor(int code) {
    if (code < 0) return kMissing;
    return QColor(kPalette[code % 20]);
}

QColor MapScene::continuousColor(double t) {
    if (!std::isfinite(t)) return kMissing;
    t = std::clamp(t, 0.0, 1.0) * 8.0;
    const int i = std::min(7, int(t));
    const double f = t - i;
    const QColor a(kViridis[i]), b(kViridis[i + 1]);
    return QColor(int(std::lround(a.red() + (b.red() - a.red()) * f)), int(std::lround(a.green() + (b.green() - a.green()) * f)),
                  int(std::lround(a.blue() + (b.blue() - a.blue()) * f)));
}

QColor MapScene::roleColor(Role r) {
    switch (r) {
    case SearchMatch: return QColor(0xf2, 0xb4, 0x00);
    case Highlight: return QColor(0xe6, 0x00, 0x7e);
    case Selected: return QColor(0x11, 0x11, 0x11);
    case Hovered: return QColor(0xff, 0x00, 0x00);
    }
    return Qt::black;
}

void MapScene::setUniformColor(const QColor& c) {
    uniform_ = c;
    if (colorMode_ == ColorMode::Uniform) rebuildColors();
}

void MapScene::setColorByNone() {
    colorMode_ = ColorMode::Uniform;
    colorColumn_ = -1;
    rebuildColors();
}

bool MapScene::setColorByColumn(int column) {
    if (column < 0 || size_t(column) >= data_.columns.size()) return false;
    colorMode_ = ColorMode::Column;
    colorColumn_ = column;
    rebuildColors();
    return true;
}

bool MapScene::setColorByColumn(const QString& name) { return setColorByColumn(data_.columnIndex(name)); }

bool MapScene::setColorByTokenType() {
    if (data_.tokenTypes.empty()) return false;
    colorMode_ = ColorMode::PointType;
    colorColumn_ = -1;
    rebuildColors();
    return true;
}

void MapScene::rebuildColors() {
    const int n = size();
    rgba_.resize(size_t(n) * 4);
    auto put = [this](int i, const QColor& c) {
        std::uint8_t* p = &rgba_[size_t(i) * 4];
        p[0] = std::uint8_t(c.red());
        p[1] = std::uint8_t(c.green());
        p[2] = std::uint8_t(c.blue());
        p[3] = 255;
    };
    if (colorMode_ == ColorMode::PointType && int(data_.tokenTypes.size()) == n) {
        QColor lut[kPointTypeCount];
        for (int t = 0; t < kPointTypeCount; ++t) lut[t] = tokenTypeColor(PointType(t));
        for (int i = 0; i < n; ++i) put(i, lut[std::min<int>(kPointTypeCount - 1, int(data_.tokenTypes[size_t(i)]))]);
    } else if (colorMode_ == ColorMode::Column && size_t(colorColumn_) < data_.columns.size()) {
        const MetaColumn& c = data_.columns[size_t(colorColumn_)];
        if (c.isNumeric()) {
            float lo, hi;
            c.range(&lo, &hi);
            const double span = hi > lo ? double(hi) - double(lo) : 1.0;
            for (int i = 0; i < n; ++i) {
                const float v = size_t(i) < c.numbers.size() ? c.numbers[size_t(i)] : std::nanf("");
                put(i, continuousColor(std::isfinite(v) ? (double(v) - double(lo)) / span : NAN));
            }
        } else {
            for (int i = 0; i < n; ++i) put(i, categoricalColor(size_t(i) < c.codes.size() ? c.codes[size_t(i)] : -1));
        }
    } else {
        for (int i = 0; i < n; ++i) put(i, uniform_);
    }
    ++colorsVersion_;
}

QColor MapScene::pointColor(int row) const {
    if (row < 0 || row >= size()) return {};
    const std::uint8_t* p = &rgba_[size_t(row) * 4];
    return QColor(p[0], p[1], p[2], p[3]);
}

QVector<QPair<QString, QColor>> MapScene::legend(int max) const {
    QVector<QPair<QString, QColor>> out;
    if (colorMode_ == ColorMode::PointType) {
        std::vector<int> count(kPointTypeCount, 0);
        for (PointType t : data_.tokenTypes) ++count[std::min<int>(kPointTypeCount - 1, int(t))];
        for (int t = 0; t < kPointTypeCount && out.size() < max; ++t)
            if (count[size_t(t)] > 0) out.append({pointTypeName(PointType(t)), tokenTypeColor(PointType(t))});
    } else if (colorMode_ == ColorMode::Column && size_t(colorColumn_) < data_.columns.size()) {
        const MetaColumn& c = data_.columns[size_t(colorColumn_)];
        if (c.isNumeric()) {
            float lo, hi;
            c.range(&lo, &hi);
            if (lo <= hi) {
                out.append({QString::number(double(lo), 'g', 4), continuousColor(0.0)});
                out.append({QString::number((double(lo) + double(hi)) / 2, 'g', 4), continuousColor(0.5)});
                out.append({QString::number(double(hi), 'g', 4), continuousColor(1.0)});
            }
        } else {
            for (int k = 0; k < c.categories.size() && out.size() < max; ++k) out.append({c.categories[k], categoricalColor(k)});
            if (c.categories.size() > max && !out.isEmpty())
                out.back().first = QStringLiteral("… %1 more").arg(c.categories.size() - max + 1);
        }
    }
    return out;
}

// ---------------------------------------------------------------- state

void MapScene::setSelection(std::vector<int> rows) {
    sortUnique(rows, size());
    selection_ = std::move(rows);
    touchOverlay();
}

void MapScene::setHighlighted(std::vector<int> rows) {
    sortUnique(rows, size());
    highlighted_ = std::move(rows);
    touchOverlay();
}

bool MapScene::labelMatches(QStringView label, QStringView query) {
    return turkishFold(label).contains(turkishFold(query));
}

int MapScene::setSearch(const QString& query) {
    search_ = query;
    matches_.clear();
    const QString q = turkishFold(query.trimmed());
    if (!q.isEmpty() && !data_.labels.isEmpty()) {
        if (!foldedValid_) {
            folded_ = data_.labels.folded();
            foldedValid_ = true;
        }
        const int n = std::min(size(), folded_.size());
        for (int i = 0; i < n; ++i)
            if (folded_.view(i).contains(q)) matches_.push_back(i);
    }
    touchOverlay();
    return int(matches_.size());
}

void MapScene::setHovered(int row) {
    if (row < -1 || row >= size()) row = -1;
    if (row == hovered_) return;
    hovered_ = row;
    touchOverlay();
}

const std::vector<MapScene::OverlayPoint>& MapScene::overlay() const {
    if (!overlayDirty_) return overlay_;
    overlay_.clear();
    // Merge the three sorted lists.
    size_t a = 0, b = 0, c = 0;
    const size_t na = matches_.size(), nb = highlighted_.size(), nc = selection_.size();
    while (a < na || b < nb || c < nc) {
        int r = INT_MAX;
        if (a < na) r = std::min(r, matches_[a]);
        if (b < nb) r = std::min(r, highlighted_[b]);
        if (c < nc) r = std::min(r, selection_[c]);
        std::uint8_t roles = 0;
        if (a < na && matches_[a] == r) roles |= SearchMatch, ++a;
        if (b < nb && highlighted_[b] == r) roles |= Highlight, ++b;
        if (c < nc && selection_[c] == r) roles |= Selected, ++c;
        if (r != hovered_) overlay_.push_back({r, roles});
    }
    if (hovered_ >= 0) {
        std::uint8_t roles = Hovered;
        if (std::binary_search(matches_.begin(), matches_.end(), hovered_)) roles |= SearchMatch;
        if (std::binary_search(highlighted_.begin(), highlighted_.end(), hovered_)) roles |= Highlight;
        if (std::binary_search(selection_.begin(), selection_.end(), hovered_)) roles |= Selected;
        overlay_.push_back({hovered_, roles});
    }
    overlayDirty_ = false;
    return overlay_;
}

// ---------------------------------------------------------------- picking

const SpatialGrid& MapScene::screenGrid() const {
    if (grid3dCamera_ != cameraVersion_ || grid3dViewport_ != viewport_) {
        const int n = size();
        std::vector<float> xy(size_t(n) * 2);
        for (int i = 0; i < n; ++i) {
            bool front = true;
            const QPointF p = project(pos3_[size_t(i) * 3], pos3_[size_t(i) * 3 + 1], pos3_[size_t(i) * 3 + 2], &front);
            xy[size_t(i) * 2] = front ? float(p.x()) : NAN;
            xy[size_t(i) * 2 + 1] = front ? float(p.y()) : NAN;
        }
        grid3d_.build(xy.data(), n, 2, nullptr, 2);
        grid3dCamera_ = cameraVersion_;
        grid3dViewport_ = viewport_;
    }
    return grid3d_;
}

std::vector<int> MapScene::candidates(const QRectF& screenRect) const {
    std::vector<int> out;
    const QRectF r = screenRect.normalized().adjusted(-1, -1, 1, 1);
    if (!mode3d_) {
        const QRectF d = QRectF(toData(r.bottomLeft()), toData(r.topRight())).normalized();
        grid2d_.forEachCandidate(d, [&](int id, float, float) { out.push_back(id); });
    } else {
        screenGrid().forEachCandidate(r, [&](int id, float, float) { out.push_back(id); });
    }
    return out;
}

int MapScene::pick(const QPointF& pos, double radiusPx) const {
    if (size() == 0) return -1;
    if (!mode3d_) {
        // Candidates from the data-space grid, distances in screen space.
        int best = -1;
        double bestD = radiusPx * radiusPx;
        const QRectF r(pos.x() - radiusPx - 1, pos.y() - radiusPx - 1, 2 * radiusPx + 2, 2 * radiusPx + 2);
        const QRectF d = QRectF(toData(r.bottomLeft()), toData(r.topRight())).normalized();
        grid2d_.forEachCandidate(d, [&](int id, float, float) {
            const QPointF p = screenPos(id);
            const double dx = p.x() - pos.x(), dy = p.y() - pos.y(), dd = dx * dx + dy * dy;
            if (dd < bestD || (dd == bestD && (best < 0 || id < best))) {
                bestD = dd;
                best = id;
            }
        });
        return best;
    }
    return screenGrid().nearest(pos.x(), pos.y(), radiusPx);
}

std::vector<int> MapScene::rowsInRect(const QRectF& rect) const {
    const QRectF r = rect.normalized();
    std::vector<int> out;
    for (int id : candidates(r)) {
        bool front = true;
        const QPointF p = project(pos3_[size_t(id) * 3], pos3_[size_t(id) * 3 + 1], pos3_[size_t(id) * 3 + 2], &front);
        if (front && p.x() >= r.left() && p.x() <= r.right() && p.y() >= r.top() && p.y() <= r.bottom()) out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<int> MapScene::rowsInPolygon(const QPolygonF& poly) const {
    std::vector<int> out;
    if (poly.size() < 3) return out;
    for (int id : candidates(poly.boundingRect())) {
        bool front = true;
        const QPointF p = project(pos3_[size_t(id) * 3], pos3_[size_t(id) * 3 + 1], pos3_[size_t(id) * 3 + 2], &front);
        if (front && pointInPolygon(poly, p.x(), p.y())) out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::int64_t MapScene::visibleCountApprox() const {
    if (mode3d_) return size();
    return grid2d_.countApprox(visibleDataRect());
}

// ---------------------------------------------------------------- drawing

float MapScene::pointSize() const {
    if (pointSize_ > 0) return pointSize_;
    const int n = size();
    return n <= 2000 ? 7.f : n <= 20000 ? 5.f : n <= 200000 ? 3.f : 2.f;
}

float MapScene::pointAlpha() const {
    if (pointAlpha_ > 0) return std::min(1.f, pointAlpha_);
    const int n = size();
    return n <= 20000 ? 1.f : n <= 200000 ? 0.75f : 0.6f;
}

QImage MapScene::densityImage(double dpr, int cell) const {
    cell = std::max(1, cell);
    const int W = std::max(1, int(std::ceil(viewport_.width() * dpr / cell)));
    const int H = std::max(1, int(std::ceil(viewport_.height() * dpr / cell)));
    std::vector<std::uint32_t> acc(size_t(W) * size_t(H) * 4, 0);
    const int n = size();
    const double k = dpr / cell;
    auto add = [&](int i, double sx, double sy) {
        if (!(sx >= 0 && sy >= 0)) return;
        const int cx = int(sx * k), cy = int(sy * k);
        if (cx >= W || cy >= H) return;
        std::uint32_t* a = &acc[(size_t(cy) * size_t(W) + size_t(cx)) * 4];
        const std::uint8_t* c = &rgba_[size_t(i) * 4];
        a[0] += 1;
        a[1] += c[0];
        a[2] += c[1];
        a[3] += c[2];
    };
    if (!mode3d_) {
        const double hw = viewport_.width() / 2.0, hh = viewport_.height() / 2.0, cx = center_.x(), cy = center_.y(), s = scale_;
        for (int i = 0; i < n; ++i)
            add(i, hw + (double(pos3_[size_t(i) * 3]) - cx) * s, hh - (double(pos3_[size_t(i) * 3 + 1]) - cy) * s);
    } else {
        const QMatrix4x4 m = mvp();
        const float* d = m.constData();
        const double w = viewport_.width(), h = viewport_.height();
        for (int i = 0; i < n; ++i) {
            const double x = pos3_[size_t(i) * 3], y = pos3_[size_t(i) * 3 + 1], z = pos3_[size_t(i) * 3 + 2];
            const double cw = d[3] * x + d[7] * y + d[11] * z + d[15];
            if (!(cw > 1e-9)) continue;
            const double px = d[0] * x + d[4] * y + d[8] * z + d[12], py = d[1] * x + d[5] * y + d[9] * z + d[13];
            add(i, (px / cw + 1.0) * 0.5 * w, (1.0 - py / cw) * 0.5 * h);
        }
    }
    std::uint32_t maxC = 0;
    for (size_t c = 0; c < size_t(W) * size_t(H); ++c) maxC = std::max(maxC, acc[c * 4]);
    QImage img(W, H, QImage::Format_ARGB32_Premultiplied);
    img.fill(Qt::transparent);
    if (maxC == 0) return img;
    const double logMax = std::log1p(double(maxC));
    for (int y = 0; y < H; ++y) {
        QRgb* line = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < W; ++x) {
            const std::uint32_t* a = &acc[(size_t(y) * size_t(W) + size_t(x)) * 4];
            if (a[0] == 0) continue;
            // Opacity from log density; colour the mean colour of the cell, darkened where dense.
            const double t = std::log1p(double(a[0])) / logMax;
            const double alpha = 0.35 + 0.65 * t;
            const double shade = 1.0 - 0.35 * t;
            const double r = a[1] / double(a[0]) * shade, g = a[2] / double(a[0]) * shade, b = a[3] / double(a[0]) * shade;
            line[x] = qRgba(int(r * alpha), int(g * alpha), int(b * alpha), int(255 * alpha));
        }
    }
    return img;
}

std::vector<int> MapScene::labelRows(int cap, const QFont& font) const {
    std::vector<int> out;
    if (cap <= 0 || size() == 0) return out;
    const QFontMetricsF fm(font);
    std::vector<QRectF> placed;
    // Occupancy via a coarse bucket grid over the viewport.
    const double bucket = 64.0;
    const int bw = int(viewport_.width() / bucket) + 2, bh = int(viewport_.height() / bucket) + 2;
    std::vector<std::vector<int>> buckets(size_t(bw) * size_t(bh));
    const QRectF view(QPointF(0, 0), QSizeF(viewport_));
    const float ps = pointSize();
    auto tryPlace = [&](int row) {
        bool vis = false;
        const QPointF p = screenPos(row, &vis);
        if (!vis) return;
        const QString text = data_.label(row);
        if (text.isEmpty()) return;
        const QRectF r(p.x() + ps / 2 + 2, p.y() - fm.height() / 2, fm.horizontalAdvance(text.left(48)) + 4, fm.height());
        const int x0 = std::clamp(int(r.left() / bucket), 0, bw - 1), x1 = std::clamp(int(r.right() / bucket), 0, bw - 1);
        const int y0 = std::clamp(int(r.top() / bucket), 0, bh - 1), y1 = std::clamp(int(r.bottom() / bucket), 0, bh - 1);
        for (int by = y0; by <= y1; ++by)
            for (int bx = x0; bx <= x1; ++bx)
                for (int k : buckets[size_t(by) * size_t(bw) + size_t(bx)])
                    if (placed[size_t(k)].intersects(r)) return;
        const int idx = int(placed.size());
        placed.push_back(r);
        for (int by = y0; by <= y1; ++by)
            for (int bx = x0; bx <= x1; ++bx) buckets[size_t(by) * size_t(bw) + size_t(bx)].push_back(idx);
        out.push_back(row);
    };
    const auto& ov = overlay();
    // Hovered first, then highlighted, selected, matches.
    for (auto it = ov.rbegin(); it != ov.rend() && int(out.size()) < cap; ++it)
        if (it->roles & (Hovered | Highlight)) tryPlace(it->row);
    for (auto it = ov.begin(); it != ov.end() && int(out.size()) < cap; ++it)
        if (!(it->roles & (Hovered | Highlight)) && ov.size() <= size_t(cap) * 4) tryPlace(it->row);
    const bool few = mode3d_ ? size() <= labelThreshold_ : visibleCountApprox() <= labelThreshold_;
    if (few) {
        std::vector<int> rows;
        if (mode3d_) {
            rows.resize(size_t(size()));
            for (int i = 0; i < size(); ++i) rows[size_t(i)] = i;
        } else {
            rows = rowsInRect(view);
        }
        for (int r : rows) {
            if (int(out.size()) >= cap) break;
            if (std::find(out.begin(), out.end(), r) == out.end()) tryPlace(r);
        }
    }
    return out;
}

void MapScene::drawLabels(QPainter& p, int cap) const {
    if (data_.labels.isEmpty() && data_.sourceRows.empty() && size() > labelThreshold_) return;
    const std::vector<int> rows = labelRows(cap, p.font());
    if (rows.empty()) return;
    const QFontMetricsF fm(p.font());
    const float ps = pointSize();
    p.save();
    p.setRenderHint(QPainter::TextAntialiasing);
    for (int row : rows) {
        const QPointF s = screenPos(row);
        QString text = data_.label(row);
        if (text.size() > 48) text = text.left(47) + QChar(0x2026);
        const QRectF r(s.x() + ps / 2 + 2, s.y() - fm.height() / 2, fm.horizontalAdvance(text) + 4, fm.height());
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(255, 255, 255, 200));
        p.drawRect(r);
        p.setPen(QColor(0x20, 0x20, 0x20));
        p.drawText(r.adjusted(2, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
    }
    p.restore();
}

void MapScene::drawLegend(QPainter& p) const {
    const auto items = legend();
    if (items.isEmpty()) return;
    p.save();
    const QFontMetricsF fm(p.font());
    double w = 0;
    for (const auto& it : items) w = std::max(w, fm.horizontalAdvance(it.first));
    const double rowH = fm.height() + 2, boxW = w + 28, boxH = rowH * items.size() + 8;
    const QRectF box(viewport_.width() - boxW - 8, 8, boxW, boxH);
    p.setPen(QColor(0xc0, 0xc0, 0xc0));
    p.setBrush(QColor(255, 255, 255, 220));
    p.drawRect(box);
    for (int i = 0; i < items.size(); ++i) {
        const double y = box.top() + 4 + i * rowH;
        p.setPen(Qt::NoPen);
        p.setBrush(items[i].second);
        p.drawEllipse(QRectF(box.left() + 6, y + rowH / 2 - 5, 10, 10));
        p.setPen(QColor(0x20, 0x20, 0x20));
        p.drawText(QRectF(box.left() + 22, y, w + 4, rowH), Qt::AlignLeft | Qt::AlignVCenter, items[i].first);
    }
    p.restore();
}

void MapScene::drawNotes(QPainter& p) const {
    if (data_.excluded <= 0) return;
    p.save();
    const QString text = QStringLiteral("%1 rows excluded (NaN/Inf)").arg(data_.excluded);
    const QFontMetricsF fm(p.font());
    const QRectF r(8, viewport_.height() - fm.height() - 10, fm.horizontalAdvance(text) + 10, fm.height() + 4);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0xff, 0xf0, 0xd0, 230));
    p.drawRect(r);
    p.setPen(QColor(0x80, 0x40, 0x00));
    p.drawText(r, Qt::AlignCenter, text);
    p.restore();
}

void MapScene::drawPoints(QPainter& p, std::int64_t vectorLimit) const {
    const int n = size();
    if (n == 0) return;
    const double ps = pointSize();
    const double alpha = hasOverlay() ? pointAlpha() * 0.45 : pointAlpha();
    const QRectF view = QRectF(QPointF(0, 0), QSizeF(viewport_)).adjusted(-ps, -ps, ps, ps);
    const bool vector = visibleCountApprox() <= vectorLimit;
    p.save();
    if (!vector) {
        // Many points: rasterise once (QPainter points, square caps), then place the image.
        const double dpr = std::max(1.0, p.device() ? p.device()->devicePixelRatioF() : 1.0);
        QImage img(viewport_ * dpr, QImage::Format_ARGB32_Premultiplied);
        img.setDevicePixelRatio(dpr);
        img.fill(Qt::transparent);
        {
            QPainter q(&img);
            QPen pen;
            pen.setWidthF(ps);
            pen.setCapStyle(Qt::SquareCap);
            QRgb last = 0;
            bool first = true;
            for (int i = 0; i < n; ++i) {
                const QPointF s = screenPos(i);
                if (!view.contains(s)) continue;
                const std::uint8_t* c = &rgba_[size_t(i) * 4];
                const QRgb rgb = qRgb(c[0], c[1], c[2]);
                if (first || rgb != last) {
                    QColor col(rgb);
                    col.setAlphaF(float(alpha));
                    pen.setColor(col);
                    q.setPen(pen);
                    last = rgb;
                    first = false;
                }
                q.drawPoint(s);
            }
        }
        p.drawImage(QRectF(QPointF(0, 0), QSizeF(viewport_)), img);
        p.restore();
        return;
    }
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    QRgb last = 0;
    bool first = true;
    for (int i = 0; i < n; ++i) {
        bool front = true;
        const QPointF s = project(pos3_[size_t(i) * 3], pos3_[size_t(i) * 3 + 1], pos3_[size_t(i) * 3 + 2], &front);
        if (!front || !view.contains(s)) continue;
        const std::uint8_t* c = &rgba_[size_t(i) * 4];
        const QRgb rgb = qRgb(c[0], c[1], c[2]);
        if (first || rgb != last) {
            QColor col(rgb);
            col.setAlphaF(float(alpha));
            p.setBrush(col);
            last = rgb;
            first = false;
        }
        p.drawEllipse(s, ps / 2, ps / 2);
    }
    p.restore();
}

void MapScene::drawOverlay(QPainter& p) const {
    const auto& ov = overlay();
    if (ov.empty()) return;
    const double ps = pointSize();
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    for (const OverlayPoint& o : ov) {
        bool vis = false;
        const QPointF s = screenPos(o.row, &vis);
        if (!vis) continue;
        const Role r = (o.roles & Hovered) ? Hovered : (o.roles & Selected) ? Selected : (o.roles & Highlight) ? Highlight : SearchMatch;
        p.setBrush(roleColor(r));
        p.drawEllipse(s, ps / 2 + 3, ps / 2 + 3);
        p.setBrush(pointColor(o.row));
        p.drawEllipse(s, ps / 2 + 1, ps / 2 + 1);
    }
    p.restore();
}

void MapScene::setTrajectories(std::vector<std::vector<int>> paths) {
    trajectories_ = std::move(paths);
    touchOverlay();
}

void MapScene::drawTrajectories(QPainter& p) const {
    if (trajectories_.empty()) return;
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    QFont f = p.font();
    f.setPointSizeF(std::max(6.0, f.pointSizeF() - 1.5));
    p.setFont(f);
    const int n = size();
    for (size_t t = 0; t < trajectories_.size(); ++t) {
        const QColor c = trajectories_.size() == 1 ? QColor(220, 40, 40) : categoricalColor(int(t));
        QVector<QPointF> pts;
        QVector<int> steps;
        for (size_t i = 0; i < trajectories_[t].size(); ++i) {
            const int row = trajectories_[t][i];
            if (row < 0 || row >= n) continue;
            // Off-screen points stay in the path (QPainter clips); only points behind the 3-D camera go.
            bool front = true;
            const QPointF s = project(pos3_[size_t(row) * 3], pos3_[size_t(row) * 3 + 1], pos3_[size_t(row) * 3 + 2], &front);
            if (!front) continue;
            pts << s;
            steps << int(i);
        }
        if (pts.isEmpty()) continue;
        p.setPen(QPen(c, 2.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        if (pts.size() > 1) p.drawPolyline(pts.constData(), int(pts.size()));
        // An arrowhead on the last segment: where the token ends up.
        if (pts.size() > 1) {
            const QPointF a = pts[pts.size() - 2], b = pts.last();
            const double len = std::hypot(b.x() - a.x(), b.y() - a.y());
            if (len > 1e-6) {
                const QPointF u((b.x() - a.x()) / len, (b.y() - a.y()) / len), v(-u.y(), u.x());
                const QPointF head[3] = {b, b - 9 * u + 4.5 * v, b - 9 * u - 4.5 * v};
                p.setBrush(c);
                p.drawPolygon(head, 3);
            }
        }
        p.setBrush(Qt::white);
        for (int i = 0; i < pts.size(); ++i) {
            p.setPen(QPen(c, 1.5));
            p.drawEllipse(pts[i], 3.5, 3.5);
            p.setPen(c.darker(140));
            p.drawText(pts[i] + QPointF(5, -5), QString::number(steps[i]));
        }
    }
    p.restore();
}

void MapScene::render(QPainter& p, const QSize& size, const RenderOptions& opt) const {
    MapScene* self = const_cast<MapScene*>(this);
    const QSize saved = viewport_;
    const std::uint64_t savedVersion = cameraVersion_;
    self->viewport_ = size;  // same camera, this size (the camera stays centred)
    if (opt.background) p.fillRect(QRect(QPoint(0, 0), size), Qt::white);
    drawPoints(p, opt.vectorPointLimit);
    drawOverlay(p);
    drawTrajectories(p);
    if (opt.labels) drawLabels(p, opt.labelCap);
    if (opt.legend) drawLegend(p);
    drawNotes(p);
    self->viewport_ = saved;
    self->cameraVersion_ = savedVersion;
}

bool MapScene::exportTo(const QString& path, QString* error, const RenderOptions& opt) const {
    const QString ext = QFileInfo(path).suffix().toLower();
    const QSize size = viewport_;
    auto fail = [&](const QString& m) {
        if (error) *error = m;
        return false;
    };
    if (ext == QLatin1String("csv")) return saveTextAtomically(path, data_.toCsv(), error);
    if (ext == QLatin1String("png")) {
        QImage img(size * 2, QImage::Format_ARGB32_Premultiplied);
        img.setDevicePixelRatio(2.0);
        img.fill(Qt::white);
        {
            QPainter p(&img);
            render(p, size, opt);
        }
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || !img.save(&f, "PNG") || !f.commit())
            return fail(QStringLiteral("cannot write %1: %2").arg(path, f.errorString()));
        return true;
    }
    if (ext == QLatin1String("svg") || ext == QLatin1String("pdf")) {
        const QString tmp = path + QStringLiteral(".part");
        {
            QSvgGenerator gen;
            QPdfWriter* pdf = nullptr;
            QPainter p;
            bool ok = false;
            if (ext == QLatin1String("svg")) {
                gen.setFileName(tmp);
                gen.setSize(size);
                gen.setViewBox(QRect(QPoint(0, 0), size));
                gen.setTitle(QStringLiteral("embedlab map"));
                ok = p.begin(&gen);
            } else {
                pdf = new QPdfWriter(tmp);
                pdf->setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
                pdf->setPageMargins(QMarginsF(0, 0, 0, 0));
                pdf->setResolution(72);
                pdf->setTitle(QStringLiteral("embedlab map"));
                ok = p.begin(pdf);
            }
            if (!ok) {
                delete pdf;
                QFile::remove(tmp);
                return fail(QStringLiteral("cannot write %1").arg(path));
            }
            render(p, size, opt);
            p.end();
            delete pdf;
        }
        QFile::remove(path);
        if (!QFile::rename(tmp, path)) {
            QFile::remove(tmp);
            return fail(QStringLiteral("cannot write %1").arg(path));
        }
        return true;
    }
    return fail(QStringLiteral("unknown export format '%1': use .png, .svg, .pdf or .csv").arg(ext));
}

}  // namespace embedlab
