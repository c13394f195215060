#include "ui/map/embedding_map_view.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLShaderProgram>
#include <QOpenGLVertexArrayObject>
#include <QPainter>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

namespace embedlab {

namespace {

// GLSL 1.20 (desktop compatibility profiles, Mesa llvmpipe), ES 1.00 and 3.30 core share one body.
const char* kVertexBody = R"(
uniform mat4 u_mvp;
uniform float u_size;
uniform float u_alpha;
uniform vec4 u_override;
void main() {
    gl_Position = u_mvp * vec4(a_pos, 1.0);
    gl_PointSize = u_size;
    v_color = vec4(mix(a_color.rgb, u_override.rgb, u_override.a), u_alpha);
}
)";
const char* kFragmentBody = R"(
void main() {
    vec2 d = gl_PointCoord - vec2(0.5);
    if (dot(d, d) > 0.25) discard;
    FRAG_COLOR = v_color;
}
)";

constexpr GLenum kProgramPointSize = 0x8642;  // GL_PROGRAM_POINT_SIZE / GL_VERTEX_PROGRAM_POINT_SIZE
constexpr GLenum kPointSprite = 0x8861;       // GL_POINT_SPRITE (compatibility profiles)

}  // namespace

EmbeddingMapView::EmbeddingMapView(QWidget* parent) : QOpenGLWidget(parent) {
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(200, 150);
    idle_ = new QTimer(this);
    idle_->setSingleShot(true);
    idle_->setInterval(180);
    connect(idle_, &QTimer::timeout, this, [this] {
        interacting_ = false;
        update();
    });
}

EmbeddingMapView::~EmbeddingMapView() {
    QObject::disconnect(ctxConnection_);
    if (glOk_ && context()) {
        makeCurrent();
        releaseGL();
        doneCurrent();
    }
}

void EmbeddingMapView::releaseGL() {
    posBuf_.destroy();
    colBuf_.destroy();
    ovPosBuf_.destroy();
    ovColBuf_.destroy();
    ovRoleBuf_.destroy();
    if (vao_) vao_->destroy();
    vao_.reset();
    prog_.reset();
    squareProg_.reset();
    glOk_ = false;
}

// ---------------------------------------------------------------- API

void EmbeddingMapView::setData(MapData data) {
    scene_.setViewport(size());
    scene_.setData(std::move(data));
    userCamera_ = false;
    update();
    Q_EMIT selectionChanged(0);
    Q_EMIT viewChanged();
}

void EmbeddingMapView::setCamera(const MapScene::Camera& c, bool userMoved) {
    scene_.setViewport(size());
    scene_.setCamera(c);
    userCamera_ = userMoved;
    if (!userMoved) scene_.fitToData();
    update();
    Q_EMIT viewChanged();
}

void EmbeddingMapView::set3D(bool on) {
    scene_.set3D(on);
    update();
    Q_EMIT viewChanged();
}

void EmbeddingMapView::resetView() {
    scene_.setViewport(size());
    scene_.fitToData();
    userCamera_ = false;
    update();
    Q_EMIT viewChanged();
}

void EmbeddingMapView::setColorByNone() {
    scene_.setColorByNone();
    update();
}

bool EmbeddingMapView::setColorByColumn(const QString& name) {
    const bool ok = scene_.setColorByColumn(name);
    update();
    return ok;
}

bool EmbeddingMapView::setColorByTokenType() {
    const bool ok = scene_.setColorByTokenType();
    update();
    return ok;
}

int EmbeddingMapView::setSearchText(const QString& query) {
    const int n = scene_.setSearch(query);
    update();
    Q_EMIT searchMatched(n);
    return n;
}

void EmbeddingMapView::setHighlightedRows(const QVector<int>& rows) {
    scene_.setHighlighted(std::vector<int>(rows.begin(), rows.end()));
    update();
}

void EmbeddingMapView::setTrajectories(const QVector<QVector<int>>& paths) {
    std::vector<std::vector<int>> p;
    for (const QVector<int>& path : paths) p.emplace_back(path.begin(), path.end());
    scene_.setTrajectories(std::move(p));
    update();
}

QVector<QVector<int>> EmbeddingMapView::trajectories() const {
    QVector<QVector<int>> out;
    for (const auto& path : scene_.trajectories()) out.push_back(QVector<int>(path.begin(), path.end()));
    return out;
}

QVector<int> EmbeddingMapView::highlightedRows() const {
    const auto& h = scene_.highlighted();
    return QVector<int>(h.begin(), h.end());
}

