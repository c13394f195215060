#include "app/bridge/engine_info.h"

#include "engine/device/device.h"
#include "engine/io/file_kind.h"
#include "engine/models/presets.h"

namespace embedlab {

QVector<DeviceEntry> engineDevices() {
    QVector<DeviceEntry> out;
    for (const auto& d : listDevices()) {
        if (!d.available) continue;
        out.push_back({QString::fromStdString(d.name), QString::fromStdString(d.description), d.totalMemoryBytes});
    }
    return out;
}

QString engineBestDevice() { return QString::fromStdString(bestDevice()); }

QStringList engineModelPresets() {
    QStringList out;
    for (const auto& n : modelPresetNames()) out << QString::fromStdString(n);
    return out;
}
int engineSetThreads(int n) { return setThreadCount(n); }
int engineThreads() { return threadCount(); }
int engineHardwareThreads() { return hardwareThreads(); }

QString engineVersionLine() {
    QString s = QStringLiteral("embedlab %1 · LibTorch %2")
                    .arg(QString::fromStdString(embedlabVersion()), QString::fromStdString(torchVersion()));
    const std::string blas = blasDescription();
    if (!blas.empty()) s += QStringLiteral(" · ") + QString::fromStdString(blas).section(QLatin1Char(' '), 0, 1);
    return s;
}

PathKind classifyDroppedPath(const QString& path, QString* why) {
    std::string w;
    const FileKind k = classifyPath(path.toStdString(), &w);
    if (why) *why = QString::fromStdString(w);
    switch (k) {
    case FileKind::ModelFolder: return PathKind::ModelFolder;
    case FileKind::Tokenizer: return PathKind::Tokenizer;
    case FileKind::Corpus: return PathKind::Corpus;
    case FileKind::Vectors: return PathKind::Vectors;
    case FileKind::Missing: return PathKind::Missing;
    case FileKind::Unknown: return PathKind::Unknown;
    }
    return PathKind::Unknown;
}

QString pathKindName(PathKind k) {
    switch (k) {
    case PathKind::ModelFolder: return QStringLiteral("model folder");
    case PathKind::Tokenizer: return QStringLiteral("tokenizer");
    case PathKind::Corpus: return QStringLiteral("corpus");
    case PathKind::Vectors: return QStringLiteral("vectors");
    case PathKind::Missing: return QStringLiteral("missing");
    case PathKind::Unknown: return QStringLiteral("unknown");
    }
    return {};
}

}  // namespace embedlab
