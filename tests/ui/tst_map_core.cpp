// The embedding map without OpenGL (offscreen): MapData (NaN/Inf rows, labels, metadata, CSV),
// Turkish case folding, the spatial grid against brute force, MapScene picking / selection in 2-D
// and 3-D against brute force, the camera, colours, and the QPainter export path (PNG/SVG/PDF/CSV).
#include "ui/map/map_data.h"
#include "ui/map/map_scene.h"
#include "ui/map/spatial_index.h"
#include "test_paths.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace embedlab;

namespace {

MapData clusters(int n, int dims, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> xyz;
    xyz.reserve(size_t(n) * size_t(dims));
    QStringList labels, cluster;
    const float centres[8][3] = {{-20, -20, 0}, {20, -20, 5}, {-20, 20, -5}, {20, 20, 10},
                                 {0, 0, 0},     {0, 30, -10}, {30, 0, 3},   {-30, 0, -3}};
    for (int i = 0; i < n; ++i) {
        const int c = i % 8;
        for (int k = 0; k < dims; ++k) xyz.push_back(centres[c][k] + 3.f * g(rng));
        labels << QStringLiteral("p%1").arg(i);
        cluster << QStringLiteral("c%1").arg(c);
    }
    MapData d = MapData::fromArrays(xyz.data(), n, dims, labels);
    d.columns.push_back(MetaColumn::categorical(QStringLiteral("cluster"), cluster));
    return d;
}

QString tmpPath(const QString& rel) {
    const QString base = QString::fromStdString(test::tmpDir()) + QStringLiteral("/tst_map_core");
    QDir().mkpath(base);
    return base + QLatin1Char('/') + rel;
}

int bruteNearest(const MapScene& s, const QPointF& pos, double radius) {
    int best = -1;
    double bestD = radius * radius;
    for (int i = 0; i < s.size(); ++i) {
        bool front = true;
        const QPointF p = s.project(s.data().x(i), s.data().y(i), s.data().z(i), &front);
        if (!front) continue;
        const double dx = p.x() - pos.x(), dy = p.y() - pos.y(), d = dx * dx + dy * dy;
        if (d < bestD) {
            bestD = d;
            best = i;
        }
    }
    return best;
}

}  // namespace

