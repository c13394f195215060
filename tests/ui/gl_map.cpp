// The embedding map with a real OpenGL context (xvfb-run, Mesa llvmpipe): 10,000 points in known
// clusters; hover picking through synthetic mouse moves, rectangle and lasso selection against a
// brute-force test, Turkish search, token-type colours read back from the framebuffer, 3-D orbit,
// highlight sets (also through the neighbours panel), level of detail, exports, screenshots.
#include "ui/map/embedding_map_view.h"
#include "ui/map/map_panel.h"
#include "ui/map/neighbours_panel.h"
#include "test_paths.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <limits>
#include <random>

using namespace embedlab;

namespace {

const QSize kViewSize(800, 600);

// 10,000 points in 8 Gaussian clusters; labels p<i>, except a few Turkish words at known rows.
MapData clusterData(int n = 10000) {
    std::mt19937 rng(42);
    std::normal_distribution<float> g(0.f, 1.f);
    const float centres[8][3] = {{-20, -20, 0}, {20, -20, 8}, {-20, 20, -8}, {20, 20, 12},
                                 {0, 0, 0},     {0, 30, -12}, {30, 0, 4},   {-30, 0, -4}};
    std::vector<float> xyz;
    QStringList labels, cluster;
    for (int i = 0; i < n; ++i) {
        const int c = i % 8;
        for (int k = 0; k < 3; ++k) xyz.push_back(centres[c][k] + 3.f * g(rng));
        labels << QStringLiteral("p%1").arg(i);
        cluster << QStringLiteral("c%1").arg(c);
    }
    labels[100] = QString::fromUtf8("İstanbul");
    labels[101] = QString::fromUtf8("istanbullu");
    labels[102] = QString::fromUtf8("IŞIK");
    labels[103] = QString::fromUtf8("ışıklı");
    labels[104] = QString::fromUtf8("Irmak");
    labels[105] = QString::fromUtf8("irmik");
    labels[106] = QString::fromUtf8("ıspARTa");
    labels[107] = QString::fromUtf8("Isparta");
    labels[108] = QString::fromUtf8("isparta");
    labels[109] = QString::fromUtf8("ISTANBUL");  // folds to "ıstanbul": not "istanbul"
    MapData d = MapData::fromArrays(xyz.data(), n, 3, labels);
    d.columns.push_back(MetaColumn::categorical(QStringLiteral("cluster"), cluster));
    d.tokenTypes.resize(size_t(n));
    for (int i = 0; i < n; ++i) d.tokenTypes[size_t(i)] = PointType(i % kPointTypeCount);
    return d;
}

MapData data2D(const MapData& d3) {
    MapData d = d3;
    d.dims = 2;
    d.coords.clear();
    for (int i = 0; i < d3.size(); ++i) {
        d.coords.push_back(d3.x(i));
        d.coords.push_back(d3.y(i));
    }
    return d;
}

void mouse(QWidget* w, QEvent::Type type, const QPointF& pos, Qt::MouseButton button, Qt::MouseButtons buttons,
           Qt::KeyboardModifiers mods = Qt::NoModifier) {
    QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, mods);
    QApplication::sendEvent(w, &e);
}

void drag(QWidget* w, const QVector<QPointF>& path, Qt::KeyboardModifiers mods, Qt::MouseButton b = Qt::LeftButton) {
    mouse(w, QEvent::MouseButtonPress, path.front(), b, b, mods);
    for (int i = 1; i < path.size(); ++i) mouse(w, QEvent::MouseMove, path[i], Qt::NoButton, b, mods);
    mouse(w, QEvent::MouseButtonRelease, path.back(), b, Qt::NoButton, mods);
}

void wheel(QWidget* w, const QPointF& pos, int delta) {
    QWheelEvent e(pos, w->mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &e);
}

int colourDistance(QRgb a, const QColor& b) {
    return std::abs(qRed(a) - b.red()) + std::abs(qGreen(a) - b.green()) + std::abs(qBlue(a) - b.blue());
}

