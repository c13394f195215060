// embedlab app — the workspace state: what is open, independent of any widget, and its session file.
//
// WorkspaceState owns the open models (path, device, dtype, engine session) — the items every panel
// shares —, the other open things (OpenItems: tokenizers, corpora, vector stores, the map's vector
// space and projection, each the loaded object itself), the evaluation rows (EvaluationRows) and the
// training runs with their curves (TrainingRuns); panels observe them (modelAdded / modelChanged / currentModelChanged, rowAdded,
// metricAdded ...). It keeps the panels' own views through SessionParticipant (the Similarity panel's
// corpus, vector store and heatmap, the map's source, projection and camera, forms, ...).
//
// A session file is JSON (docs/sessions.md):
//   {"format": "embedlab-session", "version": 2, "saved": ISO-8601, "app": "0.1.0",
//    "models": [{"path", "device", "dtype"}], "current_model": i,
//    "evaluation_rows": [...], "training_runs": [...],
//    "panels": {"<participant key>": {...its own view...}}}
// Saving is atomic (QSaveFile). Restoring recomputes nothing that was saved: models and files are
// reopened (memory-mapped where they can be), views are set from the saved numbers. A path that no
// longer exists is listed as missing and the rest restores. A truncated, invalid or newer-version file
// gives a clear message, the workspace stays empty, and the file itself is never overwritten (an
// autosave that cannot be read is first kept as FILE.bad-<time>).
//
// Torch-free: ui/ includes it.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/model_jobs.h"
#include "app/state/evaluation_rows.h"
#include "app/state/open_items.h"
#include "app/state/training_runs.h"

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>

namespace embedlab {

// What a restore could not bring back, for the message the window shows; and, while restoring, the
// session's models by folder (participants refer to models by path, never by index).
struct SessionReport {
    QStringList missing;   // "model /path/x (no such folder)", "corpus /path/y.tsv" ...
    QStringList problems;  // other failures while reopening (a model that no longer loads ...)
    std::function<ModelSessionPtr(const QString& path)> modelByPath;
};

// A panel (or other part of the app) with a view worth keeping.
class SessionParticipant {
public:
    virtual ~SessionParticipant() = default;
    virtual QString sessionKey() const = 0;  // its object's key in "panels"
    virtual QJsonObject saveSession() const = 0;
    // Called after the session's models have loaded (or failed to). An empty object clears the view.
    // Paths that no longer exist go to report.missing; the participant restores the rest.
    virtual void restoreSession(const QJsonObject& state, SessionReport& report) = 0;
};

struct OpenModel {
    ModelSessionPtr session;
    ModelInfo info;
};

class WorkspaceState : public QObject {
    Q_OBJECT
public:
    // 2: evaluation rows and training runs are the state's (top-level); 1 (rows inside the Evaluation
    // panel's object) is still read.
    static constexpr int kSessionVersion = 2;
    static constexpr qint64 kMaxSessionBytes = 512LL << 20;

    explicit WorkspaceState(JobRunner* runner, QObject* parent = nullptr);

    // ---- Models
    // Loads a model folder (a job); modelAdded follows on success.
    JobHandlePtr loadModel(const QString& path, const QString& device, const QString& dtype = QStringLiteral("f32"));
    int modelCount() const { return models_.size(); }
    const OpenModel& model(int i) const { return models_.at(i); }
    int currentModel() const { return current_; }
    void setCurrentModel(int i);
    void setModelInfo(int i, const ModelInfo& info);  // after a move to another device/dtype

    // ---- Results the panels show (the session keeps them)
    EvaluationRows* evaluationRows() { return &evaluationRows_; }
    TrainingRuns* trainingRuns() { return &trainingRuns_; }
    // Tokenizers, corpora, vector stores, the map's space and projection (the panels add what they open).
    OpenItems* openItems() { return &openItems_; }

    // ---- Session
    void addParticipant(SessionParticipant* p);
    QJsonObject toSessionJson() const;
    // Writes atomically; false with a message on failure (the previous file is then untouched).
    bool saveSession(const QString& path, QString* error = nullptr);
    // Reads and validates `path`, clears the workspace and restores it; sessionRestored(report) follows
    // once the models have loaded and every participant has restored. False with a message (and an
    // empty workspace) when the file cannot be used.
    bool openSession(const QString& path, QString* error = nullptr);
    // Checks a session document without touching the workspace ("" when it can be restored).
    static QString validateSession(const QJsonObject& doc);
    // Clears every model and every participant's view.
    void clear();
    bool isRestoring() const { return restoring_; }
    QString sessionPath() const { return sessionPath_; }

    // Edits since the last save (for autosave).
    void markDirty();
    bool isDirty() const { return dirty_; }

    // The autosave file: <AppDataLocation>/autosave.embedlab-session.json.
    static QString autosavePath();

Q_SIGNALS:
    void modelAdded(int index);
    void modelChanged(int index);
    void currentModelChanged(int index);
    void modelsCleared();
    void sessionRestored(const embedlab::SessionReport& report);
    void sessionSaved(const QString& path);

private:
    void finishRestore();

    JobRunner* runner_;
    QVector<OpenModel> models_;
    int current_ = -1;
    QVector<SessionParticipant*> participants_;
    EvaluationRows evaluationRows_;
    TrainingRuns trainingRuns_;
    OpenItems openItems_;
    bool dirty_ = false;
    bool restoring_ = false;
    int pendingLoads_ = 0;
    int restoreCurrent_ = -1;
    QJsonObject restorePanels_;
    SessionReport restoreReport_;
    QString sessionPath_;
};

}  // namespace embedlab

Q_DECLARE_METATYPE(embedlab::SessionReport)
