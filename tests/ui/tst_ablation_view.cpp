// The Ablations panel driven offscreen through its real widgets on the Gemma 3 fixture (with a byte
// tokenizer): a heads sweep streams its rows into the table and fills the layer × head heatmap with the
// same figures `embedlab-cli ablate` writes for the study file the view saved (the CLI is tested row by
// row against the PyTorch reference in tests/cli/ablate.sh); a dimensions sweep draws its chart; table
// and chart export; a cancel keeps the finished rows; bad studies are messages naming the field or the
// layer; the session restores the form. Screenshots of the heatmap and the chart.
#include "app/bridge/job_runner.h"
#include "byte_tokenizer.h"
#include "qt_test_paths.h"
#include "ui_stall_meter.h"
#include "ui/ablation/ablation_view.h"
#include "ui/common/export.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineSeries>
#include <QProcess>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include <cmath>

using namespace embedlab;

class TestAblationView : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_ablation_view"), rel); }
    QString cli() const { return qEnvironmentVariable("EMBEDLAB_BIN_DIR") + QStringLiteral("/embedlab-cli"); }
    QString model_, sts_;

    QJsonObject headsStudy() const {
        return {{QStringLiteral("model"), model_},
                {QStringLiteral("type"), QStringLiteral("heads")},
                {QStringLiteral("heads"), QJsonObject{{QStringLiteral("mode"), QStringLiteral("zero")}}},
                {QStringLiteral("metrics"), QJsonArray{QJsonObject{{QStringLiteral("task"), QStringLiteral("sts")},
                                                                    {QStringLiteral("data"), sts_}}}}};
    }
    static double metricOf(const AblationRowView& r, const QString& key) {
        for (const auto& [k, v] : r.metrics)
            if (k == key) return v;
        return std::nan("");
    }

