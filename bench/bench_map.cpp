// bench_map: frame time of the embedding map (EmbeddingMapView, OpenGL) with 100,000 and 1,000,000
// random points, for full points and for the density level of detail, against a baseline measured
// in the same run on the same points: a plain QPainter drawPoints into a QImage of the same size.
// Run under xvfb-run (Mesa llvmpipe):  xvfb-run -a -s "-screen 0 1280x1024x24" build/bin/bench_map
// Options: --sizes 100000,1000000  --frames 15  --width 1024 --height 768
// Figures: docs/map.md.
#include "ui/map/embedding_map_view.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QImage>
#include <QPainter>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>

using namespace embedlab;

namespace {

struct Stats {
    double mean = 0, median = 0;
};

Stats stats(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

// n points: 30 Gaussian clusters of different spread plus 10% uniform noise; 10 classes.
MapData randomData(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-100.f, 100.f);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> cx(30), cy(30), cs(30);
    for (int c = 0; c < 30; ++c) {
        cx[size_t(c)] = u(rng);
        cy[size_t(c)] = u(rng);
        cs[size_t(c)] = 2.f + std::abs(u(rng)) / 12.f;
    }
    std::vector<float> xy(size_t(n) * 2);
    for (int i = 0; i < n; ++i) {
        if (i % 10 == 9) {
            xy[size_t(i) * 2] = u(rng);
            xy[size_t(i) * 2 + 1] = u(rng);
        } else {
            const int c = i % 30;
            xy[size_t(i) * 2] = cx[size_t(c)] + cs[size_t(c)] * g(rng);
            xy[size_t(i) * 2 + 1] = cy[size_t(c)] + cs[size_t(c)] * g(rng);
        }
    }
    MapData d = MapData::fromArrays(xy.data(), n, 2);
    QStringList classes;
    classes.reserve(n);
    for (int i = 0; i < n; ++i) classes << QStringLiteral("k%1").arg(i % 10);
    d.columns.push_back(MetaColumn::categorical(QStringLiteral("class"), classes));
    return d;
}

// One frame of the view, timed by the view itself (paintGL including glFinish).
double viewFrame(EmbeddingMapView& v) {
    v.update();
    v.repaint();
    QCoreApplication::processEvents();
    return v.lastFrameMs();
}

// The same frame drawn with QPainter::drawPoints into an image (the same points, colours, point
// size and alpha; projection included, antialiasing off).
double painterFrame(const MapScene& s, QImage& img) {
    QElapsedTimer t;
    t.start();
    img.fill(Qt::white);
    QPainter p(&img);
    const int n = s.size();
    const auto& rgba = s.colors();
    const auto& pos = s.positions();
    // Group by colour (10 classes) so a pen is set once per colour, as a careful QPainter user would.
    std::vector<std::vector<QPointF>> groups(256);
    std::vector<QRgb> groupColour(256, 0);
    int used = 0;
    const double hw = s.viewport().width() / 2.0, hh = s.viewport().height() / 2.0, sc = s.scale();
    const QPointF c = s.center();
    QHash<QRgb, int> index;
    for (int i = 0; i < n; ++i) {
        const std::uint8_t* col = &rgba[size_t(i) * 4];
        const QRgb key = qRgb(col[0], col[1], col[2]);
        auto it = index.constFind(key);
        int gi;
        if (it == index.constEnd()) {
            gi = used++;
            index.insert(key, gi);
            groupColour[size_t(gi)] = key;
        } else {
            gi = *it;
        }
        groups[size_t(gi)].emplace_back(hw + (double(pos[size_t(i) * 3]) - c.x()) * sc, hh - (double(pos[size_t(i) * 3 + 1]) - c.y()) * sc);
    }
    QPen pen;
    pen.setWidthF(s.pointSize());
    pen.setCapStyle(Qt::SquareCap);
    for (int gi = 0; gi < used; ++gi) {
        QColor col(groupColour[size_t(gi)]);
        col.setAlphaF(s.pointAlpha());
        pen.setColor(col);
        p.setPen(pen);
        p.drawPoints(groups[size_t(gi)].data(), int(groups[size_t(gi)].size()));
    }
    p.end();
    return double(t.nsecsElapsed()) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    std::vector<int> sizes{100000, 1000000};
    int frames = 15, width = 1024, height = 768;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--sizes")) {
            sizes.clear();
            for (const QString& s : args[i + 1].split(QLatin1Char(','))) sizes.push_back(s.toInt());
        } else if (args[i] == QLatin1String("--frames")) {
            frames = std::max(3, args[i + 1].toInt());
        } else if (args[i] == QLatin1String("--width")) {
            width = args[i + 1].toInt();
        } else if (args[i] == QLatin1String("--height")) {
            height = args[i + 1].toInt();
        }
    }
    std::printf("bench_map: %dx%d view, %d frames per figure, %d CPU threads\n", width, height, frames,
                QThread::idealThreadCount());
    for (int n : sizes) {
        QElapsedTimer t;
        t.start();
        MapData d = randomData(n, 1234u + unsigned(n));
        const double genMs = double(t.nsecsElapsed()) / 1e6;
        EmbeddingMapView v;
        v.resize(width, height);
        t.restart();
        v.setData(std::move(d));
        const double setDataMs = double(t.nsecsElapsed()) / 1e6;
        v.setColorByColumn(QStringLiteral("class"));
        v.show();
        if (!QTest::qWaitForWindowExposed(&v)) {
            std::fprintf(stderr, "bench_map: the window was not exposed (run under xvfb-run)\n");
            return 1;
        }
        v.grabFramebuffer();
        if (!v.usingGL()) std::fprintf(stderr, "bench_map: no usable GL shader; measuring the QPainter fallback\n");
        if (n == sizes.front()) std::printf("GL: %s\n", qPrintable(v.glInfo()));

        auto measure = [&](EmbeddingMapView::LodMode mode, bool* densityUsed) {
            v.setLodMode(mode);
            std::vector<double> ms;
            for (int i = 0; i < 2; ++i) viewFrame(v);  // warm-up (uploads)
            for (int i = 0; i < frames; ++i) ms.push_back(viewFrame(v));
            *densityUsed = v.lastFrameUsedDensity();
            return stats(ms);
        };
        bool dPoints = false, dDensity = false;
        const Stats full = measure(EmbeddingMapView::LodMode::Points, &dPoints);
        const Stats dens = measure(EmbeddingMapView::LodMode::Density, &dDensity);

        QImage img(QSize(width, height) * v.devicePixelRatioF(), QImage::Format_ARGB32_Premultiplied);
        img.setDevicePixelRatio(v.devicePixelRatioF());
        std::vector<double> pms;
        painterFrame(v.scene(), img);
        for (int i = 0; i < frames; ++i) pms.push_back(painterFrame(v.scene(), img));
        const Stats painter = stats(pms);

        // Hover picking latency on the grid (CPU), 2000 random cursor positions.
        std::mt19937 rng(7);
        std::uniform_real_distribution<double> ux(0, width), uy(0, height);
        t.restart();
        int hits = 0;
        for (int i = 0; i < 2000; ++i) hits += v.scene().pick(QPointF(ux(rng), uy(rng)), 6.0) >= 0;
        const double pickUs = double(t.nsecsElapsed()) / 1e3 / 2000;

        std::printf("\nN = %d points (point size %.0f px; data %.0f ms, setData incl. grid %.0f ms)\n", n,
                    double(v.scene().pointSize()), genMs, setDataMs);
        std::printf("  full points (GL)        mean %8.2f ms  median %8.2f ms%s\n", full.mean, full.median,
                    dPoints ? "  [density was used!]" : "");
        std::printf("  density LOD (CPU+GL)    mean %8.2f ms  median %8.2f ms%s\n", dens.mean, dens.median,
                    dDensity ? "" : "  [density not used!]");
        std::printf("  QPainter drawPoints     mean %8.2f ms  median %8.2f ms  (baseline, same run)\n", painter.mean,
                    painter.median);
        std::printf("  ratio baseline/full     %.2fx (median)\n", painter.median / std::max(1e-9, full.median));
        std::printf("  ratio baseline/density  %.2fx (median)\n", painter.median / std::max(1e-9, dens.median));
        std::printf("  hover pick              %.1f us per query (%d/2000 hits)\n", pickUs, hits);
        std::fflush(stdout);
    }
    return 0;
}