void EmbeddingMapView::setSelection(const QVector<int>& rows) {
    scene_.setSelection(std::vector<int>(rows.begin(), rows.end()));
    update();
    Q_EMIT selectionChanged(int(scene_.selection().size()));
}

QVector<int> EmbeddingMapView::selection() const {
    const auto& s = scene_.selection();
    return QVector<int>(s.begin(), s.end());
}

QPointF EmbeddingMapView::screenPos(int row, bool* visible) const {
    const_cast<EmbeddingMapView*>(this)->syncViewport();
    return scene_.screenPos(row, visible);
}

void EmbeddingMapView::setLodMode(LodMode m) {
    lodMode_ = m;
    update();
}

bool EmbeddingMapView::exportTo(const QString& path, QString* error) const {
    const_cast<EmbeddingMapView*>(this)->syncViewport();
    MapRenderOptions o;
    o.labelCap = labelCap_;
    return scene_.exportTo(path, error, o);
}

// ---------------------------------------------------------------- GL

void EmbeddingMapView::initializeGL() {
    initializeOpenGLFunctions();
    QOpenGLContext* ctx = context();
    isES_ = ctx->isOpenGLES();
    const bool core = !isES_ && ctx->format().profile() == QSurfaceFormat::CoreProfile;
    glInfo_ = QStringLiteral("%1 %2 (%3)")
                  .arg(QString::fromLatin1(reinterpret_cast<const char*>(glGetString(GL_RENDERER))),
                       QString::fromLatin1(reinterpret_cast<const char*>(glGetString(GL_VERSION))),
                       isES_ ? QStringLiteral("ES") : core ? QStringLiteral("core") : QStringLiteral("compatibility"));
    QByteArray vs, fs;
    if (isES_) {
        vs = "#version 100\nattribute vec3 a_pos;\nattribute vec4 a_color;\nvarying lowp vec4 v_color;\n";
        fs = "#version 100\nprecision mediump float;\nvarying lowp vec4 v_color;\n#define FRAG_COLOR gl_FragColor\n";
    } else if (core) {
        vs = "#version 330 core\nin vec3 a_pos;\nin vec4 a_color;\nout vec4 v_color;\n";
        fs = "#version 330 core\nin vec4 v_color;\nout vec4 fragColor;\n#define FRAG_COLOR fragColor\n";
    } else {
        vs = "#version 120\nattribute vec3 a_pos;\nattribute vec4 a_color;\nvarying vec4 v_color;\n";
        fs = "#version 120\nvarying vec4 v_color;\n#define FRAG_COLOR gl_FragColor\n";
    }
    vs += kVertexBody;
    fs += kFragmentBody;
    prog_ = std::make_unique<QOpenGLShaderProgram>();
    bool ok = prog_->addShaderFromSourceCode(QOpenGLShader::Vertex, vs) &&
              prog_->addShaderFromSourceCode(QOpenGLShader::Fragment, fs);
    if (ok) {
        prog_->bindAttributeLocation("a_pos", 0);
        prog_->bindAttributeLocation("a_color", 1);
        ok = prog_->link();
    }
    if (!ok) {
        qWarning("embedlab map: point shader failed, using the QPainter path: %s", qPrintable(prog_->log()));
        prog_.reset();
        glOk_ = false;
        return;
    }
    // The same shader without the round cut (no discard, no point sprite).
    QByteArray fsSquare = fs;
    fsSquare.replace("if (dot(d, d) > 0.25) discard;", "");
    fsSquare.replace("vec2 d = gl_PointCoord - vec2(0.5);", "");
    squareProg_ = std::make_unique<QOpenGLShaderProgram>();
    if (!(squareProg_->addShaderFromSourceCode(QOpenGLShader::Vertex, vs) &&
          squareProg_->addShaderFromSourceCode(QOpenGLShader::Fragment, fsSquare))) {
        squareProg_.reset();
    } else {
        squareProg_->bindAttributeLocation("a_pos", 0);
        squareProg_->bindAttributeLocation("a_color", 1);
        if (!squareProg_->link()) squareProg_.reset();
    }
    const QString renderer = QString::fromLatin1(reinterpret_cast<const char*>(glGetString(GL_RENDERER))).toLower();
    softwareGL_ = renderer.contains(QLatin1String("llvmpipe")) || renderer.contains(QLatin1String("softpipe")) ||
                  renderer.contains(QLatin1String("swiftshader")) || renderer.contains(QLatin1String("software"));
    if (softwareGL_ && !lodThresholdSet_) lodThreshold_ = kSoftwareLodThreshold;
    vao_ = std::make_unique<QOpenGLVertexArrayObject>();
    if (!vao_->create()) vao_.reset();
    posBuf_.create();
    colBuf_.create();
    ovPosBuf_.create();
    ovColBuf_.create();
    ovRoleBuf_.create();
    uploadedData_ = uploadedColors_ = uploadedOverlay_ = ~0ull;
    glOk_ = true;
    QObject::disconnect(ctxConnection_);
    ctxConnection_ = connect(ctx, &QOpenGLContext::aboutToBeDestroyed, this, [this] {
        makeCurrent();
        releaseGL();
        doneCurrent();
    });
}

