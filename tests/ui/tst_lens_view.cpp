// The Logit lens view driven offscreen through its real widgets on a loaded GPT-2 fixture (with a byte
// tokenizer): its grid and chart show what `embedlab-cli lens` computes for the same prompt (the CLI
// is tested against the PyTorch reference in tests/cli/lens.sh), with and without interventions; an
// encoder, an empty prompt and a head beyond the model are messages. Screenshot of the view.
#include "app/bridge/job_runner.h"
#include "byte_tokenizer.h"
#include "qt_test_paths.h"
#include "ui/generation/lens_view.h"
#include "ui/models/models_panel.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineSeries>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

using namespace embedlab;

class TestLensView : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_lens_view"), rel); }
    QString cli() const { return qEnvironmentVariable("EMBEDLAB_BIN_DIR") + QStringLiteral("/embedlab-cli"); }
    QString dir_;

    QJsonObject cliLens(const QStringList& extra) const {
        QProcess p;
        p.start(cli(), QStringList{QStringLiteral("lens"), QStringLiteral("--model"), dir_, QStringLiteral("--prompt"),
                                   QStringLiteral("Merhaba dünya"), QStringLiteral("--top"), QStringLiteral("3")} + extra);
        if (!p.waitForFinished(60000) || p.exitCode() != 0) return {};
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }
    // The view's grid against the CLI's JSON: every cell's top token probability and the chart's points.
    static void sameAsCli(const LensView& view, const QJsonObject& j) {
        const QJsonArray layers = j.value(QStringLiteral("layers")).toArray();
        QTableWidget* g = view.grid();
        QCOMPARE(g->rowCount(), layers.size());
        QCOMPARE(g->columnCount(), j.value(QStringLiteral("ids")).toArray().size());
        for (int r = 0; r < g->rowCount(); ++r) {
            const QJsonArray positions = layers[layers.size() - 1 - r].toObject().value(QStringLiteral("positions")).toArray();
            for (int c = 0; c < g->columnCount(); ++c) {
                const double p = positions[c].toObject().value(QStringLiteral("top")).toArray()[0].toObject().value(QStringLiteral("prob")).toDouble();
                QVERIFY2(std::abs(g->item(r, c)->data(Qt::UserRole).toDouble() - p) < 1e-6, qPrintable(QStringLiteral("row %1 col %2").arg(r).arg(c)));
            }
        }
        const QJsonArray next = j.value(QStringLiteral("next_token_prob")).toArray();
        QCOMPARE(view.nextTokenProb().size(), next.size());
        for (int l = 0; l < next.size(); ++l) QVERIFY(std::abs(view.nextTokenProb()[l] - next[l].toDouble()) < 1e-6);
        auto* line = qobject_cast<QLineSeries*>(view.chart()->chart()->series().value(0));
        QVERIFY(line);
        QCOMPARE(line->count(), next.size());
    }

private Q_SLOTS:
    void initTestCase() {
        if (qEnvironmentVariableIsEmpty("EMBEDLAB_BIN_DIR")) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        dir_ = tmp(QStringLiteral("gpt2_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(test::qtFixture(QStringLiteral("models/gpt2_tiny")), dir_));
    }

    void gridAndChartAreTheCliLens() {
        JobRunner runner;
        ModelsPanel models(&runner);
        LensView view(&runner);
        view.resize(1000, 760);
        view.show();
        connect(&models, &ModelsPanel::modelLoaded, &view,
                [&](int i) { view.setModel(models.session(i), models.info(i).name, models.info(i).causal); });
        models.loadModel(dir_);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(models.modelCount(), 1);

        LensParams p;
        p.prompt = QStringLiteral("Merhaba dünya");
        p.topK = 3;
        view.setParams(p);
        QSignalSpy done(&view, &LensView::finished);
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("lensRun")), Qt::LeftButton);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        const QJsonObject plain = cliLens({});
        QVERIFY(!plain.isEmpty());
        sameAsCli(view, plain);
        QVERIFY(g_toolTipHasTopK(view));
        QApplication::processEvents();
        QVERIFY(view.grab().save(test::qtScreenshot(QStringLiteral("lens_view.png"))));

        // With a skipped layer and a zeroed head: the CLI's intervened lens.
        p.skipLayers = QStringLiteral("1");
        p.zeroHeads = QStringLiteral("0:2");
        view.setParams(p);
        QVERIFY(view.run() != 0);
        QVERIFY(done.wait(30000));
        const QJsonObject iv = cliLens({QStringLiteral("--skip-layers"), QStringLiteral("1"), QStringLiteral("--zero-heads"), QStringLiteral("0:2")});
        QVERIFY(!iv.isEmpty());
        sameAsCli(view, iv);
        QVERIFY(iv.value(QStringLiteral("next_token_prob")) != plain.value(QStringLiteral("next_token_prob")));

        // A head beyond the model: the message names it.
        p.zeroHeads = QStringLiteral("0:9");
        view.setParams(p);
        QVERIFY(view.run() != 0);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.last().at(0).toBool(), false);
        QVERIFY2(view.statusText().contains(QStringLiteral("head 9")), qPrintable(view.statusText()));
        // An empty prompt starts nothing.
        p.prompt.clear();
        view.setParams(p);
        QCOMPARE(view.run(), JobId(0));

        // The session keeps the form.
        LensView again(&runner);
        SessionReport rep;
        again.restoreSession(view.saveSession(), rep);
        QCOMPARE(again.params().skipLayers, QStringLiteral("1"));
        QCOMPARE(again.params().topK, 3);
    }

    void encodersAreRefused() {
        JobRunner runner;
        ModelsPanel models(&runner);
        LensView view(&runner);
        models.loadModel(test::qtFixture(QStringLiteral("models/bert_tiny")));
        QVERIFY(runner.waitForIdle(30000));
        view.setModel(models.session(0), models.info(0).name, models.info(0).causal);
        view.setParams(LensParams{QStringLiteral("x"), 3, {}, {}, false});
        QCOMPARE(view.run(), JobId(0));
        QVERIFY(view.statusText().contains(QStringLiteral("causal")));
    }

private:
    static bool g_toolTipHasTopK(const LensView& view) {
        const QString tip = view.grid()->item(0, 0)->toolTip();
        return tip.count(QStringLiteral("<br>")) == 3;
    }
};

QTEST_MAIN(TestLensView)
#include "tst_lens_view.moc"