// Is there a pixel of colour c (within tol) in the (2r+1)² square around p?
bool colourNear(const QImage& img, const QPointF& p, const QColor& c, int r = 6, int tol = 24) {
    for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
            const int x = int(std::lround(p.x())) + dx, y = int(std::lround(p.y())) + dy;
            if (x >= 0 && y >= 0 && x < img.width() && y < img.height() && colourDistance(img.pixel(x, y), c) <= tol) return true;
        }
    return false;
}

int nonWhite(const QImage& img) {
    int n = 0;
    for (int y = 0; y < img.height(); y += 2)
        for (int x = 0; x < img.width(); x += 2)
            if ((img.pixel(x, y) & 0xffffff) != 0xffffff) ++n;
    return n;
}

QString outDir(const QString& sub) {
    const QString d = QString::fromStdString(test::tmpDir()) + QLatin1Char('/') + sub;
    QDir().mkpath(d);
    return d;
}

}  // namespace

class TestGlMap : public QObject {
    Q_OBJECT
    MapData d3_ = clusterData();
    MapData d2_ = data2D(d3_);
    std::unique_ptr<EmbeddingMapView> view_;

    EmbeddingMapView* freshView(const MapData& d) {
        view_ = std::make_unique<EmbeddingMapView>();
        view_->resize(kViewSize);
        view_->setData(d);
        view_->show();
        if (!QTest::qWaitForWindowExposed(view_.get())) return nullptr;
        view_->grabFramebuffer();  // initialise GL, render once
        return view_.get();
    }

    // The row nearest to pos within radius on screen (ties: the lower row), by brute force.
    static int bruteNearest(const EmbeddingMapView* v, const QPointF& pos, double radius) {
        int best = -1;
        double bd = radius * radius;
        for (int i = 0; i < v->data().size(); ++i) {
            bool vis = false;
            const QPointF p = v->screenPos(i, &vis);
            const double dx = p.x() - pos.x(), dy = p.y() - pos.y(), d = dx * dx + dy * dy;
            if (vis && d < bd) {
                bd = d;
                best = i;
            }
        }
        return best;
    }

private Q_SLOTS:
    void initTestCase() {
        QCOMPARE(d3_.size(), 10000);
        QVERIFY(d2_.validate().isEmpty());
    }

    void cleanup() { view_.reset(); }

