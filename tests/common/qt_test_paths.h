// Paths for the Qt tests: fixtures, a scratch folder per test binary, and the screenshots folder.
#pragma once

#include "test_paths.h"

#include <QDir>
#include <QString>

namespace embedlab::test {

inline QString qtFixture(const QString& rel) { return QString::fromStdString(fixture(rel.toStdString())); }

// <test tmp>/<binary>/<rel>, the folder made.
inline QString qtScratch(const QString& binary, const QString& rel) {
    const QString base = QString::fromStdString(tmpDir()) + QLatin1Char('/') + binary;
    QDir().mkpath(base);
    return base + QLatin1Char('/') + rel;
}

// <test tmp>/screenshots/<name>: screenshot tests save PNGs there to be looked at.
inline QString qtScreenshot(const QString& name) { return qtScratch(QStringLiteral("screenshots"), name); }

}  // namespace embedlab::test
