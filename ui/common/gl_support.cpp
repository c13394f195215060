#include "ui/common/gl_support.h"

#include <QGuiApplication>
#include <QOffscreenSurface>
#include <QOpenGLContext>

namespace embedlab {

bool openGLAvailable() {
    static const bool available = [] {
        const QString platform = QGuiApplication::platformName();
        if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal")) return false;
        QOpenGLContext ctx;
        if (!ctx.create()) return false;
        QOffscreenSurface surface;
        surface.setFormat(ctx.format());
        surface.create();
        const bool ok = surface.isValid() && ctx.makeCurrent(&surface);
        if (ok) ctx.doneCurrent();
        return ok;
    }();
    return available;
}

}  // namespace embedlab
