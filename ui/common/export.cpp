#include "ui/common/export.h"

#include <QAbstractButton>
#include <QFileDialog>
#include <QFileInfo>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

#include <functional>

namespace embedlab {

bool exportWidget(QWidget* w, const QString& path, QString* error) {
    const QString ext = QFileInfo(path).suffix().toLower();
    const QSize size = w->size();
    if (ext == QLatin1String("png")) {
        // Render into memory first, then write atomically.
        QImage img(size * 2, QImage::Format_ARGB32);
        img.setDevicePixelRatio(2.0);
        img.fill(Qt::white);
        {
            QPainter p(&img);
            w->render(&p);
        }
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || !img.save(&f, "PNG") || !f.commit()) {
            if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
            return false;
        }
        return true;
    }
    // Vector formats: paint into a temporary file beside the target, then rename it into place.
    auto paintAtomically = [&](const std::function<bool(const QString& tmp)>& paint) {
        const QString tmp = path + QStringLiteral(".part");
        if (!paint(tmp)) {
            QFile::remove(tmp);
            if (error) *error = QStringLiteral("cannot write %1").arg(path);
            return false;
        }
        QFile::remove(path);
        if (!QFile::rename(tmp, path)) {
            if (error) *error = QStringLiteral("cannot write %1").arg(path);
            return false;
        }
        return true;
    };
    if (ext == QLatin1String("svg")) {
        return paintAtomically([&](const QString& tmp) {
            QSvgGenerator gen;
            gen.setFileName(tmp);
            gen.setSize(size);
            gen.setViewBox(QRect(QPoint(0, 0), size));
            gen.setTitle(w->windowTitle());
            QPainter p;
            if (!p.begin(&gen)) return false;
            w->render(&p);
            return p.end();
        });
    }
    if (ext == QLatin1String("pdf")) {
        return paintAtomically([&](const QString& tmp) {
            QPdfWriter pdf(tmp);
            pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf.setResolution(72);
            QPainter p;
            if (!p.begin(&pdf)) return false;
            w->render(&p);
            return p.end();
        });
    }
    if (error) *error = QStringLiteral("unknown image format '%1': use .png, .svg or .pdf").arg(ext);
    return false;
}

bool saveTextAtomically(const QString& path, const QByteArray& data, QString* error) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

QString imageFileFilter() { return QObject::tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"); }

void onClickSaveAs(QAbstractButton* button, QWidget* parent, const QString& title, const QString& suggested,
                   const QString& filter, std::function<void(const QString&)> save) {
    QObject::connect(button, &QAbstractButton::clicked, parent, [=] {
        const QString f = QFileDialog::getSaveFileName(parent, title, suggested, filter);
        if (!f.isEmpty()) save(f);
    });
}

}  // namespace embedlab
