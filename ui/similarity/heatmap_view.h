// embedlab ui — a sentence × sentence cosine heatmap: one cell per pair, coloured on a viridis ramp
// over the range of the off-diagonal values (with a colour bar); hovering a cell shows both texts and
// the score. Painted with plain rectangles, so an SVG export stays vector.
#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>

namespace embedlab {

class HeatmapView : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget* parent = nullptr);

    // matrix: n × n row-major; texts and rows (store row ids) in display order.
    void setData(const QVector<float>& matrix, const QStringList& texts, const QVector<qint64>& rows);
    void clear();
    int size() const { return texts_.size(); }
    float value(int i, int j) const { return matrix_.at(i * size() + j); }
    const QVector<float>& matrix() const { return matrix_; }
    const QStringList& texts() const { return texts_; }
    const QVector<qint64>& rows() const { return rows_; }
    void setTitle(const QString& title);
    QString title() const { return title_; }

    // The cell under a widget position (-1, -1 when none) and the rectangle of a cell.
    QPair<int, int> cellAt(const QPoint& pos) const;
    QRect cellRect(int i, int j) const;
    // "score 0.8123\nA: …\nB: …" for a cell.
    QString hoverText(int i, int j) const;
    // The display range of the colour scale.
    float minValue() const { return lo_; }
    float maxValue() const { return hi_; }
    static QColor colorFor(double t);  // t in [0, 1] → viridis

    QSize sizeHint() const override { return QSize(560, 520); }
    QSize minimumSizeHint() const override { return QSize(240, 220); }

Q_SIGNALS:
    void cellHovered(int i, int j, double score);

protected:
    void paintEvent(QPaintEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    bool event(QEvent* e) override;

private:
    QRect gridRect() const;
    int labelWidth() const;

    QVector<float> matrix_;
    QStringList texts_;
    QVector<qint64> rows_;
    QString title_;
    float lo_ = 0, hi_ = 1;
};

}  // namespace embedlab
