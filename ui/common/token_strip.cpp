#include "ui/common/token_strip.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

namespace embedlab {

namespace {
constexpr int kPadX = 4, kPadY = 2, kGap = 3, kMargin = 4;
}

TokenStrip::TokenStrip(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

QString TokenStrip::visibleText(const QString& token) {
    QString s = token;
    s.replace(QLatin1Char(' '), QChar(0x00B7));
    s.replace(QLatin1Char('\n'), QChar(0x21B5));
    s.replace(QLatin1Char('\t'), QChar(0x2192));
    if (s.isEmpty()) s = QStringLiteral("∅");
    return s;
}

void TokenStrip::setChips(QVector<TokenChip> chips) {
    chips_ = std::move(chips);
    laidOutWidth_ = -1;
    updateGeometry();
    update();
}

void TokenStrip::appendChip(const TokenChip& chip) {
    chips_.push_back(chip);
    laidOutWidth_ = -1;
    updateGeometry();
    update();
}

void TokenStrip::clear() { setChips({}); }

void TokenStrip::layoutChips(int width) const {
    if (laidOutWidth_ == width && rects_.size() == chips_.size()) return;
    const QFontMetrics fm(font());
    rects_.resize(chips_.size());
    int x = kMargin, y = kMargin;
    const int h = fm.height() + 2 * kPadY;
    for (int i = 0; i < chips_.size(); ++i) {
        const int w = fm.horizontalAdvance(visibleText(chips_[i].text)) + 2 * kPadX;
        if (x + w > width - kMargin && x > kMargin) {
            x = kMargin;
            y += h + kGap;
        }
        rects_[i] = QRect(x, y, w, h);
        x += w + kGap;
    }
    laidOutWidth_ = width;
    laidOutHeight_ = (chips_.isEmpty() ? 0 : y + h) + kMargin;
}

int TokenStrip::heightForWidth(int w) const {
    layoutChips(w);
    return std::max(laidOutHeight_, QFontMetrics(font()).height() + 2 * kMargin);
}

QSize TokenStrip::sizeHint() const { return QSize(400, heightForWidth(width() > 0 ? width() : 400)); }

QRect TokenStrip::chipRect(int index) const {
    layoutChips(width());
    return index >= 0 && index < rects_.size() ? rects_[index] : QRect();
}

int TokenStrip::chipAt(const QPoint& pos) const {
    layoutChips(width());
    for (int i = 0; i < rects_.size(); ++i)
        if (rects_[i].contains(pos)) return i;
    return -1;
}

void TokenStrip::resizeEvent(QResizeEvent*) {
    laidOutWidth_ = -1;
    updateGeometry();
}

void TokenStrip::paintEvent(QPaintEvent*) {
    layoutChips(width());
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    for (int i = 0; i < chips_.size(); ++i) {
        const QColor fill = chips_[i].color.isValid() ? chips_[i].color : QColor(230, 230, 230);
        p.setPen(fill.darker(130));
        p.setBrush(fill);
        p.drawRoundedRect(rects_[i], 3, 3);
        p.setPen(fill.lightness() < 110 ? Qt::white : Qt::black);
        p.drawText(rects_[i], Qt::AlignCenter, visibleText(chips_[i].text));
    }
}

bool TokenStrip::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip) {
        auto* he = static_cast<QHelpEvent*>(e);
        const int i = chipAt(he->pos());
        if (i >= 0) {
            Q_EMIT chipHovered(i);
            QToolTip::showText(he->globalPos(), chips_[i].tooltip, this, chipRect(i));
        } else {
            QToolTip::hideText();
            e->ignore();
        }
        return true;
    }
    return QWidget::event(e);
}

}  // namespace embedlab
