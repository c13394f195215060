// embedlab ui — the embedding map: an OpenGL point cloud (VBOs, GLSL 1.20 / ES 1.00 / 3.30 core
// shaders through QOpenGLShaderProgram) over a MapScene. 2-D: drag pans, the wheel zooms around the
// cursor. 3-D: drag orbits, right/middle-drag pans, the wheel zooms (perspective). Both: hover shows
// a tooltip (CPU grid picking), click selects, shift-drag selects a rectangle, ctrl-drag a lasso.
// Labels, legend and the rubber band are drawn with QPainter over GL. Level of detail: while the
// user interacts and more than lodThreshold() points are on screen, a CPU log-density image is drawn
// instead of the points; full points come back when the interaction stops (or when zoomed in).
// Without usable shaders it draws through the QPainter path (MapScene::render).
#pragma once

#include "ui/map/map_scene.h"

#include <QElapsedTimer>
#include <QOpenGLBuffer>
#include <QOpenGLFunctions>
#include <QOpenGLWidget>
#include <QPolygonF>
#include <QVector>

#include <memory>

class QOpenGLShaderProgram;
class QOpenGLVertexArrayObject;
class QTimer;

namespace embedlab {

class EmbeddingMapView : public QOpenGLWidget, protected QOpenGLFunctions {
    Q_OBJECT
public:
    enum class LodMode { Auto, Points, Density };

    explicit EmbeddingMapView(QWidget* parent = nullptr);
    ~EmbeddingMapView() override;

    void setData(MapData data);
    const MapData& data() const { return scene_.data(); }
    // The camera and whether the user moved it since the last fit (sessions restore both).
    MapScene::Camera camera() const { return scene_.camera(); }
    bool userCamera() const { return userCamera_; }
    void setCamera(const MapScene::Camera& c, bool userMoved);
    MapScene& scene() { return scene_; }
    const MapScene& scene() const { return scene_; }

    void set3D(bool on);
    bool is3D() const { return scene_.is3D(); }
    void resetView();

    void setColorByNone();
    bool setColorByColumn(const QString& name);
    bool setColorByTokenType();

    // Returns the number of matches (Turkish case folding); an empty query clears.
    int setSearchText(const QString& query);
    void setHighlightedRows(const QVector<int>& rows);
    QVector<int> highlightedRows() const;
    // Polylines through rows (data rows), drawn over the points: a token's path through the layers.
    void setTrajectories(const QVector<QVector<int>>& paths);
    QVector<QVector<int>> trajectories() const;
    void setSelection(const QVector<int>& rows);
    QVector<int> selection() const;
    void clearSelection() { setSelection({}); }
    int hoveredRow() const { return scene_.hovered(); }
    QPointF screenPos(int row, bool* visible = nullptr) const;

    void setLodMode(LodMode m);
    LodMode lodMode() const { return lodMode_; }
    // Density while interacting above this many visible points: 200,000 on a GPU, 50,000 on a
    // software rasteriser (llvmpipe), unless set explicitly.
    void setLodThreshold(qint64 points) {
        lodThreshold_ = points;
        lodThresholdSet_ = true;
    }
    qint64 lodThreshold() const { return lodThreshold_; }
    void setLabelCap(int n) { labelCap_ = n; update(); }
    void setPointSize(float px) { scene_.setPointSize(px); update(); }
    bool lastFrameUsedDensity() const { return lastDensity_; }
    double lastFrameMs() const { return lastFrameMs_; }
    bool isInteracting() const { return interacting_; }
    // glFinish() before stopping the frame clock (true by default: frames are drawn on demand).
    void setFinishFrames(bool on) { finishFrames_ = on; }
    // True once GL initialised and the point shader compiled; false → QPainter fallback.
    bool usingGL() const { return glOk_; }
    bool softwareGL() const { return softwareGL_; }
    QString glInfo() const { return glInfo_; }
    void setForceFallback(bool on) { forceFallback_ = on; update(); }

    // PNG / SVG / PDF through the QPainter path at the widget's size; CSV: coordinates + labels.
    bool exportTo(const QString& path, QString* error = nullptr) const;

Q_SIGNALS:
    void hovered(int row);                  // -1 when leaving a point
    void pointClicked(int row);             // -1 on empty space
    void selectionChanged(int count);
    void searchMatched(int count);
    void frameRendered(double ms, bool density);
    void viewChanged();

protected:
    void initializeGL() override;
    void resizeGL(int w, int h) override;
    void paintGL() override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseDoubleClickEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void leaveEvent(QEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;

private:
    enum class Drag { None, Pan, Orbit, Rect, Lasso };
    void markInteracting();
    void syncBuffers();
    void drawGLPoints(bool overlayOnly);
    void drawRubberBand(QPainter& p) const;
    void updateHover(const QPointF& pos, const QPoint& globalPos);
    void releaseGL();
    void syncViewport();

    MapScene scene_;
    LodMode lodMode_ = LodMode::Auto;
    static constexpr qint64 kSoftwareLodThreshold = 50000;
    qint64 lodThreshold_ = 200000;
    bool lodThresholdSet_ = false;
    bool softwareGL_ = false;
    int labelCap_ = 200;

    // GL
    bool glOk_ = false;
    bool forceFallback_ = false;
    bool isES_ = false;
    QString glInfo_;
    QMetaObject::Connection ctxConnection_;
    std::unique_ptr<QOpenGLShaderProgram> prog_, squareProg_;
    std::unique_ptr<QOpenGLVertexArrayObject> vao_;
    QOpenGLBuffer posBuf_{QOpenGLBuffer::VertexBuffer}, colBuf_{QOpenGLBuffer::VertexBuffer};
    QOpenGLBuffer ovPosBuf_{QOpenGLBuffer::VertexBuffer}, ovColBuf_{QOpenGLBuffer::VertexBuffer},
        ovRoleBuf_{QOpenGLBuffer::VertexBuffer};
    std::uint64_t uploadedData_ = ~0ull, uploadedColors_ = ~0ull, uploadedOverlay_ = ~0ull;
    int uploadedCount_ = 0, overlayCount_ = 0;

    // interaction
    Drag drag_ = Drag::None;
    QPointF pressPos_, lastPos_;
    bool moved_ = false;
    QPolygonF lasso_;
    QRectF rubber_;
    bool interacting_ = false;
    bool userCamera_ = false;  // the user moved the camera since the last fit
    QTimer* idle_ = nullptr;
    QPoint lastGlobal_;

    // stats
    double lastFrameMs_ = 0;
    bool lastDensity_ = false;
    bool finishFrames_ = true;
};

}  // namespace embedlab