void EmbeddingMapView::resizeGL(int, int) {
    syncViewport();
}

void EmbeddingMapView::syncViewport() {
    if (scene_.viewport() == size()) return;
    scene_.setViewport(size());
    // Until the user moves the camera, the data stays fitted to the widget.
    if (!userCamera_) scene_.fitToData();
}

void EmbeddingMapView::syncBuffers() {
    if (uploadedData_ != scene_.dataVersion()) {
        const auto& pos = scene_.positions();
        posBuf_.bind();
        posBuf_.allocate(pos.data(), int(pos.size() * sizeof(float)));
        uploadedCount_ = scene_.size();
        uploadedData_ = scene_.dataVersion();
        uploadedColors_ = ~0ull;
    }
    if (uploadedColors_ != scene_.colorsVersion()) {
        const auto& c = scene_.colors();
        colBuf_.bind();
        colBuf_.allocate(c.data(), int(c.size()));
        uploadedColors_ = scene_.colorsVersion();
        uploadedOverlay_ = ~0ull;  // overlay carries point colours too
    }
    if (uploadedOverlay_ != scene_.overlayVersion()) {
        const auto& ov = scene_.overlay();
        const auto& pos = scene_.positions();
        const auto& col = scene_.colors();
        std::vector<float> p;
        std::vector<std::uint8_t> c, r;
        p.reserve(ov.size() * 3);
        c.reserve(ov.size() * 4);
        r.reserve(ov.size() * 4);
        for (const auto& o : ov) {
            for (int k = 0; k < 3; ++k) p.push_back(pos[size_t(o.row) * 3 + size_t(k)]);
            for (int k = 0; k < 4; ++k) c.push_back(col[size_t(o.row) * 4 + size_t(k)]);
            const MapScene::Role role = (o.roles & MapScene::Hovered)    ? MapScene::Hovered
                                        : (o.roles & MapScene::Selected) ? MapScene::Selected
                                        : (o.roles & MapScene::Highlight) ? MapScene::Highlight
                                                                          : MapScene::SearchMatch;
            const QColor rc = MapScene::roleColor(role);
            r.push_back(std::uint8_t(rc.red()));
            r.push_back(std::uint8_t(rc.green()));
            r.push_back(std::uint8_t(rc.blue()));
            r.push_back(255);
        }
        ovPosBuf_.bind();
        ovPosBuf_.allocate(p.data(), int(p.size() * sizeof(float)));
        ovColBuf_.bind();
        ovColBuf_.allocate(c.data(), int(c.size()));
        ovRoleBuf_.bind();
        ovRoleBuf_.allocate(r.data(), int(r.size()));
        overlayCount_ = int(ov.size());
        uploadedOverlay_ = scene_.overlayVersion();
    }
}

