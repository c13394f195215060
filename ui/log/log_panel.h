// embedlab ui — the messages/log panel: errors, warnings and information from jobs and the app.
#pragma once

#include <QWidget>

class QPlainTextEdit;

namespace embedlab {

class LogPanel : public QWidget {
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };
    explicit LogPanel(QWidget* parent = nullptr);

    void append(Level level, const QString& text);
    QString plainText() const;
    int count(Level level) const;

Q_SIGNALS:
    void messageAdded(int level, const QString& text);

private:
    QPlainTextEdit* view_;
    int counts_[3] = {0, 0, 0};
};

}  // namespace embedlab
