// embedlab ui — exporting a chart or any widget as PNG, SVG or PDF (by the file's extension), and
// text results atomically (QSaveFile).
#pragma once

#include <QString>

#include <functional>

class QAbstractButton;
class QWidget;

namespace embedlab {

// Renders `w` into `path` (.png, .svg or .pdf). Returns false and sets `error` on failure.
bool exportWidget(QWidget* w, const QString& path, QString* error = nullptr);
// Writes text atomically. Returns false and sets `error` on failure.
bool saveTextAtomically(const QString& path, const QByteArray& data, QString* error = nullptr);

// The save-dialog filter for chart and image exports: PNG, SVG, PDF.
QString imageFileFilter();
// When `button` is clicked, asks for a file to save (dialog title, suggested name, filter) and hands
// the chosen path to `save`; nothing happens when the dialog is cancelled.
void onClickSaveAs(QAbstractButton* button, QWidget* parent, const QString& title, const QString& suggested,
                   const QString& filter, std::function<void(const QString&)> save);

}  // namespace embedlab