    void glContextAndFirstFrame() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        QVERIFY2(v->usingGL(), "point shader did not compile");
        qInfo("GL: %s", qPrintable(v->glInfo()));
        const QImage img = v->grabFramebuffer();
        QCOMPARE(img.size(), kViewSize * v->devicePixelRatioF());
        QVERIFY(nonWhite(img) > 2000);
        QVERIFY(v->lastFrameMs() > 0);
        QVERIFY(!v->lastFrameUsedDensity());
    }

    void hoverPicksThePointUnderTheCursor() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        QSignalSpy spy(v, &EmbeddingMapView::hovered);
        int checked = 0;
        for (int row = 3; row < v->data().size(); row += 397) {
            const QPointF p = v->screenPos(row);
            mouse(v, QEvent::MouseMove, p, Qt::NoButton, Qt::NoButton);
            QCOMPARE(v->hoveredRow(), bruteNearest(v, p, 6.0));
            QVERIFY(v->hoveredRow() >= 0);
            // the hovered row sits exactly under the cursor unless a duplicate screen position wins
            QVERIFY((v->screenPos(v->hoveredRow()) - p).manhattanLength() < 1e-6);
            const QPointF off = p + QPointF(2.5, -1.5);
            mouse(v, QEvent::MouseMove, off, Qt::NoButton, Qt::NoButton);
            QCOMPARE(v->hoveredRow(), bruteNearest(v, off, 6.0));
            ++checked;
        }
        QVERIFY(checked >= 20);
        QVERIFY(spy.count() > 0);
        // Far away from every point: nothing.
        mouse(v, QEvent::MouseMove, QPointF(2, 2), Qt::NoButton, Qt::NoButton);
        QCOMPARE(v->hoveredRow(), bruteNearest(v, QPointF(2, 2), 6.0));
        // A click on a point selects it and reports it.
        QSignalSpy clicked(v, &EmbeddingMapView::pointClicked);
        const QPointF p = v->screenPos(777);
        mouse(v, QEvent::MouseButtonPress, p, Qt::LeftButton, Qt::LeftButton);
        mouse(v, QEvent::MouseButtonRelease, p, Qt::LeftButton, Qt::NoButton);
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).toInt(), bruteNearest(v, p, 6.0));
        QCOMPARE(v->selection(), QVector<int>{clicked.at(0).at(0).toInt()});
    }

    void rectangleSelectionIsExact() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        QSignalSpy spy(v, &EmbeddingMapView::selectionChanged);
        const QPointF a(230.5, 140.25), b(520.75, 395.5);
        drag(v, {a, a + QPointF(40, 30), QPointF(400, 300), b}, Qt::ShiftModifier);
        QVector<int> want;
        const QRectF r = QRectF(a, b).normalized();
        for (int i = 0; i < v->data().size(); ++i)
            if (r.contains(v->screenPos(i))) want.append(i);
        QVERIFY(want.size() > 100);
        QCOMPARE(v->selection(), want);
        QCOMPARE(spy.last().at(0).toInt(), int(want.size()));
        // Panning did not happen during a selection drag.
        QCOMPARE(v->scene().center(), freshCenter());
    }

    void lassoSelectionIsExact() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        // A concave, star-shaped lasso, sent as a stream of mouse moves.
        QVector<QPointF> path;
        const QPointF c(400, 300);
        for (int k = 0; k <= 200; ++k) {
            const double t = k * 2 * M_PI / 200, r = 150 + 90 * std::sin(5 * t);
            path << c + QPointF(r * std::cos(t) + 0.37, r * std::sin(t) - 0.21);
        }
        drag(v, path, Qt::ControlModifier);
        QPolygonF poly(path);
        QVector<int> want;
        for (int i = 0; i < v->data().size(); ++i)
            if (poly.containsPoint(v->screenPos(i), Qt::OddEvenFill)) want.append(i);
        QVERIFY(want.size() > 100);
        QCOMPARE(v->selection(), want);
        // Escape clears.
        QTest::keyClick(v, Qt::Key_Escape);
        QVERIFY(v->selection().isEmpty());
    }

    void turkishSearch() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        auto matches = [v](const QString& q) {
            v->setSearchText(q);
            const auto& m = v->scene().searchMatches();
            return QVector<int>(m.begin(), m.end());
        };
        QCOMPARE(matches(QStringLiteral("istanbul")), (QVector<int>{100, 101}));       // İstanbul, istanbullu
        QCOMPARE(matches(QString::fromUtf8("İSTANBUL")), (QVector<int>{100, 101}));    // İ → i
        QCOMPARE(matches(QStringLiteral("ISTANBUL")), (QVector<int>{109}));            // I → ı
        QCOMPARE(matches(QString::fromUtf8("ışık")), (QVector<int>{102, 103}));        // IŞIK, ışıklı
        QCOMPARE(matches(QString::fromUtf8("IŞIK")), (QVector<int>{102, 103}));
        QCOMPARE(matches(QStringLiteral("irmak")), QVector<int>{});                    // Irmak folds to ırmak
        QCOMPARE(matches(QString::fromUtf8("ırmak")), (QVector<int>{104}));
        QCOMPARE(matches(QStringLiteral("ISPARTA")), (QVector<int>{106, 107}));        // ıspARTa, Isparta
        QCOMPARE(matches(QStringLiteral("isparta")), (QVector<int>{108}));
        QSignalSpy spy(v, &EmbeddingMapView::searchMatched);
        QCOMPARE(v->setSearchText(QStringLiteral("P999")), 11);  // p999, p9990..p9999
        QCOMPARE(spy.last().at(0).toInt(), 11);
        // The matches are drawn with the search colour ring.
        v->setSearchText(QString::fromUtf8("ışık"));
        const QImage img = v->grabFramebuffer();
        QVERIFY(colourNear(img, v->screenPos(102), MapScene::roleColor(MapScene::SearchMatch)));
        v->setSearchText(QString());
        QVERIFY(v->scene().searchMatches().empty());
    }

    void colourByTokenTypeUsesThePalette() {
        // One isolated, big point per token type, so the framebuffer shows its exact colour.
        std::vector<float> xy;
        MapData d;
        for (int t = 0; t < kPointTypeCount; ++t) {
            xy.push_back(float(t));
            xy.push_back(float(t % 2));
        }
        d = MapData::fromArrays(xy.data(), kPointTypeCount, 2);
        for (int t = 0; t < kPointTypeCount; ++t) d.tokenTypes.push_back(PointType(t));
        EmbeddingMapView* v = freshView(d);
        QVERIFY(v);
        v->setPointSize(14);
        QVERIFY(v->setColorByTokenType());
        const QImage img = v->grabFramebuffer();
        const qreal dpr = v->devicePixelRatioF();
        for (int t = 0; t < kPointTypeCount; ++t) {
            const QPointF p = v->screenPos(t) * dpr;
            const QRgb px = img.pixel(int(p.x()), int(p.y()));
            const QColor want = MapScene::tokenTypeColor(PointType(t));
            QVERIFY2(colourDistance(px, want) <= 6, qPrintable(QStringLiteral("%1: got %2, want %3")
                                                                   .arg(pointTypeName(PointType(t)), QColor(px).name(), want.name())));
        }
        // The legend lists the token types.
        QCOMPARE(v->scene().legend().size(), kPointTypeCount);
        // Colour by a categorical column.
        MapData c = d2_;
        EmbeddingMapView* w = freshView(c);
        QVERIFY(w->setColorByColumn(QStringLiteral("cluster")));
        QCOMPARE(w->scene().pointColor(8 + 3), MapScene::categoricalColor(3));
        QVERIFY(!w->setColorByColumn(QStringLiteral("missing")));
    }

    void orbit3DChangesTheProjection() {
        EmbeddingMapView* v = freshView(d3_);
        QVERIFY(v);
        v->set3D(true);
        const QImage before = v->grabFramebuffer();
        QVERIFY(nonWhite(before) > 1000);
        const QMatrix4x4 m0 = v->scene().mvp();
        const QPointF p0 = v->screenPos(5), p1 = v->screenPos(6);
        const double yaw0 = v->scene().yaw(), pitch0 = v->scene().pitch();
        drag(v, {QPointF(400, 300), QPointF(420, 305), QPointF(460, 320)}, Qt::NoModifier);
        QVERIFY(std::abs(v->scene().yaw() - yaw0) > 10);
        QVERIFY(std::abs(v->scene().pitch() - pitch0) > 3);
        QVERIFY(v->scene().mvp() != m0);
        QVERIFY((v->screenPos(5) - p0).manhattanLength() > 1 || (v->screenPos(6) - p1).manhattanLength() > 1);
        const QImage after = v->grabFramebuffer();
        QVERIFY(after != before);
        // Perspective: zooming in moves the camera closer and spreads the points.
        const double dist = v->scene().distance();
        const double spread0 = (v->screenPos(0) - v->screenPos(1)).manhattanLength();
        wheel(v, QPointF(400, 300), 240);
        QVERIFY(v->scene().distance() < dist);
        QVERIFY((v->screenPos(0) - v->screenPos(1)).manhattanLength() > spread0);
        // Picking works in 3-D too.
        for (int row = 11; row < 10000; row += 1999) {
            bool vis = false;
            const QPointF p = v->screenPos(row, &vis);
            if (!vis) continue;
            mouse(v, QEvent::MouseMove, p, Qt::NoButton, Qt::NoButton);
            QCOMPARE(v->hoveredRow(), bruteNearest(v, p, 6.0));
        }
        // Rectangle selection in 3-D selects by projected position.
        drag(v, {QPointF(300, 200), QPointF(350, 260), QPointF(500, 420)}, Qt::ShiftModifier);
        QVector<int> want;
        for (int i = 0; i < v->data().size(); ++i) {
            bool vis = false;
            const QPointF p = v->screenPos(i, &vis);
            if (vis && QRectF(QPointF(300, 200), QPointF(500, 420)).contains(p)) want.append(i);
        }
        QCOMPARE(v->selection(), want);
        QImage shot = v->grabFramebuffer();
        QVERIFY(shot.save(outDir(QStringLiteral("screenshots")) + QStringLiteral("/map_3d.png")));
    }

    void highlightSets() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        v->setHighlightedRows({42, 7, 7, 99999, 1234});
        QCOMPARE(v->highlightedRows(), (QVector<int>{7, 42, 1234}));
        const QImage img = v->grabFramebuffer();
        for (int r : {7, 42, 1234}) QVERIFY(colourNear(img, v->screenPos(r), MapScene::roleColor(MapScene::Highlight)));
        v->setHighlightedRows({});
        QVERIFY(v->highlightedRows().isEmpty());

        // Through the panel: neighbour results highlight their rows and are labelled.
        MapPanel panel;
        panel.resize(1100, 650);
        panel.setData(d2_);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QSignalSpy req(panel.neighbours(), &NeighboursPanel::neighboursRequested);
        // clicking a point makes it the "selected point" of the neighbours panel
        panel.neighbours()->setUseSelectedPoint(true);
        panel.neighbours()->setAutoQuery(true);
        const QPointF p = panel.view()->screenPos(500);
        mouse(panel.view(), QEvent::MouseButtonPress, p, Qt::LeftButton, Qt::LeftButton);
        mouse(panel.view(), QEvent::MouseButtonRelease, p, Qt::LeftButton, Qt::NoButton);
        QCOMPARE(req.count(), 1);
        const auto q = req.at(0).at(0).value<NeighbourQuery>();
        QCOMPARE(q.row, panel.view()->selection().value(0, -2));
        panel.neighbours()->setResults({{500, QStringLiteral("p500"), 1.0}, {508, QStringLiteral("p508"), 0.93},
                                        {516, QStringLiteral("p516"), 0.91}, {-1, QStringLiteral("oov"), 0.5}});
        QCOMPARE(panel.view()->highlightedRows(), (QVector<int>{500, 508, 516}));
        QVERIFY(panel.statusText().contains(QStringLiteral("10,000 points")) ||
                panel.statusText().contains(QStringLiteral("10000 points")));
        QVERIFY(panel.statusText().contains(QStringLiteral("1 selected")));
        panel.setSearchText(QStringLiteral("istanbul"));
        QVERIFY(panel.statusText().contains(QStringLiteral("2 matches")));
        QVERIFY(panel.setColorBy(QStringLiteral("cluster")));
        QTest::qWait(50);
        const QImage shot = panel.grab().toImage();
        QVERIFY(shot.save(outDir(QStringLiteral("screenshots")) + QStringLiteral("/map_panel.png")));
        QVERIFY(panel.statusText().contains(QStringLiteral("ms/frame")));
    }

    void zoomKeepsTheCursorPoint() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        const QPointF cursor(250, 180);
        const QPointF before = v->scene().toData(cursor);
        wheel(v, cursor, 360);
        const QPointF after = v->scene().toData(cursor);
        QVERIFY(std::abs(before.x() - after.x()) < 1e-6 && std::abs(before.y() - after.y()) < 1e-6);
        QVERIFY(v->scene().scale() > 1.5 * freshScale());
        // Pan by dragging: the content follows the mouse.
        const QPointF p0 = v->screenPos(10);
        drag(v, {QPointF(400, 300), QPointF(420, 310), QPointF(450, 330)}, Qt::NoModifier);
        const QPointF p1 = v->screenPos(10);
        QVERIFY(std::abs(p1.x() - p0.x() - 50) < 1e-6 && std::abs(p1.y() - p0.y() - 30) < 1e-6);
        // Zoomed in far enough, labels are drawn (QPainter over GL): fewer points visible.
        QVERIFY(v->scene().visibleCountApprox() < v->data().size());
    }

    void levelOfDetail() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        v->setLodMode(EmbeddingMapView::LodMode::Density);
        QImage img = v->grabFramebuffer();
        QVERIFY(v->lastFrameUsedDensity());
        QVERIFY(nonWhite(img) > 1000);
        QVERIFY(img.save(outDir(QStringLiteral("screenshots")) + QStringLiteral("/map_density.png")));
        // Auto: density only while interacting and above the threshold.
        v->setLodMode(EmbeddingMapView::LodMode::Auto);
        v->setLodThreshold(5000);
        v->grabFramebuffer();
        QVERIFY(!v->lastFrameUsedDensity());
        wheel(v, QPointF(400, 300), -30);
        QVERIFY(v->isInteracting());
        v->grabFramebuffer();
        QVERIFY(v->lastFrameUsedDensity());
        QTRY_VERIFY_WITH_TIMEOUT(!v->isInteracting(), 2000);
        v->grabFramebuffer();
        QVERIFY(!v->lastFrameUsedDensity());
        // Zoomed in below the threshold: points even while interacting.
        for (int i = 0; i < 6; ++i) wheel(v, QPointF(400, 300), 360);
        QVERIFY(v->scene().visibleCountApprox() < 5000);
        v->grabFramebuffer();
        QVERIFY(!v->lastFrameUsedDensity());
    }

    void fallbackPathDraws() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        v->setForceFallback(true);
        const QImage img = v->grabFramebuffer();
        QVERIFY(nonWhite(img) > 1000);
    }

    void screenshotAndExports() {
        EmbeddingMapView* v = freshView(d2_);
        QVERIFY(v);
        v->setColorByColumn(QStringLiteral("cluster"));
        v->setHighlightedRows({100, 102, 104, 106});
        v->setSearchText(QString::fromUtf8("İstanbul"));
        const QImage shot = v->grabFramebuffer();
        const QString dir = outDir(QStringLiteral("screenshots"));
        QVERIFY(shot.save(dir + QStringLiteral("/map_2d.png")));
        // Zoomed in: labels appear.
        for (int i = 0; i < 5; ++i) wheel(v, v->screenPos(100), 360);
        QTRY_VERIFY_WITH_TIMEOUT(!v->isInteracting(), 2000);
        QVERIFY(v->grabFramebuffer().save(dir + QStringLiteral("/map_zoomed.png")));
        v->resetView();

        const QString out = outDir(QStringLiteral("gl_map"));
        QString err;
        for (const QString& ext : {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf"), QStringLiteral("csv")}) {
            const QString path = out + QStringLiteral("/map.") + ext;
            QFile::remove(path);
            QVERIFY2(v->exportTo(path, &err), qPrintable(err));
            QVERIFY(QFileInfo(path).size() > 100);
        }
        QFile svg(out + QStringLiteral("/map.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray s = svg.readAll();
        QVERIFY(s.contains("<svg"));
        QVERIFY(s.contains(QString::fromUtf8("İstanbul").toUtf8()));  // labels stay text
        QFile pdf(out + QStringLiteral("/map.pdf"));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QCOMPARE(pdf.read(5), QByteArray("%PDF-"));
        const QImage png(out + QStringLiteral("/map.png"));
        QCOMPARE(png.size(), kViewSize * 2);
        QVERIFY(nonWhite(png) > 2000);
        QFile csv(out + QStringLiteral("/map.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QCOMPARE(lines.size(), 10002);  // header + rows + trailing empty
        QCOMPARE(lines[0], QByteArray("row,x,y,label,token_type,cluster"));
        QVERIFY(lines[101].startsWith("100,"));
        QVERIFY(lines[101].endsWith(QString::fromUtf8(",İstanbul,suffix,c4").toUtf8()));
    }

    void excludedRowsAreShown() {
        std::vector<float> xy{0, 0, 1, 1, std::numeric_limits<float>::quiet_NaN(), 2, 3, std::numeric_limits<float>::infinity()};
        MapPanel panel;
        panel.resize(900, 500);
        panel.setData(MapData::fromArrays(xy.data(), 4, 2));
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCOMPARE(panel.data().size(), 2);
        QVERIFY2(panel.statusText().contains(QStringLiteral("2 excluded")), qPrintable(panel.statusText()));
        QCOMPARE(panel.view()->scene().data().excluded, 2);
        QVERIFY(nonWhite(panel.view()->grabFramebuffer()) > 20);
    }

private:
    QPointF freshCenter() {
        MapScene s;
        s.setViewport(kViewSize);
        s.setData(d2_);
        return s.center();
    }
    double freshScale() {
        MapScene s;
        s.setViewport(kViewSize);
        s.setData(d2_);
        return s.scale();
    }
};

QTEST_MAIN(TestGlMap)
#include "gl_map.moc"