void EmbeddingMapView::drawGLPoints(bool overlayOnly) {
    const qreal dpr = devicePixelRatioF();
    if (vao_) vao_->bind();
    syncBuffers();
    glViewport(0, 0, int(std::lround(width() * dpr)), int(std::lround(height() * dpr)));
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_STENCIL_TEST);
    glEnable(GL_BLEND);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    if (!isES_) {
        glEnable(kProgramPointSize);
        while (glGetError() != GL_NO_ERROR) {
        }
    }
    const bool compat = !isES_ && context()->format().profile() != QSurfaceFormat::CoreProfile;
    // Round points (point sprites + discard) for the overlay and small clouds; square points for
    // large clouds (at 2-3 px the difference is invisible, and software rasterisers are ~2x faster).
    auto useProgram = [&](bool round) {
        QOpenGLShaderProgram* prog = round || !squareProg_ ? prog_.get() : squareProg_.get();
        if (compat) {
            if (round) glEnable(kPointSprite);
            else glDisable(kPointSprite);
            while (glGetError() != GL_NO_ERROR) {
            }
        }
        prog->bind();
        prog->setUniformValue("u_mvp", scene_.mvp());
        prog->setUniformValue("u_override", QVector4D(0, 0, 0, 0));
        return prog;
    };
    QOpenGLShaderProgram* prog = nullptr;
    const float ps = scene_.pointSize();
    auto drawPass = [&](QOpenGLBuffer& pos, QOpenGLBuffer& col, int count, float sizePx, float alpha) {
        if (count <= 0) return;
        prog->setUniformValue("u_size", float(sizePx * dpr));
        prog->setUniformValue("u_alpha", alpha);
        pos.bind();
        prog->enableAttributeArray(0);
        prog->setAttributeBuffer(0, GL_FLOAT, 0, 3);
        col.bind();
        prog->enableAttributeArray(1);
        prog->setAttributeBuffer(1, GL_UNSIGNED_BYTE, 0, 4);
        glDrawArrays(GL_POINTS, 0, count);
    };
    if (!overlayOnly && uploadedCount_ > 0) {
        prog = useProgram(ps >= 4.f);
        const float a = scene_.pointAlpha() * (overlayCount_ > 0 ? 0.45f : 1.f);
        drawPass(posBuf_, colBuf_, uploadedCount_, ps, a);
    }
    if (overlayCount_ > 0) {
        prog = useProgram(true);
        drawPass(ovPosBuf_, ovRoleBuf_, overlayCount_, ps + 6, 1.f);
        drawPass(ovPosBuf_, ovColBuf_, overlayCount_, ps + 2, 1.f);
    }
    if (prog) {
        prog->disableAttributeArray(0);
        prog->disableAttributeArray(1);
        prog->release();
    }
    colBuf_.release();
    if (vao_) vao_->release();
}

void EmbeddingMapView::drawRubberBand(QPainter& p) const {
    if (drag_ == Drag::Rect && !rubber_.isNull()) {
        p.setPen(QPen(QColor(0x20, 0x60, 0xc0), 1, Qt::DashLine));
        p.setBrush(QColor(0x20, 0x60, 0xc0, 30));
        p.drawRect(rubber_);
    } else if (drag_ == Drag::Lasso && lasso_.size() > 1) {
        p.setPen(QPen(QColor(0x20, 0x60, 0xc0), 1, Qt::DashLine));
        p.setBrush(QColor(0x20, 0x60, 0xc0, 30));
        p.drawPolygon(lasso_);
    }
}

void EmbeddingMapView::paintGL() {
    QElapsedTimer clock;
    clock.start();
    syncViewport();
    const qreal dpr = devicePixelRatioF();
    bool density = lodMode_ == LodMode::Density ||
                   (lodMode_ == LodMode::Auto && interacting_ && scene_.visibleCountApprox() > lodThreshold_);
    glViewport(0, 0, int(std::lround(width() * dpr)), int(std::lround(height() * dpr)));
    glClearColor(1.f, 1.f, 1.f, 1.f);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    if (!glOk_ || forceFallback_) {
        density = false;
        QPainter p(this);
        MapRenderOptions o;
        o.labelCap = labelCap_;
        o.background = false;
        scene_.render(p, size(), o);
        drawRubberBand(p);
    } else {
        if (density) {
            const QImage img = scene_.densityImage(dpr, 2);
            {
                QPainter p(this);
                p.drawImage(QRectF(rect()), img);
            }
            drawGLPoints(true);
        } else {
            drawGLPoints(false);
        }
        QPainter p(this);
        scene_.drawTrajectories(p);
        scene_.drawLabels(p, density ? std::min(labelCap_, 50) : labelCap_);
        scene_.drawLegend(p);
        scene_.drawNotes(p);
        drawRubberBand(p);
    }
    if (finishFrames_) glFinish();
    lastFrameMs_ = double(clock.nsecsElapsed()) / 1e6;
    lastDensity_ = density;
    Q_EMIT frameRendered(lastFrameMs_, density);
}

// ---------------------------------------------------------------- input

void EmbeddingMapView::markInteracting() {
    interacting_ = true;
    idle_->start();
}

void EmbeddingMapView::updateHover(const QPointF& pos, const QPoint& globalPos) {
    syncViewport();
    const int row = scene_.pick(pos, 6.0);
    if (row == scene_.hovered()) return;
    scene_.setHovered(row);
    if (row >= 0) QToolTip::showText(globalPos, scene_.data().describe(row), this);
    else QToolTip::hideText();
    update();
    Q_EMIT hovered(row);
}

