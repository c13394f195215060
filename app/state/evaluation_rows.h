// embedlab app — the evaluation rows of a workspace: every finished evaluation (a model on a task's
// data, its metrics and compute figures), owned by WorkspaceState and saved in the session; the
// Evaluation panel observes it (its table and charts are views of these rows) and adds to it when a
// run finishes. Rerunning the same model, task, data and settings replaces the old row.
//
// Torch-free: ui/ includes it.
#pragma once

#include "app/bridge/eval_jobs.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <QVector>

namespace embedlab {

QJsonObject evalRowToJson(const EvalRow& r);
// False (and `why`) for an entry a session cannot use (no task or main metric, not an object).
bool evalRowFromJson(const QJsonValue& v, EvalRow* out, QString* why = nullptr);

class EvaluationRows : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    const QVector<EvalRow>& rows() const { return rows_; }
    int size() const { return rows_.size(); }
    // Every metric name of every row, in first-seen order (the panel's metric columns).
    QStringList metricNames() const;

    // Adds a row, replacing an earlier one of the same model, task, data and settings; returns its index.
    int add(const EvalRow& row);
    void clear();

    QJsonArray toJson() const;
    // Replaces the rows with a session's; entries that cannot be read are skipped and counted in `problems`.
    void restore(const QJsonArray& rows, QStringList* problems = nullptr);

Q_SIGNALS:
    void rowAdded(int index);  // after add (a replaced row moves to the end)
    void rowsReset();          // after clear and restore

private:
    QVector<EvalRow> rows_;
};

}  // namespace embedlab
