// embedlab app — engine facts for the UI in Qt types (devices, threads, versions). Torch-free.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

namespace embedlab {

struct DeviceEntry {
    QString name;         // "cpu", "cuda:0", "mps"
    QString description;  // for tooltips
    qint64 totalMemoryBytes = -1;
};

QVector<DeviceEntry> engineDevices();
QString engineBestDevice();
QStringList engineModelPresets();  // gemma3-270m, gemma3-270m-tr, gpt2, bert-base, xlm-roberta-base
int engineSetThreads(int n);  // n <= 0: all cores; returns the count in use
int engineThreads();
int engineHardwareThreads();
QString engineVersionLine();  // "embedlab 0.1.0 · LibTorch 1.13.0 · OpenBLAS ..."

// What kind of path this is (see engine/io/file_kind.h). `why` receives a message for unknown kinds.
enum class PathKind { ModelFolder, Tokenizer, Corpus, Vectors, Missing, Unknown };
PathKind classifyDroppedPath(const QString& path, QString* why = nullptr);
QString pathKindName(PathKind k);

}  // namespace embedlab
