// The workspace state's results: evaluation rows and training runs belong to WorkspaceState, not to a
// panel, and a session file brings them back exactly (curves bit for bit, rows field for field) without
// any panel or job. A run saved while it was going comes back interrupted; a damaged curve is named and
// the rest restores; a results list that is not a list refuses the file; a session written before the
// rows moved to the state (rows inside the Evaluation panel's object) still restores them.
#include "app/bridge/job_runner.h"
#include "app/state/workspace_state.h"
#include "qt_test_paths.h"
#include "ui/evaluation/evaluation_panel.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

#include <cmath>
#include <cstring>

using namespace embedlab;

namespace {

bool writeJson(const QString& path, const QJsonObject& o) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    return f.write(QJsonDocument(o).toJson()) > 0;
}

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

EvalRow row(const QString& model, const QString& task, double main) {
    EvalRow r;
    r.model = model;
    r.modelPath = QStringLiteral("/models/") + model;
    r.task = task;
    r.data = QStringLiteral("/data/") + task + QStringLiteral(".tsv");
    r.main = task == QLatin1String("perplexity") ? QStringLiteral("perplexity") : QStringLiteral("spearman");
    r.mainValue = main;
    r.metrics = {{r.main, main}, {QStringLiteral("pearson"), main / 3.0}};
    r.seconds = 1.25;
    r.embedSeconds = 0.5;
    r.sentencesPerSecond = 812.5;
    r.sentences = 406;
    r.peakRssBytes = 123456789;
    r.settings = QStringLiteral("mean · layer -1 · normalized");
    return r;
}

bool sameRow(const EvalRow& a, const EvalRow& b) {
    if (a.metrics.size() != b.metrics.size()) return false;
    for (int i = 0; i < a.metrics.size(); ++i)
        if (a.metrics[i].first != b.metrics[i].first || !sameBits(a.metrics[i].second, b.metrics[i].second)) return false;
    return a.model == b.model && a.modelPath == b.modelPath && a.task == b.task && a.data == b.data && a.main == b.main &&
           sameBits(a.mainValue, b.mainValue) && sameBits(a.seconds, b.seconds) && sameBits(a.embedSeconds, b.embedSeconds) &&
           sameBits(a.sentencesPerSecond, b.sentencesPerSecond) && a.sentences == b.sentences &&
           a.peakRssBytes == b.peakRssBytes && a.settings == b.settings;
}

}  // namespace

