#include "ui/similarity/heatmap_view.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace embedlab {

namespace {
constexpr int kMargin = 8;
constexpr int kTitle = 22;
constexpr int kBar = 14;      // colour bar width
constexpr int kBarText = 48;  // its labels

QString shortText(const QString& s, int max) {
    QString t = s.simplified();
    if (t.size() > max) t = t.left(max - 1) + QChar(0x2026);
    return t;
}
}  // namespace

HeatmapView::HeatmapView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("similarityHeatmap"));
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent, false);
}

void HeatmapView::setData(const QVector<float>& matrix, const QStringList& texts, const QVector<qint64>& rows) {
    matrix_ = matrix;
    texts_ = texts;
    rows_ = rows;
    const int n = texts_.size();
    lo_ = 1;
    hi_ = -1;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            if (i == j && n > 1) continue;
            lo_ = std::min(lo_, matrix_[i * n + j]);
            hi_ = std::max(hi_, matrix_[i * n + j]);
        }
    if (n == 0 || lo_ > hi_) {
        lo_ = 0;
        hi_ = 1;
    }
    if (hi_ - lo_ < 1e-6f) lo_ = hi_ - 1e-3f;
    update();
}

void HeatmapView::clear() { setData({}, {}, {}); }

void HeatmapView::setTitle(const QString& title) {
    title_ = title;
    update();
}

QColor HeatmapView::colorFor(double t) {
    // viridis at 0, .25, .5, .75, 1
    static const double stops[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    t = std::clamp(t, 0.0, 1.0) * 4.0;
    const int k = std::min(3, static_cast<int>(t));
    const double f = t - k;
    auto mix = [&](int c) { return static_cast<int>(std::lround(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f)); };
    return QColor(mix(0), mix(1), mix(2));
}

int HeatmapView::labelWidth() const {
    const int n = size();
    if (n == 0) return 0;
    const int cell = (std::min(width(), height()) - 2 * kMargin - kTitle) / std::max(1, n);
    return cell >= 10 ? std::min(180, width() / 4) : 0;
}

QRect HeatmapView::gridRect() const {
    const int n = size();
    if (n == 0) return {};
    const int left = kMargin + labelWidth();
    const int availW = width() - left - kMargin - kBar - kBarText;
    const int availH = height() - kTitle - 2 * kMargin;
    const int side = std::max(n, std::min(availW, availH));
    const int cell = std::max(1, side / n);
    return QRect(left, kTitle + kMargin, cell * n, cell * n);
}

QRect HeatmapView::cellRect(int i, int j) const {
    const QRect g = gridRect();
    const int n = size();
    if (n == 0 || i < 0 || j < 0 || i >= n || j >= n) return {};
    const int cell = g.width() / n;
    return QRect(g.left() + j * cell, g.top() + i * cell, cell, cell);
}

QPair<int, int> HeatmapView::cellAt(const QPoint& pos) const {
    const QRect g = gridRect();
    const int n = size();
    if (n == 0 || !g.contains(pos)) return {-1, -1};
    const int cell = g.width() / n;
    const int j = (pos.x() - g.left()) / cell, i = (pos.y() - g.top()) / cell;
    if (i < 0 || j < 0 || i >= n || j >= n) return {-1, -1};
    return {i, j};
}

QString HeatmapView::hoverText(int i, int j) const {
    if (i < 0 || j < 0 || i >= size() || j >= size()) return {};
    return tr("cosine %1\nA (row %2): %3\nB (row %4): %5")
        .arg(double(value(i, j)), 0, 'f', 4)
        .arg(rows_.value(i))
        .arg(shortText(texts_[i], 300))
        .arg(rows_.value(j))
        .arg(shortText(texts_[j], 300));
}

void HeatmapView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const int n = size();
    p.setPen(palette().windowText().color());
    QFont tf = font();
    tf.setBold(true);
    p.setFont(tf);
    p.drawText(QRect(kMargin, 2, width() - 2 * kMargin, kTitle), Qt::AlignLeft | Qt::AlignVCenter,
               n == 0 ? tr("Cosine heatmap — embed a corpus, then choose a subset") : title_);
    p.setFont(font());
    if (n == 0) return;
    const QRect g = gridRect();
    const float span = hi_ - lo_;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            const double t = (double(value(i, j)) - lo_) / span;
            p.fillRect(cellRect(i, j), colorFor(t));
        }
    p.setPen(QPen(palette().mid().color(), 0));
    p.drawRect(g.adjusted(0, 0, -1, -1));
    // Row labels when the cells are tall enough.
    const int lw = labelWidth();
    if (lw > 0) {
        QFont small = font();
        small.setPointSizeF(std::max(6.0, std::min(font().pointSizeF(), g.height() / double(n) * 0.6)));
        p.setFont(small);
        p.setPen(palette().windowText().color());
        const QFontMetrics fm(small);
        for (int i = 0; i < n; ++i) {
            const QRect r = cellRect(i, 0);
            p.drawText(QRect(kMargin, r.top(), lw - 4, r.height()), Qt::AlignRight | Qt::AlignVCenter,
                       fm.elidedText(texts_[i].simplified(), Qt::ElideRight, lw - 4));
        }
        p.setFont(font());
    }
    // Colour bar.
    const QRect bar(g.right() + 10, g.top(), kBar, g.height());
    const int steps = std::max(2, bar.height());
    for (int y = 0; y < steps; ++y) {
        const double t = 1.0 - double(y) / (steps - 1);
        p.fillRect(QRect(bar.left(), bar.top() + y, bar.width(), 1), colorFor(t));
    }
    p.setPen(palette().windowText().color());
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    const QFontMetrics fm(font());
    p.drawText(QPoint(bar.right() + 4, bar.top() + fm.ascent()), QString::number(double(hi_), 'f', 3));
    p.drawText(QPoint(bar.right() + 4, bar.bottom()), QString::number(double(lo_), 'f', 3));
}

void HeatmapView::mouseMoveEvent(QMouseEvent* e) {
    const auto c = cellAt(e->position().toPoint());
    if (c.first >= 0) {
        Q_EMIT cellHovered(c.first, c.second, value(c.first, c.second));
        QToolTip::showText(e->globalPosition().toPoint(), hoverText(c.first, c.second), this);
    } else {
        QToolTip::hideText();
    }
    QWidget::mouseMoveEvent(e);
}

bool HeatmapView::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip) {
        auto* he = static_cast<QHelpEvent*>(e);
        const auto c = cellAt(he->pos());
        if (c.first >= 0) {
            Q_EMIT cellHovered(c.first, c.second, value(c.first, c.second));
            QToolTip::showText(he->globalPos(), hoverText(c.first, c.second), this);
        } else {
            QToolTip::hideText();
            e->ignore();
        }
        return true;
    }
    return QWidget::event(e);
}

}  // namespace embedlab