class TestMapCore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void turkishFolding() {
        QCOMPARE(turkishFold(u"İstanbul"), QStringLiteral("istanbul"));
        QCOMPARE(turkishFold(u"IŞIK"), QString::fromUtf8("ışık"));
        QCOMPARE(turkishFold(u"Irmak"), QString::fromUtf8("ırmak"));
        QCOMPARE(turkishFold(u"ISPARTA"), QString::fromUtf8("ısparta"));
        QCOMPARE(turkishFold(u"ıspARTa"), QString::fromUtf8("ısparta"));
        QCOMPARE(turkishFold(u"ÇĞÖŞÜ"), QString::fromUtf8("çğöşü"));
        QVERIFY(MapScene::labelMatches(u"İstanbul", u"istanbul"));
        QVERIFY(MapScene::labelMatches(u"İSTANBUL", u"istan"));
        QVERIFY(MapScene::labelMatches(u"IŞIK", u"ışık"));
        QVERIFY(MapScene::labelMatches(u"ıspARTa", u"ISPARTA"));
        QVERIFY(!MapScene::labelMatches(u"Irmak", u"irmak"));
        QVERIFY(!MapScene::labelMatches(u"isparta", u"ISPARTA"));
        QVERIFY(MapScene::labelMatches(u"Irmak", u"IRMAK"));
    }

    void labelStoreAndMetadata() {
        const QStringList l{QStringLiteral("a"), QString(), QString::fromUtf8("kitaplık"), QStringLiteral("x,y")};
        const LabelStore s = LabelStore::fromList(l);
        QCOMPARE(s.size(), 4);
        QCOMPARE(s.toList(), l);
        QCOMPARE(s.view(2), QStringView(l[2]));
        const MetaColumn num = MetaColumn::guess(QStringLiteral("freq"), {QStringLiteral("1"), QStringLiteral(""), QStringLiteral("2.5")});
        QVERIFY(num.isNumeric());
        QCOMPARE(num.valueText(2), QStringLiteral("2.5"));
        QCOMPARE(num.valueText(1), QString());
        const MetaColumn cat = MetaColumn::guess(QStringLiteral("pos"), {QStringLiteral("NOUN"), QStringLiteral("VERB"), QStringLiteral("NOUN")});
        QVERIFY(!cat.isNumeric());
        QCOMPARE(cat.categories, QStringList({QStringLiteral("NOUN"), QStringLiteral("VERB")}));
        QCOMPARE(cat.codes, (std::vector<std::int32_t>{0, 1, 0}));
        QCOMPARE(pointTypeFromName(u"Suffix"), PointType::Suffix);
        QCOMPARE(pointTypeFromName(u"nonsense"), PointType::Unknown);
    }

    void nonFiniteRowsAreExcludedAndCounted() {
        const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
        const std::vector<float> xy{0, 0, 1, nan, 2, 2, inf, 3, 4, 4, -inf, 0};
        const QStringList labels{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d"),
                                 QStringLiteral("e"), QStringLiteral("f")};
        MapData d = MapData::fromArrays(xy.data(), 6, 2, labels);
        QCOMPARE(d.size(), 3);
        QCOMPARE(d.excluded, 3);
        QCOMPARE(d.labels.toList(), QStringList({QStringLiteral("a"), QStringLiteral("c"), QStringLiteral("e")}));
        QCOMPARE(d.sourceRow(1), std::int64_t(2));
        QCOMPARE(d.rowOfSource(4), 2);
        QCOMPARE(d.rowOfSource(1), -1);
        QVERIFY(d.validate().isEmpty());

        // dropNonFinite on a value built by hand keeps labels, token types and columns aligned.
        MapData h;
        h.coords = {0, 0, nan, 1, 2, 2};
        h.labels = LabelStore::fromList({QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")});
        h.tokenTypes = {PointType::Root, PointType::Suffix, PointType::Bpe};
        h.columns.push_back(MetaColumn::numeric(QStringLiteral("f"), {1.f, 2.f, 3.f}));
        MapScene s;
        s.setData(h);
        QCOMPARE(s.size(), 2);
        QCOMPARE(s.data().excluded, 1);
        QCOMPARE(s.data().label(1), QStringLiteral("z"));
        QCOMPARE(s.data().tokenTypes[1], PointType::Bpe);
        QCOMPARE(s.data().columns[0].numbers[1], 3.f);
        QCOMPARE(s.data().sourceRow(1), std::int64_t(2));

        // Everything NaN, or nothing at all: no crash, an empty map.
        const std::vector<float> allNan{nan, nan, nan, nan};
        MapScene e;
        e.setData(MapData::fromArrays(allNan.data(), 2, 2));
        QCOMPARE(e.size(), 0);
        QCOMPARE(e.data().excluded, 2);
        QCOMPARE(e.pick(QPointF(10, 10)), -1);
        QVERIFY(e.rowsInRect(QRectF(0, 0, 100, 100)).empty());
        QVERIFY(!e.densityImage().isNull());
    }

    void csvQuotesLabels() {
        const std::vector<float> xy{1.5f, -2.f, 3.f, 4.f};
        MapData d = MapData::fromArrays(xy.data(), 2, 2, {QStringLiteral("a,b \"q\""), QStringLiteral("tab\there\nnl")});
        d.tokenTypes = {PointType::Root, PointType::Special};
        const QString csv = QString::fromUtf8(d.toCsv());
        QVERIFY2(csv.startsWith(QStringLiteral("row,x,y,label,token_type\n")), qPrintable(csv));
        QVERIFY(csv.contains(QStringLiteral("0,1.5,-2,\"a,b \"\"q\"\"\",root\n")));
        QVERIFY(csv.contains(QStringLiteral("1,3,4,\"tab\there\nnl\",special\n")));
    }

    void spatialGridMatchesBruteForce() {
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> u(-100.f, 100.f);
        const int n = 50000;
        std::vector<float> xy(size_t(n) * 2);
        for (float& v : xy) v = u(rng);
        // a few duplicates and a tight cluster
        for (int i = 0; i < 100; ++i) {
            xy[size_t(i) * 2] = 5.f;
            xy[size_t(i) * 2 + 1] = 5.f;
        }
        SpatialGrid g;
        g.build(xy.data(), n, 2);
        QCOMPARE(g.size(), n);
        for (int q = 0; q < 200; ++q) {
            const double x = u(rng), y = u(rng), r = 0.5 + (q % 5);
            int best = -1;
            double bd = r * r;
            for (int i = 0; i < n; ++i) {
                const double dx = xy[size_t(i) * 2] - x, dy = xy[size_t(i) * 2 + 1] - y, d = dx * dx + dy * dy;
                if (d < bd) {
                    bd = d;
                    best = i;
                }
            }
            QCOMPARE(g.nearest(x, y, r), best);
        }
        QCOMPARE(g.nearest(5, 5, 0.1), 0);  // duplicates: the lowest id
        const QRectF rect(-30, -10, 45.5, 70);
        std::vector<int> got;
        g.queryRect(rect, got);
        std::sort(got.begin(), got.end());
        std::vector<int> want;
        for (int i = 0; i < n; ++i)
            if (rect.contains(QPointF(xy[size_t(i) * 2], xy[size_t(i) * 2 + 1]))) want.push_back(i);
        QCOMPARE(got, want);
        QVERIFY(g.countApprox(rect) >= std::int64_t(want.size()));
        QPolygonF star;
        for (int k = 0; k < 10; ++k) {
            const double a = k * M_PI / 5, r = (k % 2) ? 30 : 80;
            star << QPointF(10 + r * std::cos(a), -5 + r * std::sin(a));
        }
        got.clear();
        g.queryPolygon(star, got);
        std::sort(got.begin(), got.end());
        want.clear();
        for (int i = 0; i < n; ++i)
            if (star.containsPoint(QPointF(xy[size_t(i) * 2], xy[size_t(i) * 2 + 1]), Qt::OddEvenFill)) want.push_back(i);
        QCOMPARE(got, want);
    }

    void scenePickingAndSelection2D() {
        MapScene s;
        s.setViewport(QSize(800, 600));
        s.setData(clusters(10000, 2, 1));
        // Every point fits after setData.
        for (int i = 0; i < s.size(); i += 97) {
            bool vis = false;
            s.screenPos(i, &vis);
            QVERIFY(vis);
        }
        for (int i = 0; i < s.size(); i += 131) {
            const QPointF p = s.screenPos(i) + QPointF(0.7, -0.4);
            QCOMPARE(s.pick(p, 6.0), bruteNearest(s, p, 6.0));
        }
        const QRectF r(300, 200, 150, 120);
        std::vector<int> want;
        for (int i = 0; i < s.size(); ++i)
            if (r.contains(s.screenPos(i))) want.push_back(i);
        QVERIFY(!want.empty());
        QCOMPARE(s.rowsInRect(r), want);
        // zoom keeps the data point under the cursor fixed
        const QPointF cursor(123, 456);
        const QPointF before = s.toData(cursor);
        s.zoomAt(cursor, 3.7);
        const QPointF after = s.toData(cursor);
        QVERIFY(std::abs(before.x() - after.x()) < 1e-6 && std::abs(before.y() - after.y()) < 1e-6);
        QVERIFY(s.visibleCountApprox() < s.size());
        s.pan(QPointF(10, -5));
        QVERIFY(std::abs(s.toData(cursor + QPointF(10, -5)).x() - after.x()) < 1e-6);
    }

    void scenePickingAndSelection3D() {
        MapScene s;
        s.setViewport(QSize(640, 480));
        s.setData(clusters(5000, 3, 2));
        s.set3D(true);
        const QPointF p0 = s.screenPos(10);
        s.orbit(25, 10);
        QVERIFY(s.screenPos(10) != p0);
        for (int i = 0; i < s.size(); i += 173) {
            const QPointF p = s.screenPos(i) + QPointF(-0.3, 0.9);
            QCOMPARE(s.pick(p, 6.0), bruteNearest(s, p, 6.0));
        }
        QPolygonF tri{QPointF(100, 100), QPointF(500, 150), QPointF(250, 420)};
        std::vector<int> want;
        for (int i = 0; i < s.size(); ++i)
            if (tri.containsPoint(s.screenPos(i), Qt::OddEvenFill)) want.push_back(i);
        QVERIFY(!want.empty());
        QCOMPARE(s.rowsInPolygon(tri), want);
        const double d0 = s.distance();
        s.zoomAt(QPointF(320, 240), 2.0);
        QVERIFY(std::abs(s.distance() - d0 / 2) < 1e-9);
    }

    void coloursAndState() {
        MapData d = clusters(100, 2, 3);
        d.tokenTypes.resize(100);
        for (int i = 0; i < 100; ++i) d.tokenTypes[size_t(i)] = PointType(i % kPointTypeCount);
        std::vector<float> f(100);
        for (int i = 0; i < 100; ++i) f[size_t(i)] = float(i);
        d.columns.push_back(MetaColumn::numeric(QStringLiteral("freq"), f));
        MapScene s;
        s.setData(d);
        QVERIFY(s.setColorByTokenType());
        for (int i = 0; i < 14; ++i) QCOMPARE(s.pointColor(i), MapScene::tokenTypeColor(PointType(i % kPointTypeCount)));
        QVERIFY(s.setColorByColumn(QStringLiteral("cluster")));
        QCOMPARE(s.pointColor(3), MapScene::categoricalColor(3));
        QVERIFY(s.setColorByColumn(QStringLiteral("freq")));
        QCOMPARE(s.pointColor(0), MapScene::continuousColor(0.0));
        QCOMPARE(s.pointColor(99), MapScene::continuousColor(1.0));
        QVERIFY(!s.setColorByColumn(QStringLiteral("nope")));
        QCOMPARE(s.legend().size(), 3);
        s.setHighlighted({5, 3, 3, 500, -1});
        QCOMPARE(s.highlighted(), (std::vector<int>{3, 5}));
        s.setSelection({5, 7});
        s.setHovered(9);
        const auto& ov = s.overlay();
        QCOMPARE(int(ov.size()), 4);
        QCOMPARE(ov.back().row, 9);
        QCOMPARE(int(ov[1].roles), int(MapScene::Highlight | MapScene::Selected));
        QCOMPARE(s.setSearch(QStringLiteral("P1")), 11);  // p1, p10..p19
    }

    void painterExport() {
        MapScene s;
        s.setViewport(QSize(500, 400));
        MapData d = clusters(3000, 2, 4);
        s.setData(d);
        s.setColorByColumn(QStringLiteral("cluster"));
        s.setHighlighted({1, 2, 3});
        const QString svg = tmpPath(QStringLiteral("map.svg")), pdf = tmpPath(QStringLiteral("map.pdf")),
                      png = tmpPath(QStringLiteral("map.png")), csv = tmpPath(QStringLiteral("map.csv"));
        QString err;
        QVERIFY2(s.exportTo(svg, &err), qPrintable(err));
        QVERIFY2(s.exportTo(pdf, &err), qPrintable(err));
        QVERIFY2(s.exportTo(png, &err), qPrintable(err));
        QVERIFY2(s.exportTo(csv, &err), qPrintable(err));
        QVERIFY(!s.exportTo(tmpPath(QStringLiteral("map.bmpx")), &err));
        QVERIFY(err.contains(QStringLiteral("unknown")));
        QFile fs(svg);
        QVERIFY(fs.open(QIODevice::ReadOnly));
        const QByteArray sv = fs.readAll();
        QVERIFY(sv.contains("<svg"));
        QVERIFY(sv.count("<ellipse") + sv.count("<circle") + sv.count("<path") >= 3000);  // vector points
        QFile fp(pdf);
        QVERIFY(fp.open(QIODevice::ReadOnly));
        QVERIFY(fp.read(5) == "%PDF-");
        QImage img(png);
        QCOMPARE(img.size(), QSize(1000, 800));
        int coloured = 0;
        for (int y = 0; y < img.height(); y += 3)
            for (int x = 0; x < img.width(); x += 3)
                if (img.pixel(x, y) != qRgb(255, 255, 255)) ++coloured;
        QVERIFY(coloured > 500);
        QFile fc(csv);
        QVERIFY(fc.open(QIODevice::ReadOnly));
        QCOMPARE(fc.readAll().count('\n'), 3001);
        // Above the vector limit the points go in as one raster image, so the SVG stays small.
        MapRenderOptions o;
        o.vectorPointLimit = 100;
        QVERIFY(s.exportTo(tmpPath(QStringLiteral("map_raster.svg")), &err, o));
        QFile fr(tmpPath(QStringLiteral("map_raster.svg")));
        QVERIFY(fr.open(QIODevice::ReadOnly));
        QVERIFY(fr.readAll().contains("<image"));
    }

    void densityImageCountsPoints() {
        MapScene s;
        s.setViewport(QSize(200, 100));
        s.setData(clusters(20000, 2, 5));
        const QImage img = s.densityImage(1.0, 2);
        QCOMPARE(img.size(), QSize(100, 50));
        int filled = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                if (qAlpha(img.pixel(x, y)) > 0) ++filled;
        QVERIFY(filled > 100);
    }
};

QTEST_MAIN(TestMapCore)
#include "tst_map_core.moc"
