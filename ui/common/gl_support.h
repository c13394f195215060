// embedlab ui — whether this session can render OpenGL widgets. Under QT_QPA_PLATFORM=offscreen
// or minimal (and on machines without a working GL driver) a QOpenGLWidget in a shown window makes
// Qt 6.4 crash in its backing-store flush, so GL views are only created when this returns true.
#pragma once

namespace embedlab {

// Tries once per process: a platform with OpenGL and a context that can be made current.
bool openGLAvailable();

}  // namespace embedlab
