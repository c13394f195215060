// The main window driven offscreen: panels, drag-and-drop routing by kind, messages for bad paths,
// recent files, device/thread settings, the jobs area's cancel button, and a screenshot.
#include "ui/jobs/jobs_panel.h"
#include "ui/log/log_panel.h"
#include "ui/mainwindow/main_window.h"
#include "test_paths.h"

#include <QComboBox>
#include <QLabel>
#include <QApplication>
#include "engine/core/error.h"
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QChart>
#include <QChartView>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace embedlab;

class TestMainWindow : public QObject {
    Q_OBJECT
    QString fixtures() const { return QString::fromStdString(test::fixture("")); }

    static void dropPaths(QWidget* target, const QStringList& paths) {
        auto* mime = new QMimeData;
        QList<QUrl> urls;
        for (const auto& p : paths) urls << QUrl::fromLocalFile(p);
        mime->setUrls(urls);
        const QPoint pos = target->rect().center();
        QDragEnterEvent enter(pos, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(pos), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &drop);
        delete mime;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("embedlab-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_main_window"));
        QSettings().clear();
    }

    void hasEveryPanelDockAndEngineControls() {
        JobRunner runner;
        MainWindow w(&runner);
        const QStringList expected = {"models",     "tokenizers", "map",      "similarity",
                                      "evaluation", "ablations",  "training", "generation", "workspace"};
        QCOMPARE(w.panelIds(), expected);
        for (const QString& id : expected) QVERIFY2(w.panelDock(id), qPrintable(id));
        auto* device = w.findChild<QComboBox*>(QStringLiteral("deviceCombo"));
        QVERIFY(device);
        QVERIFY(device->findData(QStringLiteral("cpu")) >= 0);
        QVERIFY(w.findChild<QSpinBox*>(QStringLiteral("threadsSpin")));
        // A feature installs its view into a panel.
        auto* view = new QLabel(QStringLiteral("models view"));
        w.setPanel(QStringLiteral("models"), view);
        QCOMPARE(w.panelDock(QStringLiteral("models"))->widget(), view);
    }

    void dropRoutesByKind() {
        JobRunner runner;
        MainWindow w(&runner);
        w.show();
        QSignalSpy model(&w, &MainWindow::modelFolderOpened);
        QSignalSpy tok(&w, &MainWindow::tokenizerOpened);
        QSignalSpy corpus(&w, &MainWindow::corpusOpened);
        QSignalSpy vectors(&w, &MainWindow::vectorsOpened);

        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString txt = tmp.filePath(QStringLiteral("corpus.txt"));
        QFile f(txt);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Merhaba dünya.\nKitabı masanın üzerine bıraktım.\n");
        f.close();
        const QString vec = tmp.filePath(QStringLiteral("vectors.tsv"));
        QFile v(vec);
        QVERIFY(v.open(QIODevice::WriteOnly));
        v.write("0.1\t0.2\t0.3\n0.4\t0.5\t0.6\n");
        v.close();

        dropPaths(&w, {fixtures() + QStringLiteral("models/gemma3_tiny"),
                       fixtures() + QStringLiteral("sentencepiece/tr_unigram_2k.model"),
                       fixtures() + QStringLiteral("tokenizers/turkish-seed"), txt, vec});
        QCOMPARE(model.count(), 1);
        QCOMPARE(tok.count(), 2);
        QCOMPARE(corpus.count(), 1);
        QCOMPARE(vectors.count(), 1);
        QCOMPARE(corpus.at(0).at(0).toString(), txt);
    }

    void unsupportedAndMissingPathsGetMessages() {
        JobRunner runner;
        MainWindow w(&runner);
        QTemporaryDir tmp;
        const QString bin = tmp.filePath(QStringLiteral("image.png"));
        QFile f(bin);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("\x89PNG\r\n\x1a\n\0\0", 10));
        f.close();
        const int before = w.log()->count(LogPanel::Level::Error);
        QCOMPARE(w.openPath(bin), PathKind::Unknown);
        QCOMPARE(w.openPath(QStringLiteral("/no/such/folder")), PathKind::Missing);
        const QString bintxt = tmp.filePath(QStringLiteral("binary.txt"));
        QFile b(bintxt);
        QVERIFY(b.open(QIODevice::WriteOnly));
        b.write(QByteArray("abc\0def\0", 8));
        b.close();
        QCOMPARE(w.openPath(bintxt), PathKind::Unknown);
        QCOMPARE(w.log()->count(LogPanel::Level::Error), before + 3);
        const QString text = w.log()->plainText();
        QVERIFY(text.contains(QStringLiteral("image.png")));
        QVERIFY(text.contains(QStringLiteral("/no/such/folder")));
        QVERIFY(text.contains(QStringLiteral("binary data")));
    }

    void recentFilesAndSettingsPersist() {
        QSettings().clear();
        {
            JobRunner runner;
            MainWindow w(&runner);
            w.openPath(fixtures() + QStringLiteral("models/gpt2_tiny"));
            w.openPath(fixtures() + QStringLiteral("models/bert_tiny"));
            w.openPath(fixtures() + QStringLiteral("models/gpt2_tiny"));  // moves to the top, no duplicate
            QCOMPARE(w.recentFiles().size(), 2);
            QVERIFY(w.recentFiles().at(0).endsWith(QStringLiteral("gpt2_tiny")));
            w.findChild<QSpinBox*>(QStringLiteral("threadsSpin"))->setValue(1);
            w.close();
        }
        JobRunner runner;
        MainWindow again(&runner);
        QCOMPARE(again.recentFiles().size(), 2);
        QCOMPARE(again.currentThreads(), 1);
        QCOMPARE(QSettings().value(QStringLiteral("engine/threads")).toInt(), 1);
        again.findChild<QSpinBox*>(QStringLiteral("threadsSpin"))->setValue(2);
    }

    void jobsPanelCancelButtonCancelsTheJob() {
        JobRunner runner;
        MainWindow w(&runner);
        w.show();
        std::atomic<bool> started{false};
        QSignalSpy cancelled(&runner, &JobRunner::jobCancelled);
        const JobId id = runner.submit(std::make_shared<FunctionJob>("endless", [&](Progress& p) {
            started = true;
            for (int i = 0;; ++i) {
                QThread::msleep(2);
                p.report((i % 100) / 100.0, "working");
            }
        }))->id();
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->cancelButton(id) != nullptr, 2000);
        QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->progressBar(id)->value() > 0, 2000);
        QTest::mouseClick(w.jobs()->cancelButton(id), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 1000);
        // The spy counts on the engine thread; the window's log line arrives through the event queue.
        QTRY_VERIFY_WITH_TIMEOUT(w.log()->plainText().contains(QStringLiteral("endless: cancelled")), 2000);
    }

    void jobsPanelListsBothLanesAndPausesALongJob() {
        JobRunner runner;
        MainWindow w(&runner);
        w.show();
        std::atomic<int> steps{0};
        QSignalSpy cancelled(&runner, &JobRunner::jobCancelled);
        auto endless = [&](const char* name) {
            return std::make_shared<FunctionJob>(name, [&](Progress& p) {
                for (;;) {
                    QThread::msleep(5);
                    ++steps;
                    p.report(0.5, "working");
                }
            });
        };
        const JobHandlePtr longJob = runner.submit(endless("sweep"), {}, JobLane::Long);
        const JobId id = longJob->id();
        QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->pauseButton(id) != nullptr, 2000);
        QVERIFY(w.jobs()->rowText(id).startsWith(QStringLiteral("long")));
        QTRY_VERIFY_WITH_TIMEOUT(steps.load() > 3, 5000);
        QTest::mouseClick(w.jobs()->pauseButton(id), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(runner.isPaused(id), 1000);
        QCOMPARE(w.jobs()->pauseButton(id)->text(), QStringLiteral("Resume"));
        QTest::qWait(50);
        const int paused = steps.load();
        QTest::qWait(200);
        QVERIFY(steps.load() <= paused + 1);
        QTest::mouseClick(w.jobs()->pauseButton(id), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(steps.load() > paused + 3, 5000);
        // An interactive job beside it gets its own row, without a pause button.
        std::atomic<bool> release{false};
        const JobHandlePtr quick = runner.submit(std::make_shared<FunctionJob>("preview", [&](Progress& p) {
            while (!release) {
                QThread::msleep(2);
                p.report(0.1);
            }
        }));
        QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->cancelButton(quick->id()) != nullptr, 2000);
        QVERIFY(w.jobs()->pauseButton(quick->id()) == nullptr);
        QVERIFY(w.jobs()->rowText(quick->id()).startsWith(QStringLiteral("interactive")));
        QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->rowText(id).contains(QStringLiteral("waiting for interactive")), 2000);
        release = true;
        QTRY_VERIFY_WITH_TIMEOUT(!w.jobs()->rowText(id).contains(QStringLiteral("waiting")), 2000);
        QTest::mouseClick(w.jobs()->cancelButton(id), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 1000);
    }

    void metricPointsAreChartedAndLogLinesReachMessages() {
        JobRunner runner;
        MainWindow w(&runner);
        w.show();
        const JobHandlePtr h = runner.submit(std::make_shared<FunctionJob>("training", [](Progress& p) {
            for (int step = 1; step <= 20; ++step) {
                p.metric("loss", step, 2.0 / step);
                if (step % 5 == 0) p.metric("eval_loss", step, 2.5 / step);
                p.report(step / 20.0);
            }
            p.log("checkpoint written: step 20");
        }), {}, JobLane::Long);
        QVERIFY(runner.waitForIdle(10000));
        QChartView* chart = w.jobs()->metricChart(h->id());
        QVERIFY(chart != nullptr);
        const QVector<QPointF> loss = w.jobs()->metricPoints(h->id(), QStringLiteral("loss"));
        QCOMPARE(loss.size(), 20);
        QCOMPARE(loss.first(), QPointF(1, 2.0));
        QCOMPARE(loss.last(), QPointF(20, 0.1));
        QCOMPARE(w.jobs()->metricPoints(h->id(), QStringLiteral("eval_loss")).size(), 4);
        QCOMPARE(chart->chart()->series().size(), 2);
        QVERIFY(w.log()->plainText().contains(QStringLiteral("training: checkpoint written: step 20")));
        const QString dir = QString::fromStdString(test::tmpDir()) + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        chart->resize(600, 240);
        QVERIFY(chart->grab().save(dir + QStringLiteral("/jobs_metric_chart.png")));
    }

    void failedJobIsShownInMessages() {
        JobRunner runner;
        MainWindow w(&runner);
        runner.submit(std::make_shared<FunctionJob>("Load model", [](Progress&) {
            throw Error::badInput("config.json: num_attention_heads 5 does not divide hidden_size 64");
        }));
        QVERIFY(runner.waitForIdle(5000));
        QVERIFY(w.log()->plainText().contains(QStringLiteral("Load model: config.json: num_attention_heads 5")));
    }

    void screenshotIsSaved() {
        JobRunner runner;
        MainWindow w(&runner);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QString dir = QString::fromStdString(test::tmpDir()) + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        const QString file = dir + QStringLiteral("/main_window.png");
        QFile::remove(file);
        QVERIFY(w.grab().save(file, "PNG"));
        QImage img(file);
        QCOMPARE(img.size(), QSize(1400, 900));
        // Not a blank image: the window has drawn text and chrome.
        QSet<QRgb> colours;
        for (int y = 0; y < img.height(); y += 17)
            for (int x = 0; x < img.width(); x += 13) colours.insert(img.pixel(x, y));
        QVERIFY(colours.size() > 5);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
