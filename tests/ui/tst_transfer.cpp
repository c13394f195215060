// The Transfer view driven offscreen through its real widgets and the engine's long lane: a small Gemma
// with a SentencePiece BPE tokenizer carried onto the seed Turkish tokenizer. The report it shows is the
// one `embedlab-cli transfer` writes for the same inputs (one implementation); the coverage chart equals
// the summary; the method filter and the search narrow the table; an exact token's nearest source token
// is its own source row (cosine 1); surgery shows its accounting; the session restores the report; a
// missing tokenizer is a message. Screenshot of the view.
#include "app/bridge/job_runner.h"
#include "qt_test_paths.h"
#include "ui_stall_meter.h"
#include "ui/mainwindow/main_window.h"
#include "ui/training/training_view.h"
#include "ui/transfer/transfer_view.h"
#include "ui/workspace/workspace.h"

#include <QApplication>
#include <QChartView>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>

using namespace embedlab;

class TestTransfer : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_transfer"), rel); }
    QString cli() const { return qEnvironmentVariable("EMBEDLAB_BIN_DIR") + QStringLiteral("/embedlab-cli"); }
    QString source_;

    bool runCli(const QStringList& args) {
        QProcess p;
        p.start(cli(), args);
        if (!p.waitForFinished(120000) || p.exitCode() != 0) {
            qWarning() << "embedlab-cli" << args << p.readAllStandardError();
            return false;
        }
        return true;
    }
    static QJsonObject readJson(const QString& path) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) return {};
        return QJsonDocument::fromJson(f.readAll()).object();
    }
    TransferParams params(const QString& out) const {
        TransferParams p;
        p.sourceDir = source_;
        p.targetTokenizer = test::qtFixture(QStringLiteral("tokenizers/turkish-seed"));
        p.strategy = QStringLiteral("weighted");
        p.outDir = out;
        return p;
    }