private Q_SLOTS:
    void initTestCase() {
        if (qEnvironmentVariableIsEmpty("EMBEDLAB_BIN_DIR")) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        model_ = tmp(QStringLiteral("gemma_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(test::qtFixture(QStringLiteral("models/gemma3_tiny")), model_));
        sts_ = tmp(QStringLiteral("sts.tsv"));
        QFile f(sts_);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("sentence1\tsentence2\tscore\n"
                "Kedi masada uyuyor.\tBir kedi masada.\t4.5\nYarın yağmur var.\tHava yağmurlu.\t4\n"
                "Çocuklar oynuyor.\tBorsa düştü.\t0.3\nKitabı okudum.\tKitap okundu.\t3.4\n"
                "Gemi ayrıldı.\tTren vardı.\t1.1\nEv güzel.\tBu ev harika.\t4.2\n"
                "Su kaynıyor.\tDeniz dalgalı.\t1\nAli okula gitti.\tAli okula yürüdü.\t3.9\n");
    }

    void headsSweepStreamsAndEqualsTheCli() {
        JobRunner runner;
        AblationView view(&runner);
        view.resize(1200, 860);
        view.show();
        QVERIFY(view.setStudy(headsStudy()));
        QSignalSpy rows(&view, &AblationView::rowAdded);
        QSignalSpy done(&view, &AblationView::finished);
        QVERIFY(view.run() != 0);
        QVERIFY(done.wait(120000));
        QCOMPARE(done.front().front().toBool(), true);
        QCOMPARE(view.rowCount(), 1 + 6 * 4);  // the baseline and every (layer, head)
        QCOMPARE(rows.count(), 25);            // each row was announced as it finished
        QCOMPARE(view.table()->rowCount(), 25);
        QCOMPARE(view.heatmap()->rowCount(), 6);
        QCOMPARE(view.heatmap()->columnCount(), 4);

        // The same study through the CLI: the view saves it, the CLI reruns it.
        const QString studyFile = tmp(QStringLiteral("heads.json"));
        QVERIFY(view.saveStudyFile(studyFile));
        QProcess p;
        p.start(cli(), {QStringLiteral("ablate"), QStringLiteral("--study"), studyFile, QStringLiteral("--out"), tmp(QStringLiteral("cli-heads"))});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        QFile rf(tmp(QStringLiteral("cli-heads/results.json")));
        QVERIFY(rf.open(QIODevice::ReadOnly));
        const QJsonArray cliRows = QJsonDocument::fromJson(rf.readAll()).object().value(QStringLiteral("rows")).toArray();
        QCOMPARE(cliRows.size(), view.rowCount());
        for (int i = 0; i < cliRows.size(); ++i) {
            const QJsonObject r = cliRows[i].toObject();
            QCOMPARE(view.rows()[i].setting, r.value(QStringLiteral("setting")).toString());
            const double want = r.value(QStringLiteral("metrics")).toObject().value(QStringLiteral("sts.spearman")).toDouble();
            QVERIFY2(std::abs(metricOf(view.rows()[i], QStringLiteral("sts.spearman")) - want) < 1e-9, qPrintable(r.value(QStringLiteral("setting")).toString()));
            if (i == 0) continue;
            const int l = r.value(QStringLiteral("params")).toObject().value(QStringLiteral("layer")).toInt();
            const int h = r.value(QStringLiteral("params")).toObject().value(QStringLiteral("head")).toInt();
            const double delta = r.value(QStringLiteral("delta")).toObject().value(QStringLiteral("sts.spearman")).toDouble();
            QVERIFY2(std::abs(view.heatmap()->value(l, h) - delta) < 1e-9, qPrintable(QStringLiteral("cell %1,%2").arg(l).arg(h)));
        }
        QVERIFY(view.heatmap()->hoverText(2, 3).startsWith(QStringLiteral("layer 2, head 3: ")));
        QVERIFY(view.chartArea() == view.heatmap());

        // Exports: the table as CSV and JSON, the heatmap as SVG and PNG.
        QString err;
        QVERIFY2(view.exportTable(tmp(QStringLiteral("t.csv")), &err), qPrintable(err));
        QVERIFY2(view.exportTable(tmp(QStringLiteral("t.json")), &err), qPrintable(err));
        QFile csv(tmp(QStringLiteral("t.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll().count('\n'), 26);
        QFile tj(tmp(QStringLiteral("t.json")));
        QVERIFY(tj.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(tj.readAll()).object().value(QStringLiteral("rows")).toArray().size(), 25);
        QVERIFY(exportWidget(view.chartArea(), tmp(QStringLiteral("heatmap.svg")), &err));
        QFile svg(tmp(QStringLiteral("heatmap.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("<svg"));  // written; the cells' colours are checked below as pixels
        QVERIFY(view.heatmap()->grab().save(test::qtScreenshot(QStringLiteral("ablation_heatmap.png"))));
        QVERIFY(view.grab().save(test::qtScreenshot(QStringLiteral("ablation_view.png"))));
        // The heatmap's colours follow the values: the most negative cell is bluer than the most positive.
        double lo = 1e9, hi = -1e9;
        int lr = 0, lc = 0, hr = 0, hc = 0;
        for (int r = 0; r < 6; ++r)
            for (int c = 0; c < 4; ++c) {
                const double v = view.heatmap()->value(r, c);
                if (v < lo) lo = v, lr = r, lc = c;
                if (v > hi) hi = v, hr = r, hc = c;
            }
        QVERIFY(lo < 0 && hi > 0);
        const QImage img = view.heatmap()->grab().toImage();
        auto centre = [&](int r, int c) {
            for (int y = 0; y < img.height(); y += 2)
                for (int x = 0; x < img.width(); x += 2)
                    if (view.heatmap()->cellAt(QPoint(x, y)) == qMakePair(r, c)) return QColor(img.pixel(x + 3, y + 3));
            return QColor();
        };
        QVERIFY(centre(lr, lc).blue() > centre(lr, lc).red());
        QVERIFY(centre(hr, hc).red() > centre(hr, hc).blue());
    }

    void dimensionsSweepDrawsItsChart() {
        JobRunner runner;
        AblationView view(&runner);
        view.resize(1200, 860);
        view.show();
        QJsonObject s = headsStudy();
        s.remove(QStringLiteral("heads"));
        s[QStringLiteral("type")] = QStringLiteral("dimensions");
        s[QStringLiteral("dimensions")] = QJsonObject{{QStringLiteral("mode"), QStringLiteral("prefix")},
                                                      {QStringLiteral("sizes"), QJsonArray{64, 32, 16, 8, 4}}};
        QVERIFY(view.setStudy(s));
        QCOMPARE(view.study().value(QStringLiteral("dimensions")).toObject().value(QStringLiteral("sizes")).toArray().size(), 5);
        QSignalSpy done(&view, &AblationView::finished);
        const QString out = tmp(QStringLiteral("dims-out"));
        QVERIFY(view.run() != 0);
        QVERIFY(done.wait(60000));
        QCOMPARE(view.rowCount(), 6);
        QVERIFY(view.chartArea() == view.chart());
        auto* line = qobject_cast<QLineSeries*>(view.chart()->chart()->series().value(0));
        QVERIFY(line);
        QCOMPARE(line->count(), 5);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(line->at(i).x(), double(QList<int>{64, 32, 16, 8, 4}[i]));
            QVERIFY(std::abs(line->at(i).y() - metricOf(view.rows()[i + 1], QStringLiteral("sts.spearman"))) < 1e-12);
        }
        // the full prefix (64 of 64) is the baseline itself
        QVERIFY(std::abs(metricOf(view.rows()[1], QStringLiteral("sts.spearman")) - metricOf(view.rows()[0], QStringLiteral("sts.spearman"))) < 1e-12);
        QTest::qWait(100);  // the chart's scene lays out its axes on the event loop
        QString err;
        QVERIFY2(exportWidget(view.chartArea(), tmp(QStringLiteral("chart.pdf")), &err), qPrintable(err));
        QVERIFY(QFileInfo(tmp(QStringLiteral("chart.pdf"))).size() > 0);
        QVERIFY(view.chart()->grab().save(test::qtScreenshot(QStringLiteral("ablation_chart.png"))));
    }

    void uiNeverStallsDuringASweep() {
        // A heads sweep (baseline + 24 settings) with the view on screen: each row lands in the table
        // and the layer × head heatmap while the UI thread is watched.
        JobRunner runner;
        AblationView view(&runner);
        view.resize(1300, 850);
        view.show();
        QVERIFY(view.setStudy(headsStudy()));
        QSignalSpy done(&view, &AblationView::finished);
        QVERIFY(QTest::qWaitForWindowExposed(&view));  // the first paint is not the job's
        test::UiStallMeter meter;
        meter.start();
        QVERIFY(view.run() != 0);
        QVERIFY(done.wait(120000));
        QTest::qWait(300);
        meter.stop();
        QCOMPARE(done.front().front().toBool(), true);
        qInfo("sweep: %s, %d rows", qPrintable(meter.describe()), view.rowCount());
        QVERIFY2(meter.ticks() >= 50, qPrintable(meter.describe()));
        QVERIFY2(meter.worst() <= test::UiStallMeter::kBoundMs, qPrintable(meter.describe()));
    }

    void cancelKeepsTheFinishedRows() {
        JobRunner runner;
        AblationView view(&runner);
        QVERIFY(view.setStudy(headsStudy()));
        QSignalSpy rows(&view, &AblationView::rowAdded);
        QSignalSpy done(&view, &AblationView::finished);
        QVERIFY(view.run() != 0);
        QVERIFY(rows.wait(60000));  // the baseline
        view.cancel();
        QVERIFY(done.wait(60000));
        QCOMPARE(done.front().front().toBool(), false);
        QVERIFY(view.rowCount() >= 1 && view.rowCount() < 25);
        QVERIFY2(view.statusText().contains(QStringLiteral("Cancelled")), qPrintable(view.statusText()));
        QCOMPARE(view.table()->rowCount(), view.rowCount());
    }

    void badStudiesAreMessages() {
        JobRunner runner;
        AblationView view(&runner);
        // nothing chosen
        QCOMPARE(view.run(), JobId(0));
        QVERIFY(view.statusText().contains(QStringLiteral("model")));
        // a study file with unknown fields: named (the form shows the rest, to be corrected)
        const QString bad = tmp(QStringLiteral("bad.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QJsonObject s = headsStudy();
        s[QStringLiteral("colour")] = 1;
        f.write(QJsonDocument(s).toJson());
        f.close();
        QVERIFY(!view.loadStudyFile(bad));
        QVERIFY2(view.statusText().contains(QStringLiteral("'colour'")), qPrintable(view.statusText()));
        QVERIFY(!view.loadStudyFile(tmp(QStringLiteral("missing.json"))));
        // a layer beyond the model: the job stops with the engine's message
        QJsonObject far = headsStudy();
        far[QStringLiteral("heads")] = QJsonObject{{QStringLiteral("layers"), QJsonArray{7}}};
        QVERIFY(view.setStudy(far));
        QSignalSpy done(&view, &AblationView::finished);
        QVERIFY(view.run() != 0);
        QVERIFY(done.wait(60000));
        QCOMPARE(done.front().front().toBool(), false);
        QVERIFY2(view.statusText().contains(QStringLiteral("7 is beyond the model's 6 layers")), qPrintable(view.statusText()));
    }

    // A study file's fields the form does not show survive loading and saving: the view runs the study
    // the CLI would.
    void fieldsTheFormDoesNotShowAreKept() {
        JobRunner runner;
        AblationView view(&runner);
        const QString dir = tmp(QStringLiteral("keep"));
        QDir().mkpath(dir);
        QFile f(dir + QStringLiteral("/s.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"name": "sets", "model": "../gemma_bytes", "type": "tokens", "tokenizer": "../gemma_bytes",
                   "tokens": {"mode": "mean", "sets": [[97, 98], [32]]},
                   "metrics": [{"task": "sts", "data": "../sts.tsv", "name": "sts100", "min_score": 0, "max_score": 100},
                               {"task": "sts", "data": "../sts.tsv", "name": "b"}, {"task": "sts", "data": "../sts.tsv", "name": "c"},
                               {"task": "sts", "data": "../sts.tsv", "name": "d"}],
                   "embedding": {"batch_size": 3, "max_length": 40}, "seed": 12345678901,
                   "sample": {"prompt": "Bugün", "tokens": 5}, "budget": {"seconds": 100}})");
        f.close();
        QVERIFY(view.loadStudyFile(dir + QStringLiteral("/s.json")));
        const QJsonObject s = view.study();
        QCOMPARE(s.value(QStringLiteral("tokens")).toObject().value(QStringLiteral("sets")).toArray().size(), 2);
        QCOMPARE(s.value(QStringLiteral("tokenizer")).toString(), model_);
        const QJsonArray m = s.value(QStringLiteral("metrics")).toArray();
        QCOMPARE(m.size(), 4);
        QCOMPARE(m[0].toObject().value(QStringLiteral("max_score")).toInt(), 100);
        QCOMPARE(m[0].toObject().value(QStringLiteral("name")).toString(), QStringLiteral("sts100"));
        QCOMPARE(m[3].toObject().value(QStringLiteral("data")).toString(), sts_);
        QCOMPARE(s.value(QStringLiteral("embedding")).toObject().value(QStringLiteral("batch_size")).toInt(), 3);
        QCOMPARE(s.value(QStringLiteral("seed")).toInteger(), Q_INT64_C(12345678901));
        QCOMPARE(s.value(QStringLiteral("sample")).toObject().value(QStringLiteral("tokens")).toInt(), 5);
        QCOMPARE(s.value(QStringLiteral("budget")).toObject().value(QStringLiteral("seconds")).toInt(), 100);
        QCOMPARE(s.value(QStringLiteral("name")).toString(), QStringLiteral("sets"));
        QVERIFY(AblationJob::checkStudy(s, QString()).isEmpty());
    }

    void sessionRestoresTheForm() {
        JobRunner runner;
        AblationView view(&runner);
        QJsonObject s = headsStudy();
        s[QStringLiteral("heads")] = QJsonObject{{QStringLiteral("mode"), QStringLiteral("mean")}, {QStringLiteral("layers"), QJsonArray{1, 3}}};
        s[QStringLiteral("seed")] = 7;
        QVERIFY(view.setStudy(s));
        AblationView again(&runner);
        SessionReport rep;
        again.restoreSession(view.saveSession(), rep);
        QCOMPARE(again.study(), view.study());
        QCOMPARE(again.study().value(QStringLiteral("heads")).toObject().value(QStringLiteral("mode")).toString(), QStringLiteral("mean"));
        QVERIFY(rep.missing.isEmpty());
    }
};

QTEST_MAIN(TestAblationView)
#include "tst_ablation_view.moc"
