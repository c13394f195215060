// embedlab ui — everything about the embedding map that needs no OpenGL: the data, the camera (2-D
// pan/zoom, 3-D orbit with perspective), per-point colours (uniform, a metadata column, or token
// type), selection / highlight / search / hover state, CPU picking through a spatial grid, the
// density image used as level of detail, the labels to draw, and a QPainter render path (export to
// PNG/SVG/PDF, and the fallback when no OpenGL shader can be used). EmbeddingMapView draws it with
// OpenGL; tests drive it offscreen.
#pragma once

#include "ui/map/map_data.h"
#include "ui/map/spatial_index.h"

#include <QColor>
#include <QImage>
#include <QMatrix4x4>
#include <QPointF>
#include <QPolygonF>
#include <QSize>
#include <QVector3D>

#include <cstdint>
#include <vector>

class QPainter;

namespace embedlab {

struct MapRenderOptions {
    bool labels = true;
    bool legend = true;
    bool background = true;
    int labelCap = 200;
    // Above this many visible points the points are drawn as one raster image even into SVG/PDF
    // (labels, legend and overlay stay vectors).
    std::int64_t vectorPointLimit = 200000;
};

class MapScene {
public:
    enum class ColorMode { Uniform, Column, PointType };
    // Roles of the points drawn on top of the cloud, in order of precedence (lowest first).
    enum Role : std::uint8_t { SearchMatch = 1, Highlight = 2, Selected = 4, Hovered = 8 };
    struct OverlayPoint {
        int row;
        std::uint8_t roles;
    };
    using RenderOptions = MapRenderOptions;

    MapScene();

    // ---- data ----
    // Replaces the data (rows with NaN/Inf are dropped and counted) and fits the camera.
    void setData(MapData data);
    const MapData& data() const { return data_; }
    int size() const { return data_.size(); }
    std::uint64_t dataVersion() const { return dataVersion_; }
    // x, y, z per row (z = 0 for 2-D data): what the GPU gets.
    const std::vector<float>& positions() const { return pos3_; }

    // ---- camera ----
    void setViewport(const QSize& logicalSize);
    QSize viewport() const { return viewport_; }
    void set3D(bool on);
    bool is3D() const { return mode3d_; }
    void fitToData();
    void pan(const QPointF& deltaPx);             // drag by deltaPx (2-D: content follows the mouse)
    void zoomAt(const QPointF& pos, double factor);  // factor > 1 zooms in; 2-D keeps the point under pos fixed
    void orbit(double dyawDeg, double dpitchDeg);  // 3-D only
    double scale() const { return scale_; }       // 2-D: pixels per data unit
    QPointF center() const { return center_; }
    void setView2D(const QPointF& center, double scale);
    double yaw() const { return yaw_; }
    double pitch() const { return pitch_; }
    double distance() const { return distance_; }
    std::uint64_t cameraVersion() const { return cameraVersion_; }
    // The whole camera, for sessions: restoring it shows exactly the saved view.
    struct Camera {
        bool is3d = false;
        QPointF center;
        double scale = 1.0;
        QVector3D target;
        double yaw = 30.0, pitch = 20.0, distance = 3.0;
    };
    Camera camera() const { return {mode3d_, center_, scale_, target_, yaw_, pitch_, distance_}; }
    void setCamera(const Camera& c);
    // Data (x, y, z) → clip space.
    QMatrix4x4 mvp() const;
    // A row's position in widget (logical pixel) coordinates; `visible` is false when it is behind
    // the 3-D camera or outside the viewport.
    QPointF screenPos(int row, bool* visible = nullptr) const;
    QPointF project(float x, float y, float z, bool* inFront = nullptr) const;
    QPointF toData(const QPointF& screen) const;  // 2-D
    QRectF visibleDataRect() const;               // 2-D

    // ---- colours ----
    void setUniformColor(const QColor& c);
    void setColorByNone();
    bool setColorByColumn(int column);            // false if out of range
    bool setColorByColumn(const QString& name);
    bool setColorByTokenType();                   // false without a token-type column
    ColorMode colorMode() const { return colorMode_; }
    int colorColumn() const { return colorColumn_; }
    QColor pointColor(int row) const;
    const std::vector<std::uint8_t>& colors() const { return rgba_; }  // 4 bytes (RGBA) per row
    std::uint64_t colorsVersion() const { return colorsVersion_; }
    static QColor tokenTypeColor(PointType t);
    static QColor categoricalColor(int code);     // code < 0: missing
    static QColor continuousColor(double t);      // viridis, t in [0, 1]; NaN: missing
    static QColor roleColor(Role r);
    // (name, colour) pairs for the legend (categorical and token-type modes; at most `max`).
    QVector<QPair<QString, QColor>> legend(int max = 12) const;