private Q_SLOTS:
    void initTestCase() {
        if (qEnvironmentVariableIsEmpty("EMBEDLAB_BIN_DIR")) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        // A Gemma-shaped source with 2,000 rows and the SentencePiece BPE tokenizer of the fixtures.
        QFile in(test::qtFixture(QStringLiteral("models/gemma3_tiny/config.json")));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QJsonObject cfg = QJsonDocument::fromJson(in.readAll()).object();
        cfg[QStringLiteral("vocab_size")] = 2000;
        QFile c(tmp(QStringLiteral("cfg.json")));
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.write(QJsonDocument(cfg).toJson());
        c.close();
        source_ = tmp(QStringLiteral("source"));
        QDir(source_).removeRecursively();
        QVERIFY(runCli({QStringLiteral("init"), QStringLiteral("--arch"), QStringLiteral("gemma3"), QStringLiteral("--config"),
                        tmp(QStringLiteral("cfg.json")), QStringLiteral("--out"), source_}));
        QVERIFY(QFile::copy(test::qtFixture(QStringLiteral("sentencepiece/tr_bpe_2k_bytefallback.model")),
                            source_ + QStringLiteral("/tokenizer.model")));
    }

    void transferShowsTheCliReport() {
        JobRunner runner;
        TransferView view(&runner);
        view.resize(1300, 850);
        view.show();
        const QString out = tmp(QStringLiteral("out-view"));
        QDir(out).removeRecursively();
        view.setParams(params(out));
        QSignalSpy done(&view, &TransferView::transferred);
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("transferRun")), Qt::LeftButton);
        QVERIFY(done.wait(120000));
        QCOMPARE(done.at(0).at(0).toString(), out);
        const QJsonArray tokens = view.report().value(QStringLiteral("tokens")).toArray();
        QCOMPARE(tokens.size(), 32768);
        QCOMPARE(view.visibleRows(), 32768);

        // The CLI on the same inputs writes the same report.
        const QString cliOut = tmp(QStringLiteral("out-cli"));
        QDir(cliOut).removeRecursively();
        QVERIFY(runCli({QStringLiteral("transfer"), QStringLiteral("--source"), source_, QStringLiteral("--target-tokenizer"),
                        test::qtFixture(QStringLiteral("tokenizers/turkish-seed")), QStringLiteral("--strategy"),
                        QStringLiteral("weighted"), QStringLiteral("--out"), cliOut}));
        const QJsonObject cliReport = readJson(cliOut + QStringLiteral("/transfer_report.json"));
        QCOMPARE(cliReport.value(QStringLiteral("tokens")).toArray(), tokens);

        // The coverage chart is the summary's partition of the vocabulary.
        const QJsonObject summary = view.report().value(QStringLiteral("summary")).toObject();
        int total = 0;
        const auto cov = view.coverage();
        for (auto it = cov.begin(); it != cov.end(); ++it) {
            QCOMPARE(it.value(), summary.value(it.key()).toInt());
            total += it.value();
        }
        QCOMPARE(total, 32768);

        // Filters.
        view.setMethodFilter(QStringLiteral("fallback"));
        QCOMPARE(view.visibleRows(), summary.value(QStringLiteral("fallback")).toInt());
        view.setMethodFilter(QString());
        view.setSearchText(QStringLiteral("kitap"));
        QVERIFY(view.visibleRows() > 0);
        QVERIFY(view.visibleRows() < 200);

        // An exact token: its nearest source token is its own source row, at cosine 1.
        view.setSearchText(QString());
        view.setMethodFilter(QStringLiteral("exact"));
        QVERIFY(view.visibleRows() > 100);
        qint64 id = -1;
        QString piece;
        for (int r = 0; r < view.visibleRows() && id < 0; ++r) {
            const qint64 t = view.visibleTokenId(r);
            const QJsonArray s = tokens.at(static_cast<int>(t)).toObject().value(QStringLiteral("sources")).toArray();
            if (s.size() == 1 && tokens.at(static_cast<int>(t)).toObject().value(QStringLiteral("token")).toString().size() > 2) {
                id = t;
                piece = s.at(0).toObject().value(QStringLiteral("token")).toString();
            }
        }
        QVERIFY(id >= 0);
        QSignalSpy neighbours(&view, &TransferView::neighborsReady);
        view.selectToken(id);
        QVERIFY(neighbours.wait(30000));
        const QString detail = view.detailText();
        QVERIFY2(detail.contains(QStringLiteral("Source pieces:")), qPrintable(detail));
        const QString firstNeighbour = detail.section(QStringLiteral("Nearest source tokens, transferred:\n"), 1).section(QLatin1Char('\n'), 0, 0);
        QVERIFY2(firstNeighbour.contains(QStringLiteral("1.000")) && firstNeighbour.contains(piece), qPrintable(detail));

        QApplication::processEvents();
        QVERIFY(view.grab().save(test::qtScreenshot(QStringLiteral("transfer_view.png"))));

        // The session keeps the form and the report.
        const QJsonObject saved = view.saveSession();
        TransferView restored(&runner);
        SessionReport rep;
        QSignalSpy loaded(&restored, &TransferView::reportLoaded);
        restored.restoreSession(saved, rep);
        QVERIFY(loaded.wait(30000));
        QCOMPARE(restored.params().strategy, QStringLiteral("weighted"));
        QCOMPARE(restored.report().value(QStringLiteral("tokens")).toArray().size(), 32768);
        QCOMPARE(restored.visibleRows(), summary.value(QStringLiteral("exact")).toInt());  // the filter came back
        QVERIFY(rep.missing.isEmpty());
    }

    void uiNeverStallsWhileTransferring() {
        // From the click to the 32,768-token report on screen (table, coverage chart) and a second
        // after it (the view filling its table and chart).
        JobRunner runner;
        TransferView view(&runner);
        view.resize(1300, 850);
        view.show();
        const QString out = tmp(QStringLiteral("out-stall"));
        QDir(out).removeRecursively();
        view.setParams(params(out));
        QSignalSpy done(&view, &TransferView::transferred);
        QVERIFY(QTest::qWaitForWindowExposed(&view));  // the first paint is not the job's
        test::UiStallMeter meter;
        meter.start();
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("transferRun")), Qt::LeftButton);
        QVERIFY(done.wait(120000));
        QTest::qWait(1000);
        meter.stop();
        QCOMPARE(view.visibleRows(), 32768);
        qInfo("transfer: %s", qPrintable(meter.describe()));
        QVERIFY2(meter.ticks() >= 100, qPrintable(meter.describe()));
        QVERIFY2(meter.worst() <= test::UiStallMeter::kBoundMs, qPrintable(meter.describe()));
    }

    void surgeryShowsTheAccounting() {
        JobRunner runner;
        TransferView view(&runner);
        SurgeryParams s;
        s.modelDir = source_;
        s.keepLayers = QStringLiteral("0-1");
        s.outDir = tmp(QStringLiteral("cut"));
        QDir(s.outDir).removeRecursively();
        view.setSurgeryParams(s);
        QSignalSpy done(&view, &TransferView::surgeryDone);
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("surgeryRun")), Qt::LeftButton);
        QVERIFY(done.wait(60000));
        QVERIFY2(view.accountingText().contains(QStringLiteral("layers: 6 → 2")), qPrintable(view.accountingText()));
        QCOMPARE(view.surgeryResult().value(QStringLiteral("layers_after")).toInt(), 2);
        QVERIFY(view.surgeryResult().value(QStringLiteral("params_after")).toDouble() <
                view.surgeryResult().value(QStringLiteral("params_before")).toDouble());
        QVERIFY(QFile::exists(s.outDir + QStringLiteral("/tokenizer.model")));
    }

    void badInputIsAMessage() {
        JobRunner runner;
        TransferView view(&runner);
        TransferParams p = params(tmp(QStringLiteral("never")));
        p.targetTokenizer = tmp(QStringLiteral("missing.json"));
        view.setParams(p);
        QSignalSpy failed(&view, &TransferView::transferFailed);
        QVERIFY(view.start() != 0);
        QVERIFY(failed.wait(30000));
        QVERIFY2(view.statusText().startsWith(QStringLiteral("Failed:")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(tmp(QStringLiteral("never"))));
        // An incomplete form is refused before any job.
        view.setParams(TransferParams{});
        QCOMPARE(view.start(), JobId(0));
    }

    // An experiment folder of the recipe: one line per strategy, the source as a dashed line; a broken
    // curves.csv is a message naming the line.
    void adaptationCurvesFromAnExperimentFolder() {
        const QString dir = tmp(QStringLiteral("experiment"));
        QDir(dir).removeRecursively();
        QDir().mkpath(dir);
        QFile c(dir + QStringLiteral("/curves.csv"));
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.write("strategy,step,eval_bpc\n");
        const char* strategies[] = {"mean", "weighted", "random"};
        for (int s = 0; s < 3; ++s)
            for (int step = 0; step <= 80; step += 20)
                c.write(QStringLiteral("%1,%2,%3\n").arg(QString::fromLatin1(strategies[s])).arg(step)
                            .arg(2.0 + (s + 1) * 3.0 / (1.0 + step / 10.0), 0, 'f', 5).toUtf8());
        c.close();
        QFile r(dir + QStringLiteral("/results.json"));
        QVERIFY(r.open(QIODevice::WriteOnly));
        r.write(R"({"source_bpc": 1.8})");
        r.close();
        JobRunner runner;
        TransferView view(&runner);
        view.resize(1300, 850);
        view.show();
        QString error;
        QVERIFY2(view.openExperiment(dir, &error), qPrintable(error));
        const auto curves = view.adaptationCurves();
        QCOMPARE(curves.size(), 3);
        QCOMPARE(curves.value(QStringLiteral("random")).size(), 5);
        QCOMPARE(curves.value(QStringLiteral("mean")).at(2), QPointF(40, 2.6));
        QCOMPARE(view.sourceBitsPerChar(), 1.8);
        QCOMPARE(view.adaptationChart()->chart()->series().size(), 4);
        auto* tabs = view.adaptationChart()->parentWidget()->parentWidget();
        if (auto* t = qobject_cast<QTabWidget*>(tabs)) t->setCurrentWidget(view.adaptationChart());
        QApplication::processEvents();
        QVERIFY(view.adaptationChart()->grab().save(test::qtScreenshot(QStringLiteral("transfer_adaptation.png"))));
        // The session reopens it.
        TransferView again(&runner);
        SessionReport rep;
        again.restoreSession(view.saveSession(), rep);
        QCOMPARE(again.adaptationCurves().size(), 3);
        // A broken line is a message.
        QVERIFY(c.open(QIODevice::Append));
        c.write("mean,100\n");
        c.close();
        QVERIFY(!view.openExperiment(dir, &error));
        QVERIFY2(error.contains(QStringLiteral("line 17")), qPrintable(error));
        QCOMPARE(view.adaptationCurves().size(), 3);  // the shown curves stay
    }

    void installedInTheWorkspace() {
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        QVERIFY(ws.transfer());
        auto* tabs = w.findChild<QTabWidget*>(QStringLiteral("transferTrainingTabs"));
        QVERIFY(tabs);
        QCOMPARE(tabs->widget(0), static_cast<QWidget*>(ws.transfer()));
        QCOMPARE(tabs->widget(1), static_cast<QWidget*>(ws.training()));
    }
};

QTEST_MAIN(TestTransfer)
#include "tst_transfer.moc"
