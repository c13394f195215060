// The Training view driven offscreen through its real widgets and the engine's long lane: a small
// Gemma from a config file on Turkish text starts, chart points arrive, it pauses (no step while
// paused), resumes and is cancelled (its checkpoint kept); "resume from a checkpoint" finishes the
// run, the loss falls, held-out points and samples appear, and the workspace opens the trained model
// in Models. The estimate appears before a run and refuses one that cannot fit. Screenshot of the
// live chart; chart and CSV exports. A run as 2 local ranks (embedlab-cli launch, started by the view)
// reproduces the one-process run's loss curve; pause stops and cancel ends every rank; ranks follow
// the objective, an uneven batch is refused and a rank's error reaches the view.
#include "app/bridge/job_runner.h"
#include "qt_test_paths.h"
#include "ui_stall_meter.h"
#include "ui/mainwindow/main_window.h"
#include "ui/models/models_panel.h"
#include "ui/training/training_view.h"
#include "ui/workspace/workspace.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineSeries>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QSpinBox>
#include <QTest>

#include <cmath>

using namespace embedlab;

class TestTraining : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_training"), rel); }

    // A tiny Gemma config (the Turkish seed tokenizer's 32,768 ids) and ~900 lines of Turkish text.
    TrainParams smallRun(const QString& name) {
        const QString cfg = tmp(QStringLiteral("tiny.json"));
        QFile c(cfg);
        c.open(QIODevice::WriteOnly);
        c.write(R"({"model_type": "gemma3_text", "architectures": ["Gemma3ForCausalLM"], "vocab_size": 32768,
 "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
 "head_dim": 16, "sliding_window": 16, "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 256,
 "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 16,
 "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true, "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0})");
        c.close();
        const QString corpus = tmp(QStringLiteral("tr.txt"));
        QFile t(corpus);
        t.open(QIODevice::WriteOnly);
        const char* words[] = {"ev", "kitap", "okul", "kalem", "masa", "deniz", "yol", "göz"};
        const char* sufs[] = {"", "ler", "de", "den", "i", "imiz", "lerde"};
        for (int i = 0; i < 900; ++i)
            t.write(QStringLiteral("bu %1%2 çok güzel ve %3%4 yakın\n")
                        .arg(QString::fromUtf8(words[i % 8]), QString::fromUtf8(sufs[i % 7]), QString::fromUtf8(words[(i / 8) % 8]),
                             QString::fromUtf8(sufs[(i / 3) % 7]))
                        .toUtf8());
        t.close();
        TrainParams p;
        p.objective = QStringLiteral("lm");
        p.initConfig = cfg;
        p.tokenizer = test::qtFixture(QStringLiteral("tokenizers/turkish-seed"));
        p.data = corpus;
        p.outDir = tmp(name);
        QDir(p.outDir).removeRecursively();
        p.steps = 40;
        p.batchSize = 4;
        p.seqLen = 32;
        p.lr = 3e-3;
        p.warmup = 2;
        p.evalEvery = 10;
        p.saveEvery = 10;
        p.sampleEvery = 20;
        p.device = QStringLiteral("cpu");
        return p;
    }

    // The embedlab-cli processes (launcher and ranks) whose command line names `needle`.
    static QStringList cliProcessesNaming(const QString& needle) {
        QStringList found;
        for (const QString& pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
            bool ok = false;
            pid.toInt(&ok);
            if (!ok) continue;
            QFile f(QStringLiteral("/proc/%1/cmdline").arg(pid));
            if (!f.open(QIODevice::ReadOnly)) continue;
            const QByteArray cmd = f.readAll().replace('\0', ' ');
            if (cmd.contains("embedlab-cli") && cmd.contains(needle.toUtf8())) found << pid;
        }
        return found;
    }
    // A process's state letter from /proc/PID/stat ('T': stopped).
    static char procState(const QString& pid) {
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly)) return '?';
        const QByteArray stat = f.readAll();
        const int close = stat.lastIndexOf(')');
        return close > 0 && close + 2 < stat.size() ? stat.at(close + 2) : '?';
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("embedlab-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_training"));
        QSettings().clear();
    }

    void startWatchPauseResumeCancelThenResumeFromCheckpoint() {
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        TrainingView* v = ws.training();
        QVERIFY(v);
        // The Transfer / training panel holds the view in its Training tab.
        auto* tabs = qobject_cast<QTabWidget*>(w.panelDock(QStringLiteral("training"))->widget());
        QVERIFY(tabs);
        QCOMPARE(tabs->widget(1), static_cast<QWidget*>(v));
        w.resize(1500, 950);
        w.show();
        w.panelDock(QStringLiteral("training"))->raise();
        tabs->setCurrentWidget(v);
        v->setParams(smallRun(QStringLiteral("run")));
        // The estimate comes first.
        QSignalSpy estimated(v, &TrainingView::estimateReady);
        v->refreshEstimate();
        QTRY_VERIFY_WITH_TIMEOUT(estimated.count() >= 1, 10000);
        QVERIFY2(v->estimateText().contains(QStringLiteral("MB")), qPrintable(v->estimateText()));
        // Start by the button.
        QSignalSpy cancelled(v, &TrainingView::trainingCancelled);
        QTest::mouseClick(v->findChild<QPushButton*>(QStringLiteral("trainStart")), Qt::LeftButton);
        QVERIFY(v->running());
        QTRY_VERIFY_WITH_TIMEOUT(v->lossPoints().size() >= 12, 60000);  // past the first checkpoint
        // Pause: no new point while paused.
        QTest::mouseClick(v->findChild<QPushButton*>(QStringLiteral("trainPause")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(v->paused(), 2000);
        QTest::qWait(300);
        const int atPause = v->lossPoints().size();
        QTest::qWait(500);
        QVERIFY(v->lossPoints().size() <= atPause + 1);
        QCOMPARE(v->findChild<QPushButton*>(QStringLiteral("trainPause"))->text(), QStringLiteral("Resume"));
        QTest::mouseClick(v->findChild<QPushButton*>(QStringLiteral("trainPause")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(v->lossPoints().size() > atPause + 2, 30000);
        // The live chart.
        QVERIFY(v->chart()->grab().save(test::qtScreenshot(QStringLiteral("training_live_chart.png"))));
        // Cancel: the checkpoint stays.
        QTest::mouseClick(v->findChild<QPushButton*>(QStringLiteral("trainCancel")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 10000);
        QVERIFY(runner.waitForIdle(10000));
        QVERIFY(QFileInfo::exists(tmp(QStringLiteral("run/checkpoint-10/trainer_state.json"))));
        QVERIFY(v->statusText().contains(QStringLiteral("Cancelled")));
        // Resume from the checkpoint folder: the run finishes and the model opens in Models.
        QSignalSpy trained(v, &TrainingView::modelTrained);
        const int modelsBefore = ws.models()->modelCount();
        QVERIFY(v->resumeFrom(tmp(QStringLiteral("run"))) != 0);
        QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, 120000);
        QTRY_COMPARE_WITH_TIMEOUT(ws.models()->modelCount(), modelsBefore + 1, 30000);
        QVERIFY(runner.waitForIdle(30000));
        const QVector<QPointF> loss = v->lossPoints();
        QVERIFY(!loss.isEmpty());
        QCOMPARE(loss.last().x(), 40.0);
        const QVector<QPointF> held = v->evalPoints();
        QVERIFY(held.size() >= 2);
        QVERIFY2(held.last().y() < held.first().y(), "held-out loss did not fall");
        QVERIFY(!v->samples().isEmpty());
        QVERIFY(v->statusText().startsWith(QStringLiteral("Done")));
        // Exports: the chart as PNG and SVG, the log as CSV with one row per step.
        QVERIFY(v->exportChart(tmp(QStringLiteral("loss.png"))));
        QVERIFY(v->exportChart(tmp(QStringLiteral("loss.svg"))));
        QVERIFY(v->exportLog(tmp(QStringLiteral("log.csv"))));
        QFile csv(tmp(QStringLiteral("log.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QVERIFY(lines.first().startsWith("step,loss,lr,grad_norm"));
        QVERIFY(lines.size() >= 30);
        w.grab().save(test::qtScreenshot(QStringLiteral("training_view.png")));

        // Both runs (the cancelled one and its resumption) are the workspace's, with their curves: a
        // session saved now and opened in a new window draws them again without training anything.
        TrainingRuns* runs = ws.state()->trainingRuns();
        QCOMPARE(runs->count(), 2);
        QCOMPARE(runs->at(0).state, TrainingRun::State::Cancelled);
        QCOMPARE(runs->at(1).state, TrainingRun::State::Done);
        QCOMPARE(v->shownRun(), runs->at(1).id);
        const QVector<QPointF> firstLoss = runs->at(0).series(QStringLiteral("loss"));
        QVERIFY(firstLoss.size() >= 12);
        const QString session = tmp(QStringLiteral("training.embedlab-session.json"));
        QVERIFY(ws.saveSession(session));
        const QByteArray csvBefore = v->logCsv();
        {
            JobRunner runner2;
            MainWindow w2(&runner2);
            Workspace ws2(&w2);
            QStringList queued;
            connect(&runner2, &JobRunner::jobQueued, this, [&queued](JobId, const QString& name, JobLane) { queued << name; });
            QSignalSpy restored(&ws2, &Workspace::sessionRestored);
            QVERIFY(ws2.openSession(session));
            QVERIFY(restored.wait(60000));
            QVERIFY(runner2.waitForIdle(60000));
            for (const QString& name : queued) QVERIFY2(!name.startsWith(QStringLiteral("Train")), qPrintable(name));
            TrainingView* v2 = ws2.training();
            QCOMPARE(v2->lossPoints(), loss);
            QCOMPARE(v2->evalPoints(), held);
            QCOMPARE(v2->samples(), v->samples());
            QCOMPARE(v2->logCsv(), csvBefore);
            QCOMPARE(v2->statusText(), v->statusText());
            // The chart itself holds the points, not only the view's accessors.
            auto* lossSeries = qobject_cast<QLineSeries*>(v2->chart()->chart()->series().at(0));
            QVERIFY(lossSeries);
            QCOMPARE(QVector<QPointF>(lossSeries->points()), loss);
            // The earlier run is one choice away in the run list.
            auto* list = v2->findChild<QComboBox*>(QStringLiteral("trainRuns"));
            QVERIFY(list);
            QCOMPARE(list->count(), 2);
            QVERIFY2(list->itemText(0).contains(QStringLiteral("cancelled")), qPrintable(list->itemText(0)));
            list->setCurrentIndex(0);
            Q_EMIT list->activated(0);
            QCOMPARE(v2->lossPoints(), firstLoss);
            QVERIFY2(v2->statusText().startsWith(QStringLiteral("Cancelled")), qPrintable(v2->statusText()));
            w2.resize(1500, 950);
            w2.show();
            w2.panelDock(QStringLiteral("training"))->raise();
            qobject_cast<QTabWidget*>(w2.panelDock(QStringLiteral("training"))->widget())->setCurrentWidget(v2);
            v2->showRun(list->itemData(1).toInt());
            QVERIFY(QTest::qWaitForWindowExposed(&w2));
            QVERIFY(v2->chart()->grab().save(test::qtScreenshot(QStringLiteral("training_session_restored.png"))));
        }
        // The curves are the trainer's own record: every charted training and held-out loss equals the
        // entry for its step in the run's trainer_state.json, written by the engine.
        QFile state(tmp(QStringLiteral("run/trainer_state.json")));
        QVERIFY(state.open(QIODevice::ReadOnly));
        QMap<int, QJsonObject> logged;
        for (const QJsonValue& e : QJsonDocument::fromJson(state.readAll()).object().value(QStringLiteral("log")).toArray())
        {
            // A step's training entry and its held-out entry are separate records: merge them.
            QJsonObject& merged = logged[e.toObject().value(QStringLiteral("step")).toInt()];
            const QJsonObject o = e.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) merged[it.key()] = it.value();
        }
        for (const auto& [points, key] : {std::pair{loss, QStringLiteral("loss")}, std::pair{held, QStringLiteral("eval_loss")}})
            for (const QPointF& p : points) {
                const QJsonValue want = logged.value(int(p.x())).value(key);
                QVERIFY2(want.isDouble() && std::abs(want.toDouble() - p.y()) <= 1e-9 * std::abs(want.toDouble()),
                         qPrintable(QStringLiteral("%1 at step %2: chart %3, trainer_state %4").arg(key).arg(p.x()).arg(p.y()).arg(want.toDouble())));
            }
    }

    void openingASessionWhileTrainingStopsTheRunAndLeavesTheSessionIntact() {
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        TrainingView* v = ws.training();
        TrainingRuns* runs = ws.state()->trainingRuns();
        // A session with one finished run.
        const int saved = runs->begin({{QStringLiteral("objective"), QStringLiteral("lm")}}, QStringLiteral("/runs/saved"));
        for (int s = 1; s <= 5; ++s) runs->addMetric(saved, QStringLiteral("loss"), s, 1.0 / s);
        runs->finish(saved, TrainingRun::State::Done, QStringLiteral("Done: saved"));
        const QString a = tmp(QStringLiteral("finished.embedlab-session.json"));
        QVERIFY(ws.saveSession(a));
        // A long run, saved while it trains.
        TrainParams p = smallRun(QStringLiteral("live"));
        p.steps = 100000;
        v->setParams(p);
        QVERIFY(v->start() != 0);
        QTRY_VERIFY_WITH_TIMEOUT(v->lossPoints().size() >= 3, 60000);
        QCOMPARE(v->shownRun(), runs->at(1).id);
        const QString b = tmp(QStringLiteral("training.embedlab-session.json"));
        QVERIFY(ws.saveSession(b));
        // Opening the first session replaces the runs: the live one stops, and nothing it still
        // reports reaches the restored run.
        QSignalSpy cancelled(v, &TrainingView::trainingCancelled);
        QSignalSpy restored(&ws, &Workspace::sessionRestored);
        QVERIFY(ws.openSession(a));
        QVERIFY(restored.wait(30000));
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 10000);
        QVERIFY(runner.waitForIdle(10000));
        QTest::qWait(200);
        QCOMPARE(runs->count(), 1);
        QCOMPARE(runs->at(0).series(QStringLiteral("loss")).size(), 5);
        QCOMPARE(runs->at(0).state, TrainingRun::State::Done);
        QCOMPARE(runs->at(0).status, QStringLiteral("Done: saved"));
        QCOMPARE(v->lossPoints().size(), 5);
        QCOMPARE(v->statusText(), QStringLiteral("Done: saved"));
        QVERIFY(!v->running());
        // The session saved during training: the run comes back interrupted, shown as it was.
        QVERIFY(ws.openSession(b));
        QVERIFY(restored.wait(30000));
        QCOMPARE(runs->count(), 2);
        QCOMPARE(runs->at(1).state, TrainingRun::State::Interrupted);
        QVERIFY(runs->at(1).series(QStringLiteral("loss")).size() >= 3);
        QCOMPARE(v->shownRun(), runs->at(1).id);
        QVERIFY2(v->statusText().startsWith(QStringLiteral("Interrupted")) && v->statusText().contains(tmp(QStringLiteral("live"))),
                 qPrintable(v->statusText()));
        // The run the view shows is part of the session, also when it is not the newest.
        v->showRun(runs->at(0).id);
        const QString c = tmp(QStringLiteral("first-shown.embedlab-session.json"));
        QVERIFY(ws.saveSession(c));
        QVERIFY(ws.openSession(c));
        QVERIFY(restored.wait(30000));
        QCOMPARE(runs->count(), 2);
        QCOMPARE(v->shownRun(), runs->at(0).id);
        QCOMPARE(v->statusText(), QStringLiteral("Done: saved"));
        QCOMPARE(v->lossPoints().size(), 5);
    }

    void uiNeverStallsWhileTraining() {
        // The live view on screen (loss, held-out and sample updates, checkpoints every 10 steps)
        // while a run trains; watched for 400 ticks (at least 2 s), then cancelled.
        JobRunner runner;
        TrainingView v(&runner);
        v.resize(1300, 850);
        v.show();
        TrainParams p = smallRun(QStringLiteral("stall"));
        p.steps = 100000;
        p.evalEvery = 5;
        p.sampleEvery = 10;
        v.setParams(p);
        QVERIFY(QTest::qWaitForWindowExposed(&v));  // the first paint is not the job's
        test::UiStallMeter meter;
        meter.start();
        QVERIFY(v.start() != 0);
        QTRY_VERIFY_WITH_TIMEOUT(meter.ticks() >= 400 && v.lossPoints().size() >= 25, 120000);
        QSignalSpy cancelled(&v, &TrainingView::trainingCancelled);
        v.cancel();
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 10000);
        meter.stop();
        QVERIFY(runner.waitForIdle(10000));
        qInfo("training: %s, %d loss points", qPrintable(meter.describe()), int(v.lossPoints().size()));
        QVERIFY2(meter.worst() <= test::UiStallMeter::kBoundMs, qPrintable(meter.describe()));
    }

    void anEstimateThatCannotFitRefusesTheStart() {
        JobRunner runner;
        TrainingView v(&runner);
        TrainParams p = smallRun(QStringLiteral("huge"));
        p.initConfig.clear();
        p.preset = QStringLiteral("gemma3-270m");
        p.batchSize = 4096;
        p.seqLen = 32768;
        v.setParams(p);
        QSignalSpy estimated(&v, &TrainingView::estimateReady);
        v.refreshEstimate();
        QTRY_VERIFY_WITH_TIMEOUT(estimated.count() >= 1, 20000);
        QVERIFY2(v.estimateText().contains(QStringLiteral("does not fit")), qPrintable(v.estimateText()));
        QCOMPARE(v.start(), JobId(0));
        QVERIFY(v.statusText().startsWith(QStringLiteral("Refused")));
        QVERIFY(!v.running());
    }

    // The Ranks box: a run as 2 local processes (each half the batch, c10d's Gloo on 127.0.0.1) gives
    // the loss curve of the same run in the app's own process — the reference — within 1e-5 relative
    // at every step, the held-out curve too; the view shows the job as one (its status names the
    // ranks), rank 0's checkpoints and final model land in the output folder, and the workspace's run
    // remembers the ranks.
    void twoLocalRanksReproduceTheOneProcessRun() {
        JobRunner runner;
        TrainingView v(&runner);
        auto* ranks = v.findChild<QSpinBox*>(QStringLiteral("trainRanks"));
        QVERIFY(ranks);
        QVector<QVector<QPointF>> loss, held;
        for (int n : {1, 2}) {
            TrainParams p = smallRun(QStringLiteral("ranks%1").arg(n));
            p.steps = 12;
            p.evalEvery = 6;
            p.saveEvery = 6;
            p.sampleEvery = 0;
            p.evalData = p.data;
            v.setParams(p);
            QVERIFY(ranks->isEnabled());
            ranks->setValue(n);
            QCOMPARE(v.params().ranks, n);
            QSignalSpy trained(&v, &TrainingView::modelTrained);
            QSignalSpy failed(&v, &TrainingView::trainingFailed);
            QTest::mouseClick(v.findChild<QPushButton*>(QStringLiteral("trainStart")), Qt::LeftButton);
            QVERIFY(v.running());
            QVERIFY(!ranks->isEnabled());  // not while a run is on
            QCOMPARE(v.params().ranks, n);  // … yet the form (autosave, estimate) still says what the run uses
            QCOMPARE(v.saveSession().value(QStringLiteral("ranks")).toInt(), n);
            bool sawRanks = false;
            QElapsedTimer t;
            t.start();
            while (trained.isEmpty() && failed.isEmpty() && t.elapsed() < 120000) {
                QTest::qWait(20);
                sawRanks = sawRanks || v.statusText().contains(QStringLiteral("2 ranks"));
            }
            QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
            QCOMPARE(trained.count(), 1);
            QVERIFY(runner.waitForIdle(10000));
            QCOMPARE(QFileInfo(trained.at(0).at(0).toString()).canonicalFilePath(), QFileInfo(p.outDir).canonicalFilePath());
            QVERIFY(QFileInfo::exists(p.outDir + QStringLiteral("/config.json")));
            QVERIFY(QFileInfo::exists(p.outDir + QStringLiteral("/checkpoint-6/trainer_state.json")));
            if (n == 2) QVERIFY2(sawRanks, "the status never named the 2 ranks");
            QVERIFY2(v.statusText().startsWith(QStringLiteral("Done")), qPrintable(v.statusText()));
            loss << v.lossPoints();
            held << v.evalPoints();
            QCOMPARE(v.runs()->find(v.shownRun())->params.value(QStringLiteral("ranks")).toInt(), n);
        }
        QCOMPARE(loss[0].size(), 12);
        QVERIFY(held[0].size() >= 2);
        for (int k : {0, 1}) {
            const auto& a = k == 0 ? loss : held;
            QCOMPARE(a[1].size(), a[0].size());
            for (int i = 0; i < a[0].size(); ++i) {
                QCOMPARE(a[1][i].x(), a[0][i].x());
                QVERIFY2(std::abs(a[1][i].y() - a[0][i].y()) <= 1e-5 * std::abs(a[0][i].y()),
                         qPrintable(QStringLiteral("%1 at step %2: one process %3, two ranks %4")
                                        .arg(k == 0 ? "loss" : "eval_loss")
                                        .arg(a[0][i].x())
                                        .arg(a[0][i].y(), 0, 'g', 10)
                                        .arg(a[1][i].y(), 0, 'g', 10)));
            }
        }
        QVERIFY(loss[1].last().y() < loss[1].first().y());
    }

    // Pause stops every rank (their processes stopped, no new point), Resume goes on, Cancel — here of a
    // paused run — ends the launcher and both ranks (no embedlab-cli process of the run is left) and
    // keeps the checkpoint.
    void pauseAndCancelReachEveryRank() {
        JobRunner runner;
        TrainingView v(&runner);
        TrainParams p = smallRun(QStringLiteral("ranks-cancel"));
        p.steps = 100000;
        p.saveEvery = 5;
        p.evalEvery = 0;
        p.sampleEvery = 0;
        p.ranks = 2;
        v.setParams(p);
        QCOMPARE(v.params().ranks, 2);
        QSignalSpy cancelled(&v, &TrainingView::trainingCancelled);
        QVERIFY(v.start() != 0);
        QTRY_VERIFY_WITH_TIMEOUT(v.lossPoints().size() >= 6, 60000);
        QStringList procs = cliProcessesNaming(p.outDir);
        QCOMPARE(procs.size(), 3);  // the launcher and two ranks
        QVERIFY2(v.statusText().contains(QStringLiteral("2 ranks")), qPrintable(v.statusText()));
        v.resize(1300, 900);
        QVERIFY(v.grab().save(test::qtScreenshot(QStringLiteral("training_two_ranks.png"))));
        v.pause();
        QTRY_VERIFY_WITH_TIMEOUT(v.paused(), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(procs.begin(), procs.end(), [](const QString& pid) { return procState(pid) == 'T'; }),
                                 5000);
        QTest::qWait(300);  // points already in the pipe arrive
        const int atPause = v.lossPoints().size();
        QTest::qWait(600);
        QCOMPARE(v.lossPoints().size(), atPause);
        v.resume();
        QTRY_VERIFY_WITH_TIMEOUT(v.lossPoints().size() > atPause + 2, 30000);
        QVERIFY(std::none_of(procs.begin(), procs.end(), [](const QString& pid) { return procState(pid) == 'T'; }));
        // Paused again, then cancelled while stopped.
        v.pause();
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(procs.begin(), procs.end(), [](const QString& pid) { return procState(pid) == 'T'; }),
                                 5000);
        v.cancel();
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 20000);
        QVERIFY(runner.waitForIdle(10000));
        QTRY_VERIFY_WITH_TIMEOUT(cliProcessesNaming(p.outDir).isEmpty(), 10000);
        QVERIFY(QFileInfo::exists(p.outDir + QStringLiteral("/checkpoint-5/trainer_state.json")));
        QVERIFY(v.statusText().startsWith(QStringLiteral("Cancelled")));
    }

    // Ranks are for lm and mlm on the CPU; an uneven batch is refused before anything starts; a rank's
    // error (a corpus that does not exist) comes back as the run's failure; the session keeps the box.
    void ranksFollowTheObjectiveAndTheirErrorsReachTheView() {
        JobRunner runner;
        TrainingView v(&runner);
        auto* ranks = v.findChild<QSpinBox*>(QStringLiteral("trainRanks"));
        auto* objective = v.findChild<QComboBox*>(QStringLiteral("trainObjective"));
        TrainParams p = smallRun(QStringLiteral("ranks-bad"));
        p.ranks = 2;
        v.setParams(p);
        objective->setCurrentText(QStringLiteral("contrastive"));
        QVERIFY(!ranks->isEnabled());
        QCOMPARE(v.params().ranks, 1);
        objective->setCurrentText(QStringLiteral("mlm"));
        QVERIFY(ranks->isEnabled());
        objective->setCurrentText(QStringLiteral("lm"));
        QCOMPARE(v.params().ranks, 2);
        // Saved and restored with the session.
        TrainingView restored(&runner);
        SessionReport report;
        restored.restoreSession(v.saveSession(), report);
        QCOMPARE(restored.params().ranks, 2);
        // An uneven batch.
        v.findChild<QSpinBox*>(QStringLiteral("trainBatch"))->setValue(5);
        QCOMPARE(v.start(), JobId(0));
        QVERIFY2(v.statusText().contains(QStringLiteral("does not split over 2 ranks")), qPrintable(v.statusText()));
        QVERIFY(!v.running());
        // A rank's error.
        p.data = tmp(QStringLiteral("no-such-corpus.txt"));
        v.setParams(p);
        QSignalSpy failed(&v, &TrainingView::trainingFailed);
        QVERIFY(v.start() != 0);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        const QString m = failed.at(0).at(0).toString();
        QVERIFY2(m.contains(QStringLiteral("no-such-corpus.txt")) && m.contains(QStringLiteral("2 ranks")), qPrintable(m));
        QVERIFY(v.statusText().startsWith(QStringLiteral("Failed")));
        QVERIFY(runner.waitForIdle(10000));
        QTRY_VERIFY_WITH_TIMEOUT(cliProcessesNaming(p.outDir).isEmpty(), 10000);
    }

    void badInputIsAMessageNotACrash() {
        JobRunner runner;
        TrainingView v(&runner);
        TrainParams p = smallRun(QStringLiteral("bad"));
        p.data = tmp(QStringLiteral("no-such-corpus.txt"));
        v.setParams(p);
        QSignalSpy failed(&v, &TrainingView::trainingFailed);
        QVERIFY(v.start() != 0);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 20000);
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("does not exist")), qPrintable(failed.at(0).at(0).toString()));
        QVERIFY(v.statusText().startsWith(QStringLiteral("Failed")));
    }
};

QTEST_MAIN(TestTraining)
#include "tst_training.moc"
