#include "workspace/workspace.h"

#include "log/log_panel.h"
#include "mainwindow/main_window.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace embedlab {

Workspace::Workspace(MainWindow* window) : QObject(window), window_(window) {}

QString Workspace::defaultWorkspaceDir() {
    QStringList candidates;
    const QString env = qEnvironmentVariable("EMBEDLAB_WORKSPACE");
    if (!env.isEmpty()) candidates << env;
    const QString exeDir = QCoreApplication::applicationDirPath();
    candidates << exeDir + QStringLiteral("/../share/embedlab/workspace");
    candidates << exeDir + QStringLiteral("/../../data/workspace");  // build/bin → source/data
    for (const QString& c : candidates)
        if (QFileInfo::exists(c + QStringLiteral("/workspace.json"))) return QDir(c).canonicalPath();
    return {};
}

QString Workspace::openDefault() {
    const QString dir = defaultWorkspaceDir();
    if (dir.isEmpty()) {
        window_->log()->append(LogPanel::Level::Info,
                               tr("No default workspace found; drop files to start (run packaging/setup-workspace.sh "
                                  "to build the offline default workspace)."));
        return {};
    }
    QFile f(dir + QStringLiteral("/workspace.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        window_->log()->append(LogPanel::Level::Error,
                               tr("The default workspace %1 has an invalid workspace.json: %2").arg(dir, err.errorString()));
        return {};
    }
    const QJsonArray open = doc.object().value(QStringLiteral("open")).toArray();
    for (const auto& v : open) {
        QString p = v.toString();
        if (QFileInfo(p).isRelative()) p = dir + QLatin1Char('/') + p;
        window_->openPath(p);
    }
    window_->log()->append(LogPanel::Level::Info, tr("Default workspace: %1").arg(dir));
    return dir;
}

}  // namespace embedlab
