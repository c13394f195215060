#include "app/state/workspace_state.h"

#include <QDateTime>
#include <cmath>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTimer>

namespace embedlab {

WorkspaceState::WorkspaceState(JobRunner* runner, QObject* parent) : QObject(parent), runner_(runner) {
    qRegisterMetaType<embedlab::SessionReport>("embedlab::SessionReport");
    // Results are edits: the autosave keeps them.
    connect(&evaluationRows_, &EvaluationRows::rowAdded, this, [this] { markDirty(); });
    connect(&evaluationRows_, &EvaluationRows::rowsReset, this, [this] { markDirty(); });  // Clear; restore resets the flag after
    connect(&trainingRuns_, &TrainingRuns::runAdded, this, [this] { markDirty(); });
    connect(&trainingRuns_, &TrainingRuns::metricAdded, this, [this] { markDirty(); });
    connect(&trainingRuns_, &TrainingRuns::sampleAdded, this, [this] { markDirty(); });
    connect(&trainingRuns_, &TrainingRuns::runFinished, this, [this] { markDirty(); });
}

JobHandlePtr WorkspaceState::loadModel(const QString& path, const QString& device, const QString& dtype) {
    auto job = std::make_shared<LoadModelJob>(path, device, dtype);
    JobHandlePtr h = runner_->submit(job);
    connect(h.get(), &JobHandle::succeeded, this, [this, job] {
        models_.push_back({job->session, job->info});
        markDirty();
        Q_EMIT modelAdded(models_.size() - 1);
        if (!restoring_) setCurrentModel(models_.size() - 1);
    });
    return h;
}

void WorkspaceState::setCurrentModel(int i) {
    if (i < -1 || i >= models_.size() || i == current_) return;
    current_ = i;
    markDirty();
    Q_EMIT currentModelChanged(i);
}

void WorkspaceState::setModelInfo(int i, const ModelInfo& info) {
    if (i < 0 || i >= models_.size()) return;
    models_[i].info = info;
    markDirty();
    Q_EMIT modelChanged(i);
}

void WorkspaceState::addParticipant(SessionParticipant* p) { participants_.push_back(p); }

void WorkspaceState::markDirty() { dirty_ = true; }

QString WorkspaceState::autosavePath() {
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty()) dir = QDir::homePath() + QStringLiteral("/.local/share/embedlab");
    return dir + QStringLiteral("/autosave.embedlab-session.json");
}