class TestWorkspaceState : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_workspace_state"), rel); }

    // Opens `file` in `state` and waits for the restore; the report comes back.
    static bool restore(WorkspaceState& state, const QString& file, SessionReport* report, QString* error = nullptr) {
        QSignalSpy restored(&state, &WorkspaceState::sessionRestored);
        if (!state.openSession(file, error)) return false;
        if (!restored.wait(10000)) return false;
        *report = restored.at(0).at(0).value<SessionReport>();
        return true;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setApplicationName(QStringLiteral("tst_workspace_state"));
    }

    void trainingRunsComeBackBitForBit() {
        const QString file = tmp(QStringLiteral("runs.embedlab-session.json"));
        JobRunner runner;
        WorkspaceState a(&runner);
        TrainingRuns* runs = a.trainingRuns();
        QSignalSpy points(runs, &TrainingRuns::metricAdded);
        const QJsonObject form{{QStringLiteral("objective"), QStringLiteral("lm")}, {QStringLiteral("steps"), 40}};
        const int done = runs->begin(form, QStringLiteral("/runs/first"));
        for (int s = 1; s <= 40; ++s) {
            runs->addMetric(done, QStringLiteral("loss"), s, 10.0 / std::sqrt(double(s)) + 1e-17 * s);
            runs->addMetric(done, QStringLiteral("lr"), s, 3e-3 * std::cos(s * 0.1));
            if (s % 10 == 0) runs->addMetric(done, QStringLiteral("eval_loss"), s, std::log(double(s)) / 3.0);
        }
        runs->addMetric(done, QStringLiteral("loss"), 41, std::nan(""));  // dropped, never saved
        runs->addMetric(done, QStringLiteral("bpc_custom"), 40, M_PI);     // a metric the view does not chart
        runs->addSample(done, QStringLiteral("sample at step 20: kedi \"evde\"\tuyuyor\n"));
        runs->finish(done, TrainingRun::State::Done, QStringLiteral("Done: 40 steps"));
        const int going = runs->begin(form, QStringLiteral("/runs/second"), QStringLiteral("/runs/first/checkpoint-40"));
        runs->addMetric(going, QStringLiteral("loss"), 41, 2.5);
        QCOMPARE(points.count(), 40 * 2 + 4 + 1 + 1);
        QVERIFY(a.isDirty());
        QString error;
        QVERIFY2(a.saveSession(file, &error), qPrintable(error));

        WorkspaceState b(&runner);
        QSignalSpy reset(b.trainingRuns(), &TrainingRuns::runsReset);
        SessionReport report;
        QVERIFY(restore(b, file, &report, &error));
        QVERIFY2(report.problems.isEmpty(), qPrintable(report.problems.join(QLatin1Char('\n'))));
        QVERIFY(reset.count() >= 1);
        TrainingRuns* back = b.trainingRuns();
        QCOMPARE(back->count(), 2);
        for (int i = 0; i < 2; ++i) {
            const TrainingRun& x = runs->at(i);
            const TrainingRun& y = back->at(i);
            QCOMPARE(y.id, x.id);
            QCOMPARE(y.params, x.params);
            QCOMPARE(y.outDir, x.outDir);
            QCOMPARE(y.resumedFrom, x.resumedFrom);
            QCOMPARE(y.samples, x.samples);
            QCOMPARE(y.metrics.keys(), x.metrics.keys());
            for (const QString& k : x.metrics.keys()) {
                QCOMPARE(y.metrics[k].size(), x.metrics[k].size());
                for (int p = 0; p < x.metrics[k].size(); ++p)
                    QVERIFY2(sameBits(y.metrics[k][p].x(), x.metrics[k][p].x()) && sameBits(y.metrics[k][p].y(), x.metrics[k][p].y()),
                             qPrintable(QStringLiteral("%1[%2]").arg(k).arg(p)));
            }
            QCOMPARE(y.csv(), x.csv());
            QCOMPARE(y.started.toMSecsSinceEpoch(), x.started.toMSecsSinceEpoch());
        }
        QCOMPARE(back->at(0).state, TrainingRun::State::Done);
        QCOMPARE(back->at(0).status, QStringLiteral("Done: 40 steps"));
        QCOMPARE(back->at(0).series(QStringLiteral("loss")).size(), 40);
        // The CSV: the trainer's columns first, then the rest; one row per step.
        const QList<QByteArray> csv = back->at(0).csv().trimmed().split('\n');
        QCOMPARE(csv.first(), QByteArray("step,loss,lr,grad_norm,tokens_per_second,eval_loss,eval_ppl,bpc_custom"));
        QCOMPARE(csv.size(), 41);
        QVERIFY2(csv.last().endsWith(",3.141592654"), csv.last().constData());
        // Saved while going: interrupted, and the message says what continues it.
        QCOMPARE(back->at(1).state, TrainingRun::State::Interrupted);
        QVERIFY2(back->at(1).status.contains(QStringLiteral("Resume from checkpoint")) && back->at(1).status.contains(QStringLiteral("/runs/second")),
                 qPrintable(back->at(1).status));
        // New runs continue the ids.
        QCOMPARE(back->begin({}, QStringLiteral("/runs/third")), 3);
        // clear() empties them.
        b.clear();
        QCOMPARE(back->count(), 0);
    }

    void runIdsAreNeverReusedAndDoNotGrowWithReopening() {
        const QString file = tmp(QStringLiteral("ids.embedlab-session.json"));
        JobRunner runner;
        WorkspaceState a(&runner);
        const int first = a.trainingRuns()->begin({}, QStringLiteral("/runs/a"));
        a.trainingRuns()->begin({}, QStringLiteral("/runs/b"));
        QVERIFY(a.saveSession(file));
        QCOMPARE(readJson(file).value(QStringLiteral("version")).toInt(), WorkspaceState::kSessionVersion);
        // Reopened in the same workspace: the restored runs get ids this workspace never gave out, so a
        // job still reporting to the old run #1 cannot write into them.
        SessionReport report;
        QVERIFY(restore(a, file, &report));
        QCOMPARE(a.trainingRuns()->count(), 2);
        QCOMPARE(a.trainingRuns()->at(0).outDir, QStringLiteral("/runs/a"));
        QVERIFY(a.trainingRuns()->at(0).id != first);
        a.trainingRuns()->addMetric(first, QStringLiteral("loss"), 1, 1.0);
        QVERIFY(a.trainingRuns()->at(0).metrics.isEmpty());
        // Saved and reopened fifty times (an autosave habit): ids grow by the runs, not geometrically.
        for (int i = 0; i < 50; ++i) {
            QVERIFY(a.saveSession(file));
            QVERIFY(restore(a, file, &report));
        }
        QCOMPARE(a.trainingRuns()->count(), 2);
        QCOMPARE(a.trainingRuns()->at(1).id, 2 + 51 * 2);
        // The file's ids do not matter (hostile ones included); entries that are not objects are named.
        QJsonObject doc = readJson(file);
        QJsonArray runs;
        for (const QJsonValue id : {QJsonValue(2147483647), QJsonValue(-3), QJsonValue(7), QJsonValue(7)})
            runs.append(QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("out"), QStringLiteral("/runs/h")}});
        runs.append(QStringLiteral("not a run"));
        doc[QStringLiteral("training_runs")] = runs;
        QVERIFY(writeJson(file, doc));
        WorkspaceState b(&runner);
        QVERIFY(restore(b, file, &report));
        QCOMPARE(b.trainingRuns()->count(), 4);
        for (int i = 0; i < 4; ++i) QCOMPARE(b.trainingRuns()->at(i).id, i + 1);
        QCOMPARE(report.problems.size(), 1);
        QVERIFY2(report.problems.first().contains(QStringLiteral("run 5 of the session")), qPrintable(report.problems.first()));
        QCOMPARE(b.trainingRuns()->begin({}, {}), 5);
    }

    void aNanMetricSurvivesTheSession() {
        // A correlation over constant gold scores is NaN; Qt writes it as null.
        const QString file = tmp(QStringLiteral("nan.embedlab-session.json"));
        JobRunner runner;
        WorkspaceState a(&runner);
        EvalRow r = row(QStringLiteral("m"), QStringLiteral("sts"), std::nan(""));
        r.metrics[1].second = std::nan("");
        a.evaluationRows()->add(r);
        QVERIFY(a.saveSession(file));
        WorkspaceState b(&runner);
        SessionReport report;
        QVERIFY(restore(b, file, &report));
        QVERIFY2(report.problems.isEmpty(), qPrintable(report.problems.join(QLatin1Char('\n'))));
        QCOMPARE(b.evaluationRows()->size(), 1);
        QVERIFY(std::isnan(b.evaluationRows()->rows()[0].mainValue));
        QVERIFY(std::isnan(b.evaluationRows()->rows()[0].metrics[1].second));
    }

    void clearingTheRowsIsAnEditTheAutosaveKeeps() {
        JobRunner runner;
        WorkspaceState s(&runner);
        s.evaluationRows()->add(row(QStringLiteral("m"), QStringLiteral("sts"), 0.5));
        QVERIFY(s.saveSession(tmp(QStringLiteral("clear.embedlab-session.json"))));
        QVERIFY(!s.isDirty());
        s.evaluationRows()->clear();
        QVERIFY(s.isDirty());
    }

    void evaluationRowsComeBackAndAReRunReplacesItsRow() {
        const QString file = tmp(QStringLiteral("rows.embedlab-session.json"));
        JobRunner runner;
        WorkspaceState a(&runner);
        EvaluationRows* rows = a.evaluationRows();
        QCOMPARE(rows->add(row(QStringLiteral("m1"), QStringLiteral("sts"), 0.71)), 0);
        QCOMPARE(rows->add(row(QStringLiteral("m2"), QStringLiteral("sts"), 0.64)), 1);
        QCOMPARE(rows->add(row(QStringLiteral("m1"), QStringLiteral("perplexity"), 31.7)), 2);
        // The same model, task, data and settings again: the old row goes, the new one is last.
        QCOMPARE(rows->add(row(QStringLiteral("m1"), QStringLiteral("sts"), 0.73)), 2);
        QCOMPARE(rows->size(), 3);
        QCOMPARE(rows->rows().last().mainValue, 0.73);
        QCOMPARE(rows->metricNames(), (QStringList{QStringLiteral("spearman"), QStringLiteral("pearson"), QStringLiteral("perplexity")}));
        QString error;
        QVERIFY2(a.saveSession(file, &error), qPrintable(error));
        WorkspaceState b(&runner);
        SessionReport report;
        QVERIFY(restore(b, file, &report, &error));
        QCOMPARE(b.evaluationRows()->size(), 3);
        for (int i = 0; i < 3; ++i) QVERIFY(sameRow(b.evaluationRows()->rows()[i], rows->rows()[i]));
    }

    void aDamagedCurveIsNamedAndTheRestRestores() {
        const QString file = tmp(QStringLiteral("damaged.embedlab-session.json"));
        JobRunner runner;
        WorkspaceState a(&runner);
        const int r1 = a.trainingRuns()->begin({}, QStringLiteral("/runs/one"));
        const int r2 = a.trainingRuns()->begin({}, QStringLiteral("/runs/two"));
        for (int s = 1; s <= 5; ++s) {
            a.trainingRuns()->addMetric(r1, QStringLiteral("loss"), s, 1.0 / s);
            a.trainingRuns()->addMetric(r2, QStringLiteral("loss"), s, 2.0 / s);
        }
        a.evaluationRows()->add(row(QStringLiteral("m1"), QStringLiteral("sts"), 0.5));
        QVERIFY(a.saveSession(file));
        QJsonObject doc = readJson(file);
        QJsonArray runs = doc.value(QStringLiteral("training_runs")).toArray();
        QJsonObject first = runs[0].toObject();
        QJsonObject metrics = first.value(QStringLiteral("metrics")).toObject();
        QJsonObject loss = metrics.value(QStringLiteral("loss")).toObject();
        const QString b64 = loss.value(QStringLiteral("step_value_f64_base64")).toString();
        loss[QStringLiteral("step_value_f64_base64")] = b64.left(b64.size() - 8);  // a cut curve
        metrics[QStringLiteral("loss")] = loss;
        first[QStringLiteral("metrics")] = metrics;
        runs[0] = first;
        doc[QStringLiteral("training_runs")] = runs;
        QJsonArray evalRows = doc.value(QStringLiteral("evaluation_rows")).toArray();
        evalRows.append(QJsonObject{{QStringLiteral("model"), QStringLiteral("no task")}});
        doc[QStringLiteral("evaluation_rows")] = evalRows;
        QVERIFY(writeJson(file, doc));
        WorkspaceState b(&runner);
        SessionReport report;
        QVERIFY(restore(b, file, &report));
        QCOMPARE(b.trainingRuns()->count(), 1);
        QCOMPARE(b.trainingRuns()->at(0).outDir, QStringLiteral("/runs/two"));
        QCOMPARE(b.evaluationRows()->size(), 1);
        const QString problems = report.problems.join(QLatin1Char('\n'));
        QVERIFY2(problems.contains(QStringLiteral("training run 1 of the session")) && problems.contains(QStringLiteral("\"loss\" is damaged")),
                 qPrintable(problems));
        QVERIFY2(problems.contains(QStringLiteral("no \"task\"")), qPrintable(problems));
    }

    void resultsThatAreNotAListRefuseTheFile() {
        const QString file = tmp(QStringLiteral("notalist.embedlab-session.json"));
        for (const char* key : {"training_runs", "evaluation_rows"}) {
            QVERIFY(writeJson(file, QJsonObject{{QStringLiteral("format"), QStringLiteral("embedlab-session")},
                                                {QStringLiteral("version"), 1},
                                                {QLatin1String(key), QJsonObject{}}}));
            JobRunner runner;
            WorkspaceState s(&runner);
            s.evaluationRows()->add(row(QStringLiteral("kept"), QStringLiteral("sts"), 0.5));
            QString error;
            QVERIFY(!s.openSession(file, &error));
            QVERIFY2(error.contains(QStringLiteral("\"%1\" is not a list").arg(QLatin1String(key))), qPrintable(error));
            QCOMPARE(s.evaluationRows()->size(), 1);  // a refused file changes nothing
        }
    }

    void anOlderSessionWithRowsInThePanelStillRestoresThem() {
        const QString file = tmp(QStringLiteral("older.embedlab-session.json"));
        JobRunner runner;
        WorkspaceState s(&runner);
        EvaluationPanel panel(&runner, s.evaluationRows());
        s.addParticipant(&panel);
        const QJsonObject r = evalRowToJson(row(QStringLiteral("old"), QStringLiteral("sts"), 0.42));
        QVERIFY(writeJson(file, QJsonObject{{QStringLiteral("format"), QStringLiteral("embedlab-session")},
                                            {QStringLiteral("version"), 1},
                                            {QStringLiteral("panels"),
                                             QJsonObject{{QStringLiteral("evaluation"),
                                                          QJsonObject{{QStringLiteral("task"), QStringLiteral("sts")},
                                                                      {QStringLiteral("rows"), QJsonArray{r}}}}}}}));
        SessionReport report;
        QVERIFY(restore(s, file, &report));
        QCOMPARE(panel.results().size(), 1);
        QVERIFY(sameRow(panel.results().first(), row(QStringLiteral("old"), QStringLiteral("sts"), 0.42)));
        QCOMPARE(panel.resultsTable()->rowCount(), 1);
        // The panel is a view of the state's rows: a row added to the state shows in its table.
        s.evaluationRows()->add(row(QStringLiteral("new"), QStringLiteral("sts"), 0.5));
        QCOMPARE(panel.resultsTable()->rowCount(), 2);
        // And the next save writes them where they now live.
        QVERIFY(s.saveSession(file));
        const QJsonObject doc = readJson(file);
        QCOMPARE(doc.value(QStringLiteral("evaluation_rows")).toArray().size(), 2);
        QVERIFY(!doc.value(QStringLiteral("panels")).toObject().value(QStringLiteral("evaluation")).toObject().contains(QStringLiteral("rows")));
    }
};

QTEST_MAIN(TestWorkspaceState)
#include "tst_workspace_state.moc"