    // ---- state ----
    void setSelection(std::vector<int> rows);     // sorted, deduplicated, out-of-range rows dropped
    const std::vector<int>& selection() const { return selection_; }
    void setHighlighted(std::vector<int> rows);
    const std::vector<int>& highlighted() const { return highlighted_; }
    // Turkish-folded substring search over the labels; returns the number of matches.
    int setSearch(const QString& query);
    QString search() const { return search_; }
    const std::vector<int>& searchMatches() const { return matches_; }
    static bool labelMatches(QStringView label, QStringView query);
    void setHovered(int row);
    int hovered() const { return hovered_; }
    // The rows drawn on top (selected, highlighted, matched, hovered), the hovered row last.
    const std::vector<OverlayPoint>& overlay() const;
    std::uint64_t overlayVersion() const { return overlayVersion_; }
    bool hasOverlay() const { return !overlay().empty(); }

    // ---- trajectories: polylines through rows in order (a token's hidden state, layer by layer) ----
    // Each path is drawn in its own colour with its step numbers (0 = the first row) and an arrow at
    // its end; rows beyond the data are skipped when drawing.
    void setTrajectories(std::vector<std::vector<int>> paths);
    const std::vector<std::vector<int>>& trajectories() const { return trajectories_; }
    void drawTrajectories(QPainter& p) const;

    // ---- picking (widget coordinates) ----
    int pick(const QPointF& pos, double radiusPx = 6.0) const;
    std::vector<int> rowsInRect(const QRectF& rect) const;
    std::vector<int> rowsInPolygon(const QPolygonF& poly) const;
    // An upper bound on the points inside the viewport (cheap: grid cells).
    std::int64_t visibleCountApprox() const;

    // ---- drawing helpers ----
    float pointSize() const;                      // pixels
    void setPointSize(float px) { pointSize_ = px; }  // <= 0: automatic (by N)
    float pointAlpha() const;
    void setPointAlpha(float a) { pointAlpha_ = a; }  // <= 0: automatic
    // Log-density image of the visible points (each cell the mean colour of its points), `cell`
    // device pixels per cell; transparent where empty. Drawn scaled to the viewport.
    QImage densityImage(double devicePixelRatio = 1.0, int cell = 2) const;
    // The rows to label this frame: overlay rows first, then (when few enough points are visible)
    // the visible points; labels that would overlap are skipped. At most `cap`.
    std::vector<int> labelRows(int cap, const QFont& font) const;
    // Labels, legend, excluded-rows note (QPainter, widget coordinates).
    void drawLabels(QPainter& p, int cap) const;
    void drawLegend(QPainter& p) const;
    void drawNotes(QPainter& p) const;
    // Points only (no background), with QPainter: vector circles, or one raster when there are more
    // than `vectorLimit` visible points.
    void drawPoints(QPainter& p, std::int64_t vectorLimit) const;
    void drawOverlay(QPainter& p) const;
    // The whole map (background, points, overlay, labels, legend) into `size` logical pixels.
    void render(QPainter& p, const QSize& size, const RenderOptions& opt) const;
    // Renders the current view into .png (2× pixels), .svg or .pdf; .csv writes coordinates+labels.
    bool exportTo(const QString& path, QString* error = nullptr, const MapRenderOptions& opt = MapRenderOptions()) const;

    // Labels only when at most this many points are visible (2-D) / in the data (3-D).
    void setLabelThreshold(std::int64_t n) { labelThreshold_ = n; }

private:
    void rebuildColors();
    void touchOverlay() { ++overlayVersion_; overlayDirty_ = true; }
    void touchCamera() { ++cameraVersion_; }
    const SpatialGrid& screenGrid() const;        // 3-D: projected positions, rebuilt lazily
    std::vector<int> candidates(const QRectF& screenRect) const;
    double viewHeightAt(double dist) const;

    MapData data_;
    std::vector<float> pos3_;
    std::vector<std::uint8_t> rgba_;
    SpatialGrid grid2d_;
    mutable SpatialGrid grid3d_;
    mutable std::uint64_t grid3dCamera_ = ~0ull;
    mutable QSize grid3dViewport_;
    mutable LabelStore folded_;
    mutable bool foldedValid_ = false;

    QSize viewport_{800, 600};
    bool mode3d_ = false;
    QPointF center_;
    double scale_ = 1.0;
    QVector3D target_;
    double radius_ = 1.0;
    double yaw_ = 30.0, pitch_ = 20.0, distance_ = 3.0;
    static constexpr double kFovDeg = 45.0;

    ColorMode colorMode_ = ColorMode::Uniform;
    int colorColumn_ = -1;
    QColor uniform_{0x1f, 0x77, 0xb4};
    float pointSize_ = 0.f;
    float pointAlpha_ = 0.f;
    std::int64_t labelThreshold_ = 1500;

    std::vector<int> selection_, highlighted_, matches_;
    std::vector<std::vector<int>> trajectories_;
    QString search_;
    int hovered_ = -1;
    mutable std::vector<OverlayPoint> overlay_;
    mutable bool overlayDirty_ = true;

    std::uint64_t dataVersion_ = 0, cameraVersion_ = 0, colorsVersion_ = 0, overlayVersion_ = 0;
};

}  // namespace embedlab
