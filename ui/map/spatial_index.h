// embedlab ui — a uniform grid over 2-D points for the map's CPU picking: nearest point within a
// radius (hover, click), points in a rectangle or polygon (selection), and a fast count of the points
// in a rectangle (the level-of-detail decision). Built in O(N) with a counting sort; the points are
// stored in cell order so a query touches contiguous memory.
#pragma once

#include <QPolygonF>
#include <QRectF>

#include <cstdint>
#include <vector>

namespace embedlab {

// Even-odd (crossing number) point-in-polygon test; the polygon is implicitly closed.
bool pointInPolygon(const QPolygonF& poly, double x, double y);

class SpatialGrid {
public:
    // `xy` holds n points with `stride` floats each (x at [0], y at [1]). Points with a non-finite
    // coordinate are left out. `ids` (optional, n entries) gives each point's id; default: its index.
    void build(const float* xy, int n, int stride = 2, const int* ids = nullptr, int targetPerCell = 4);
    void clear();

    int size() const { return int(ids_.size()); }
    bool isEmpty() const { return ids_.empty(); }
    QRectF bounds() const { return bounds_; }

    // The id of the point nearest to (x, y) within `radius`, or -1. Ties go to the lower id.
    int nearest(double x, double y, double radius) const;
    // Ids of the points inside `r` (edges included), in cell order.
    void queryRect(const QRectF& r, std::vector<int>& out) const;
    // Ids of the points inside the polygon (even-odd rule).
    void queryPolygon(const QPolygonF& poly, std::vector<int>& out) const;
    // Calls f(id, x, y) for every point in the cells overlapping `r` (a superset of the points in r).
    template <typename F>
    void forEachCandidate(const QRectF& r, F&& f) const {
        int x0, y0, x1, y1;
        if (!cellRange(r, &x0, &y0, &x1, &y1)) return;
        for (int cy = y0; cy <= y1; ++cy) {
            const std::uint32_t a = start_[size_t(cy) * size_t(gx_) + size_t(x0)];
            const std::uint32_t b = start_[size_t(cy) * size_t(gx_) + size_t(x1) + 1];
            for (std::uint32_t k = a; k < b; ++k) f(ids_[k], xs_[k], ys_[k]);
        }
    }
    // Number of points in the cells overlapping `r`: an upper bound on the points in r, exact up to
    // the cells cut by its edges. O(cells in r).
    std::int64_t countApprox(const QRectF& r) const;

private:
    bool cellRange(const QRectF& r, int* x0, int* y0, int* x1, int* y1) const;
    QRectF bounds_;
    double cell_ = 1.0;
    int gx_ = 0, gy_ = 0;
    std::vector<std::uint32_t> start_;  // gx*gy + 1 offsets (row-major cells)
    std::vector<int> ids_;
    std::vector<float> xs_, ys_;
};

}  // namespace embedlab
