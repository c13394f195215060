#include "ui/map/spatial_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace embedlab {

bool pointInPolygon(const QPolygonF& poly, double x, double y) {
    const int n = int(poly.size());
    if (n < 3) return false;
    bool inside = false;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        const double xi = poly[i].x(), yi = poly[i].y(), xj = poly[j].x(), yj = poly[j].y();
        if ((yi > y) != (yj > y)) {
            const double xc = xj + (y - yj) * (xi - xj) / (yi - yj);
            if (x < xc) inside = !inside;
        }
    }
    return inside;
}

void SpatialGrid::clear() {
    bounds_ = QRectF();
    gx_ = gy_ = 0;
    start_.clear();
    ids_.clear();
    xs_.clear();
    ys_.clear();
}

void SpatialGrid::build(const float* xy, int n, int stride, const int* ids, int targetPerCell) {
    clear();
    double minX = std::numeric_limits<double>::infinity(), minY = minX, maxX = -minX, maxY = -minX;
    int valid = 0;
    for (int i = 0; i < n; ++i) {
        const float x = xy[size_t(i) * size_t(stride)], y = xy[size_t(i) * size_t(stride) + 1];
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        minX = std::min(minX, double(x));
        maxX = std::max(maxX, double(x));
        minY = std::min(minY, double(y));
        maxY = std::max(maxY, double(y));
        ++valid;
    }
    if (valid == 0) return;
    double w = maxX - minX, h = maxY - minY;
    if (w <= 0 && h <= 0) w = h = 1.0;
    else if (w <= 0) w = h * 1e-3;
    else if (h <= 0) h = w * 1e-3;
    // Square cells, about targetPerCell points per cell, at most ~4M cells.
    const double cells = std::clamp(double(valid) / std::max(1, targetPerCell), 1.0, 4.0e6);
    cell_ = std::sqrt(w * h / cells);
    gx_ = std::clamp(int(std::ceil(w / cell_)), 1, 1 << 14);
    gy_ = std::clamp(int(std::ceil(h / cell_)), 1, 1 << 14);
    cell_ = std::max(w / gx_, h / gy_) * (1.0 + 1e-9);
    if (!(cell_ > 0)) cell_ = 1.0;
    bounds_ = QRectF(minX, minY, w, h);

    std::vector<std::uint32_t> cellOf(size_t(n), std::numeric_limits<std::uint32_t>::max());
    start_.assign(size_t(gx_) * size_t(gy_) + 1, 0);
    for (int i = 0; i < n; ++i) {
        const float x = xy[size_t(i) * size_t(stride)], y = xy[size_t(i) * size_t(stride) + 1];
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        const int cx = std::min(gx_ - 1, std::max(0, int((x - minX) / cell_)));
        const int cy = std::min(gy_ - 1, std::max(0, int((y - minY) / cell_)));
        const std::uint32_t c = std::uint32_t(cy) * std::uint32_t(gx_) + std::uint32_t(cx);
        cellOf[size_t(i)] = c;
        ++start_[c + 1];
    }
    for (size_t c = 1; c < start_.size(); ++c) start_[c] += start_[c - 1];
    std::vector<std::uint32_t> fill(start_.begin(), start_.end() - 1);
    ids_.resize(size_t(valid));
    xs_.resize(size_t(valid));
    ys_.resize(size_t(valid));
    for (int i = 0; i < n; ++i) {
        const std::uint32_t c = cellOf[size_t(i)];
        if (c == std::numeric_limits<std::uint32_t>::max()) continue;
        const std::uint32_t k = fill[c]++;
        ids_[k] = ids ? ids[i] : i;
        xs_[k] = xy[size_t(i) * size_t(stride)];
        ys_[k] = xy[size_t(i) * size_t(stride) + 1];
    }
}

bool SpatialGrid::cellRange(const QRectF& r0, int* x0, int* y0, int* x1, int* y1) const {
    if (ids_.empty()) return false;
    const QRectF r = r0.normalized();
    const double l = r.left(), t = r.top(), rr = r.right(), b = r.bottom();
    if (!(rr >= bounds_.left() && l <= bounds_.right() && b >= bounds_.top() && t <= bounds_.bottom())) return false;
    auto clampCell = [](double v, int hi) { return int(std::min<double>(hi - 1, std::max(0.0, std::floor(v)))); };
    *x0 = clampCell((l - bounds_.left()) / cell_, gx_);
    *x1 = clampCell((rr - bounds_.left()) / cell_, gx_);
    *y0 = clampCell((t - bounds_.top()) / cell_, gy_);
    *y1 = clampCell((b - bounds_.top()) / cell_, gy_);
    return true;
}

int SpatialGrid::nearest(double x, double y, double radius) const {
    if (!(radius >= 0)) return -1;
    int best = -1;
    double bestD = radius * radius;
    forEachCandidate(QRectF(x - radius, y - radius, 2 * radius, 2 * radius), [&](int id, float px, float py) {
        const double dx = double(px) - x, dy = double(py) - y;
        const double d = dx * dx + dy * dy;
        if (d < bestD || (d == bestD && (best < 0 || id < best))) {
            bestD = d;
            best = id;
        }
    });
    return best;
}

void SpatialGrid::queryRect(const QRectF& r0, std::vector<int>& out) const {
    const QRectF r = r0.normalized();
    const double l = r.left(), t = r.top(), rr = r.right(), b = r.bottom();
    forEachCandidate(r, [&](int id, float px, float py) {
        if (px >= l && px <= rr && py >= t && py <= b) out.push_back(id);
    });
}

void SpatialGrid::queryPolygon(const QPolygonF& poly, std::vector<int>& out) const {
    if (poly.size() < 3) return;
    forEachCandidate(poly.boundingRect(), [&](int id, float px, float py) {
        if (pointInPolygon(poly, px, py)) out.push_back(id);
    });
}

std::int64_t SpatialGrid::countApprox(const QRectF& r) const {
    int x0, y0, x1, y1;
    if (!cellRange(r, &x0, &y0, &x1, &y1)) return 0;
    std::int64_t n = 0;
    for (int cy = y0; cy <= y1; ++cy)
        n += start_[size_t(cy) * size_t(gx_) + size_t(x1) + 1] - start_[size_t(cy) * size_t(gx_) + size_t(x0)];
    return n;
}

}  // namespace embedlab
