// embedlab ui — exporting a chart or any widget as PNG, SVG or PDF (by the file's extension), and
// text results atomically (QSaveFile).
#pragma once

#include <QString>

class QWidget;

namespace embedlab {

// Renders `w` into `path` (.png, .svg or .pdf). Returns false and sets `error` on failure.
bool exportWidget(QWidget* w, const QString& path, QString* error = nullptr);
// Writes text atomically. Returns false and sets `error` on failure.
bool saveTextAtomically(const QString& path, const QByteArray& data, QString* error = nullptr);

}  // namespace embedlab