void EmbeddingMapView::mousePressEvent(QMouseEvent* e) {
    pressPos_ = lastPos_ = e->position();
    moved_ = false;
    rubber_ = QRectF();
    lasso_.clear();
    if (e->button() == Qt::LeftButton && (e->modifiers() & Qt::ShiftModifier)) {
        drag_ = Drag::Rect;
    } else if (e->button() == Qt::LeftButton && (e->modifiers() & Qt::ControlModifier)) {
        drag_ = Drag::Lasso;
        lasso_ << pressPos_;
    } else if (e->button() == Qt::LeftButton) {
        drag_ = scene_.is3D() ? Drag::Orbit : Drag::Pan;
    } else if (e->button() == Qt::RightButton || e->button() == Qt::MiddleButton) {
        drag_ = Drag::Pan;
    } else {
        drag_ = Drag::None;
    }
    e->accept();
}

void EmbeddingMapView::mouseMoveEvent(QMouseEvent* e) {
    const QPointF pos = e->position();
    if (drag_ == Drag::None) {
        updateHover(pos, e->globalPosition().toPoint());
        return;
    }
    const QPointF delta = pos - lastPos_;
    if ((pos - pressPos_).manhattanLength() > 3) moved_ = true;
    switch (drag_) {
    case Drag::Pan:
        syncViewport();
        scene_.pan(delta);
        userCamera_ = true;
        markInteracting();
        Q_EMIT viewChanged();
        break;
    case Drag::Orbit:
        scene_.orbit(-delta.x() * 0.4, delta.y() * 0.4);
        userCamera_ = true;
        markInteracting();
        Q_EMIT viewChanged();
        break;
    case Drag::Rect: rubber_ = QRectF(pressPos_, pos).normalized(); break;
    case Drag::Lasso:
        if (lasso_.isEmpty() || QLineF(lasso_.back(), pos).length() >= 1.0) lasso_ << pos;
        break;
    case Drag::None: break;
    }
    lastPos_ = pos;
    update();
}

void EmbeddingMapView::mouseReleaseEvent(QMouseEvent* e) {
    const QPointF pos = e->position();
    if ((pos - pressPos_).manhattanLength() > 3) moved_ = true;
    const Drag d = drag_;
    drag_ = Drag::None;
    syncViewport();
    if (d == Drag::Rect && moved_) {
        const auto rows = scene_.rowsInRect(QRectF(pressPos_, pos).normalized());
        scene_.setSelection(rows);
        Q_EMIT selectionChanged(int(scene_.selection().size()));
    } else if (d == Drag::Lasso && moved_) {
        if (lasso_.isEmpty() || lasso_.back() != pos) lasso_ << pos;
        if (lasso_.size() >= 3) {
            scene_.setSelection(scene_.rowsInPolygon(lasso_));
            Q_EMIT selectionChanged(int(scene_.selection().size()));
        }
    } else if (d != Drag::None && !moved_ && e->button() == Qt::LeftButton) {
        const int row = scene_.pick(pos, 6.0);
        scene_.setSelection(row >= 0 ? std::vector<int>{row} : std::vector<int>{});
        Q_EMIT pointClicked(row);
        Q_EMIT selectionChanged(int(scene_.selection().size()));
    }
    rubber_ = QRectF();
    lasso_.clear();
    update();
    e->accept();
}

void EmbeddingMapView::mouseDoubleClickEvent(QMouseEvent* e) {
    if (e->button() == Qt::LeftButton && scene_.pick(e->position(), 6.0) < 0) resetView();
}

void EmbeddingMapView::wheelEvent(QWheelEvent* e) {
    const int steps = e->angleDelta().y() != 0 ? e->angleDelta().y() : e->angleDelta().x();
    if (steps == 0) return;
    syncViewport();
    scene_.zoomAt(e->position(), std::pow(1.0015, double(steps)));
    userCamera_ = true;
    markInteracting();
    update();
    Q_EMIT viewChanged();
    e->accept();
}

void EmbeddingMapView::leaveEvent(QEvent* e) {
    if (scene_.hovered() >= 0) {
        scene_.setHovered(-1);
        update();
        Q_EMIT hovered(-1);
    }
    QOpenGLWidget::leaveEvent(e);
}

void EmbeddingMapView::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Escape) {
        clearSelection();
    } else if (e->key() == Qt::Key_Home || e->key() == Qt::Key_R) {
        resetView();
    } else {
        QOpenGLWidget::keyPressEvent(e);
    }
}

}  // namespace embedlab
