// embedlab ui — a wrapped row of coloured token chips (the tokenizer lab's segmentation, the
// generation view's streamed output). Each chip has a text, a fill colour and a tooltip shown on
// hover. Whitespace inside a token is drawn visibly (· for space, ↵ for newline, → for tab).
#pragma once

#include <QColor>
#include <QVector>
#include <QWidget>

namespace embedlab {

struct TokenChip {
    QString text;
    QColor color;
    QString tooltip;
    qint64 id = -1;
};

class TokenStrip : public QWidget {
    Q_OBJECT
public:
    explicit TokenStrip(QWidget* parent = nullptr);

    void setChips(QVector<TokenChip> chips);
    void appendChip(const TokenChip& chip);
    void clear();
    const QVector<TokenChip>& chips() const { return chips_; }
    // The chip under a point in widget coordinates, or -1.
    int chipAt(const QPoint& pos) const;
    QRect chipRect(int index) const;

    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override;

    static QString visibleText(const QString& token);

Q_SIGNALS:
    void chipHovered(int index);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    bool event(QEvent* e) override;

private:
    void layoutChips(int width) const;
    QVector<TokenChip> chips_;
    mutable QVector<QRect> rects_;
    mutable int laidOutWidth_ = -1;
    mutable int laidOutHeight_ = 0;
};

}  // namespace embedlab
