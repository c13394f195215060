#include "ui/log/log_panel.h"

#include <QDateTime>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace embedlab {

LogPanel::LogPanel(QWidget* parent) : QWidget(parent), view_(new QPlainTextEdit(this)) {
    view_->setReadOnly(true);
    view_->setMaximumBlockCount(5000);
    view_->setObjectName(QStringLiteral("logView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(view_);
}

void LogPanel::append(Level level, const QString& text) {
    const char* tag = level == Level::Error ? "error" : level == Level::Warning ? "warning" : "info";
    const QString color = level == Level::Error ? QStringLiteral("#b00020")
                          : level == Level::Warning ? QStringLiteral("#9a6700")
                                                    : QStringLiteral("#333333");
    const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    view_->appendHtml(QStringLiteral("<span style='color:%1'>%2 %3: %4</span>")
                          .arg(color, time, QLatin1String(tag), text.toHtmlEscaped()));
    ++counts_[static_cast<int>(level)];
    Q_EMIT messageAdded(static_cast<int>(level), text);
}

QString LogPanel::plainText() const { return view_->toPlainText(); }
int LogPanel::count(Level level) const { return counts_[static_cast<int>(level)]; }

}  // namespace embedlab