QJsonObject WorkspaceState::toSessionJson() const {
    QJsonObject doc;
    doc[QStringLiteral("format")] = QStringLiteral("embedlab-session");
    doc[QStringLiteral("version")] = kSessionVersion;
    doc[QStringLiteral("saved")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    doc[QStringLiteral("app")] = QStringLiteral(EMBEDLAB_VERSION);
    QJsonArray models;
    for (const OpenModel& m : models_) {
        models.append(QJsonObject{{QStringLiteral("path"), m.info.path},
                                  {QStringLiteral("device"), m.info.device},
                                  {QStringLiteral("dtype"), m.info.dtype}});
    }
    doc[QStringLiteral("models")] = models;
    doc[QStringLiteral("current_model")] = current_;
    doc[QStringLiteral("evaluation_rows")] = evaluationRows_.toJson();
    doc[QStringLiteral("training_runs")] = trainingRuns_.toJson();
    QJsonObject panels;
    for (SessionParticipant* p : participants_) panels[p->sessionKey()] = p->saveSession();
    doc[QStringLiteral("panels")] = panels;
    return doc;
}

bool WorkspaceState::saveSession(const QString& path, QString* error) {
    auto fail = [&](const QString& m) {
        if (error) *error = m;
        return false;
    };
    if (restoring_) return fail(tr("a session is still being restored; save it when it has opened"));
    const QFileInfo fi(path);
    if (!QDir().mkpath(fi.absolutePath())) return fail(tr("cannot create the folder %1").arg(fi.absolutePath()));
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return fail(tr("cannot write %1: %2").arg(path, f.errorString()));
    const QByteArray bytes = QJsonDocument(toSessionJson()).toJson(QJsonDocument::Indented);
    if (f.write(bytes) != bytes.size()) {
        f.cancelWriting();
        return fail(tr("cannot write %1: %2").arg(path, f.errorString()));
    }
    if (!f.commit()) return fail(tr("cannot write %1: %2").arg(path, f.errorString()));
    if (path != autosavePath()) sessionPath_ = path;
    dirty_ = false;
    Q_EMIT sessionSaved(path);
    return true;
}

QString WorkspaceState::validateSession(const QJsonObject& doc) {
    if (doc.value(QStringLiteral("format")).toString() != QLatin1String("embedlab-session"))
        return tr("it is not an embedlab session (no \"format\": \"embedlab-session\")");
    const QJsonValue v = doc.value(QStringLiteral("version"));
    if (!v.isDouble() || v.toDouble() < 1 || v.toDouble() != std::floor(v.toDouble()))
        return tr("its \"version\" is missing or not a positive whole number");
    if (v.toInt() > kSessionVersion)
        return tr("it was saved by a newer embedlab (session version %1; this embedlab %2 reads up to version %3)")
            .arg(v.toInt())
            .arg(QStringLiteral(EMBEDLAB_VERSION))
            .arg(kSessionVersion);
    if (doc.contains(QStringLiteral("models")) && !doc.value(QStringLiteral("models")).isArray())
        return tr("\"models\" is not a list");
    for (const char* list : {"evaluation_rows", "training_runs"})
        if (doc.contains(QLatin1String(list)) && !doc.value(QLatin1String(list)).isArray())
            return tr("\"%1\" is not a list").arg(QLatin1String(list));
    if (doc.contains(QStringLiteral("panels")) && !doc.value(QStringLiteral("panels")).isObject())
        return tr("\"panels\" is not an object");
    for (const QJsonValue& m : doc.value(QStringLiteral("models")).toArray())
        if (!m.isObject() || !m.toObject().value(QStringLiteral("path")).isString())
            return tr("a model entry has no \"path\"");
    return {};
}

void WorkspaceState::clear() {
    models_.clear();
    current_ = -1;
    Q_EMIT modelsCleared();
    Q_EMIT currentModelChanged(-1);
    evaluationRows_.clear();
    trainingRuns_.clear();
    openItems_.clear();
    SessionReport ignored;
    for (SessionParticipant* p : participants_) p->restoreSession(QJsonObject(), ignored);
    sessionPath_.clear();
    dirty_ = false;
}

bool WorkspaceState::openSession(const QString& path, QString* error) {
    auto fail = [&](const QString& why) {
        QString m = tr("Cannot open the session %1: %2.").arg(path, why);
        // Never overwrite what could not be read: an unreadable autosave is kept aside first.
        if (QFileInfo(path).absoluteFilePath() == QFileInfo(autosavePath()).absoluteFilePath() && QFile::exists(path)) {
            const QString kept =
                path + QStringLiteral(".bad-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
            if (QFile::rename(path, kept)) m += tr(" It was kept as %1.").arg(kept);
        } else {
            m += tr(" The file was left as it is.");
        }
        if (error) *error = m;
        return false;
    };
    if (restoring_) return fail(tr("another session is being restored"));
    QFile f(path);
    if (!f.exists()) return fail(tr("no such file"));
    if (f.size() > kMaxSessionBytes) return fail(tr("it is larger than %1 MB").arg(kMaxSessionBytes >> 20));
    if (!f.open(QIODevice::ReadOnly)) return fail(f.errorString());
    QJsonParseError pe;
    const QJsonDocument d = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError)
        return fail(tr("it is not valid JSON (%1 at byte %2; a truncated file?)").arg(pe.errorString()).arg(pe.offset));
    if (!d.isObject()) return fail(tr("it is not a JSON object"));
    const QJsonObject doc = d.object();
    const QString why = validateSession(doc);
    if (!why.isEmpty()) return fail(why);

    clear();
    restoring_ = true;
    restoreReport_ = SessionReport();
    restorePanels_ = doc.value(QStringLiteral("panels")).toObject();
    // Results first (they need no model): the panels observing them redraw from the saved numbers.
    evaluationRows_.restore(doc.value(QStringLiteral("evaluation_rows")).toArray(), &restoreReport_.problems);
    trainingRuns_.restore(doc.value(QStringLiteral("training_runs")).toArray(), &restoreReport_.problems);
    restoreCurrent_ = -1;
    const int savedCurrent = doc.value(QStringLiteral("current_model")).toInt(-1);
    const QJsonArray models = doc.value(QStringLiteral("models")).toArray();
    pendingLoads_ = 0;
    for (int i = 0; i < models.size(); ++i) {
        const QJsonObject m = models[i].toObject();
        const QString mp = m.value(QStringLiteral("path")).toString();
        if (!QFileInfo(mp).isDir()) {
            restoreReport_.missing << tr("model %1 (no such folder)").arg(mp);
            continue;
        }
        ++pendingLoads_;
        JobHandlePtr h = loadModel(mp, m.value(QStringLiteral("device")).toString(QStringLiteral("cpu")),
                                   m.value(QStringLiteral("dtype")).toString(QStringLiteral("f32")));
        const bool wasCurrent = i == savedCurrent;
        connect(h.get(), &JobHandle::succeeded, this, [this, wasCurrent] {
            if (wasCurrent) restoreCurrent_ = models_.size() - 1;
        });
        connect(h.get(), &JobHandle::failed, this, [this, mp](const QString& message) {
            restoreReport_.problems << tr("model %1: %2").arg(mp, message);
        });
        connect(h.get(), &JobHandle::finished, this, [this] {
            if (--pendingLoads_ == 0) finishRestore();
        });
    }
    sessionPath_ = QFileInfo(path).absoluteFilePath() == QFileInfo(autosavePath()).absoluteFilePath() ? QString() : path;
    // Always finished from the event loop, so callers connect to sessionRestored after this returns.
    if (pendingLoads_ == 0) QTimer::singleShot(0, this, [this] { finishRestore(); });
    return true;
}

void WorkspaceState::finishRestore() {
    if (restoreCurrent_ < 0 && !models_.isEmpty()) restoreCurrent_ = 0;
    current_ = -1;
    setCurrentModel(restoreCurrent_);
    restoreReport_.modelByPath = [this](const QString& path) -> ModelSessionPtr {
        for (const OpenModel& m : models_)
            if (m.info.path == path) return m.session;
        return nullptr;
    };
    for (SessionParticipant* p : participants_)
        p->restoreSession(restorePanels_.value(p->sessionKey()).toObject(), restoreReport_);
    restoring_ = false;
    dirty_ = false;
    restorePanels_ = QJsonObject();
    restoreReport_.modelByPath = nullptr;
    Q_EMIT sessionRestored(restoreReport_);
}

}  // namespace embedlab
