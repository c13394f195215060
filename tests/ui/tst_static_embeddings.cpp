// The Static embeddings view driven offscreen through its real widgets and the engine's long lane:
// skip-gram vectors trained on Turkish news text. One thread and one seed make the run reproducible, so
// the file the view writes is byte for byte the file `embedlab-cli train static` writes for the same
// inputs (one implementation); the loss curve arrives while it trains; "Show on the map" hands the file
// on; a missing corpus and an incomplete form are messages with nothing written; a cancel writes
// nothing; the session keeps the form. Screenshot of the view.
#include "app/bridge/job_runner.h"
#include "qt_test_paths.h"
#include "ui/training/static_view.h"

#include <QApplication>
#include <QChartView>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace embedlab;

class TestStaticEmbeddings : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_static_embeddings"), rel); }
    QString cli() const { return qEnvironmentVariable("EMBEDLAB_BIN_DIR") + QStringLiteral("/embedlab-cli"); }
    QString corpus_;

    StaticParams params(const QString& out) const {
        StaticParams p;
        p.corpus = corpus_;
        p.dim = 16;
        p.epochs = 3;
        p.minCount = 2;
        p.seed = 3;
        p.threads = 1;
        p.outPath = out;
        return p;
    }
    static QByteArray readAll(const QString& path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase() {
        if (qEnvironmentVariableIsEmpty("EMBEDLAB_BIN_DIR")) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        corpus_ = tmp(QStringLiteral("tr.txt"));
        QFile out(corpus_);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QFile news(QString::fromStdString(test::sourceDir()) + QStringLiteral("/data/npm/nlptoolkit-corpus/corpus.txt"));
        if (news.open(QIODevice::ReadOnly)) {
            for (int i = 0; i < 6000 && !news.atEnd(); ++i) out.write(news.readLine());
        } else {  // the fixtures' Turkish sentences, repeated
            QFile s(test::qtFixture(QStringLiteral("tokenizers/sentences.json")));
            QVERIFY(s.open(QIODevice::ReadOnly));
            const QJsonArray a = QJsonDocument::fromJson(s.readAll()).object().value(QStringLiteral("sentences")).toArray();
            for (int r = 0; r < 200; ++r)
                for (const auto& v : a) out.write(v.toString().toUtf8() + "\n");
        }
    }

    void trainsTheCliFile() {
        JobRunner runner;
        StaticEmbeddingsView view(&runner);
        view.resize(1200, 700);
        view.show();
        const QString out = tmp(QStringLiteral("view.vec"));
        QFile::remove(out);
        view.setParams(params(out));
        QSignalSpy done(&view, &StaticEmbeddingsView::trained);
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("staticRun")), Qt::LeftButton);
        QVERIFY(done.wait(120000));
        QCOMPARE(done.at(0).at(0).toString(), out);
        QCOMPARE(view.writtenPath(), out);

        // The CLI with the same inputs writes the same bytes.
        const QString cliOut = tmp(QStringLiteral("cli.vec"));
        QFile::remove(cliOut);
        QProcess p;
        p.start(cli(), {QStringLiteral("train"), QStringLiteral("static"), QStringLiteral("--input"), corpus_,
                        QStringLiteral("--dim"), QStringLiteral("16"), QStringLiteral("--epochs"), QStringLiteral("3"),
                        QStringLiteral("--min-count"), QStringLiteral("2"), QStringLiteral("--seed"), QStringLiteral("3"),
                        QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--out"), cliOut});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QJsonObject cli = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        const QByteArray a = readAll(out), b = readAll(cliOut);
        QVERIFY(a.size() > 1000);
        QVERIFY2(a == b, "the view's file differs from the CLI's");
        QVERIFY2(view.resultText().contains(QString::number(cli.value(QStringLiteral("vocab")).toInteger())), qPrintable(view.resultText()));

        // The loss curve: points while training, logistic losses below log 2 (the first prediction's).
        const QVector<QPointF> loss = view.lossCurve();
        QVERIFY2(!loss.isEmpty(), "no loss point arrived");
        for (const QPointF& pt : loss) {
            QVERIFY(pt.x() > 0);
            QVERIFY(std::isfinite(pt.y()) && pt.y() > 0 && pt.y() < 0.75);
        }

        QSignalSpy map(&view, &StaticEmbeddingsView::showOnMap);
        const auto buttons = view.findChildren<QPushButton*>();
        for (QPushButton* bt : buttons)
            if (bt->text() == QStringLiteral("Show on the map")) QTest::mouseClick(bt, Qt::LeftButton);
        QCOMPARE(map.count(), 1);
        QCOMPARE(map.at(0).at(0).toString(), out);

        QApplication::processEvents();
        QVERIFY(view.grab().save(test::qtScreenshot(QStringLiteral("static_embeddings.png"))));

        // The session keeps the form and the written file.
        const QJsonObject saved = view.saveSession();
        StaticEmbeddingsView restored(&runner);
        SessionReport rep;
        restored.restoreSession(saved, rep);
        QVERIFY(rep.missing.isEmpty());
        QCOMPARE(restored.params().corpus, corpus_);
        QCOMPARE(restored.params().dim, 16);
        QCOMPARE(restored.params().minCount, qint64(2));
        QCOMPARE(restored.writtenPath(), out);
    }

    void badInputIsAMessage() {
        JobRunner runner;
        StaticEmbeddingsView view(&runner);
        QCOMPARE(view.start(), JobId(0));  // an empty form
        QVERIFY(view.statusText().contains(QStringLiteral("corpus")));
        StaticParams p = params(tmp(QStringLiteral("never.vec")));
        p.units = QStringLiteral("tokenizer:");
        view.setParams(p);
        QCOMPARE(view.start(), JobId(0));
        QVERIFY(view.statusText().contains(QStringLiteral("tokenizer")));
        p = params(tmp(QStringLiteral("never.vec")));
        p.corpus = tmp(QStringLiteral("missing.txt"));
        view.setParams(p);
        QSignalSpy failed(&view, &StaticEmbeddingsView::trainingFailed);
        QVERIFY(view.start() != 0);
        QVERIFY(failed.wait(30000));
        QVERIFY2(view.statusText().startsWith(QStringLiteral("Failed")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(p.outPath));
        p.corpus = corpus_;
        p.subwords = QStringLiteral("6-3");
        view.setParams(p);
        QVERIFY(view.start() != 0);
        QVERIFY(failed.wait(30000));
        QVERIFY2(view.statusText().contains(QStringLiteral("subwords")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(p.outPath));
        p.subwords = QStringLiteral("3-6");
        p.gold = tmp(QStringLiteral("treebank.txt"));  // a part-of-speech column needs the .tsv output
        view.setParams(p);
        QVERIFY(view.start() != 0);
        QVERIFY(failed.wait(30000));
        QVERIFY2(view.statusText().contains(QStringLiteral(".tsv")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(p.outPath));
    }

    // The map's format: Projector vectors and a metadata file with each word's part of speech.
    void projectorOutputWithPartsOfSpeech() {
        JobRunner runner;
        StaticEmbeddingsView view(&runner);
        const QString gold = tmp(QStringLiteral("treebank.txt"));
        {
            QFile g(gold);
            QVERIFY(g.open(QIODevice::WriteOnly));
            g.write("ve\tve+CONJ\nbir\tbir+DET\ntürkiye\ttürkiye+NOUN+PROP+A3SG+PNON+NOM\n");
        }
        StaticParams p = params(tmp(QStringLiteral("tr_vectors.tsv")));
        p.gold = gold;
        QFile::remove(p.outPath);
        QFile::remove(tmp(QStringLiteral("tr_metadata.tsv")));
        view.setParams(p);
        QSignalSpy done(&view, &StaticEmbeddingsView::trained);
        QVERIFY(view.start() != 0);
        QVERIFY(done.wait(120000));
        QFile meta(tmp(QStringLiteral("tr_metadata.tsv")));
        QVERIFY(meta.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(meta.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QStringLiteral("word\tcount\tpos\tunit"));
        QVERIFY(lines.contains(QStringLiteral("</s>\t6000\t\tmarker")) || (!QFile::exists(QString::fromStdString(test::sourceDir()) + QStringLiteral("/data/npm/nlptoolkit-corpus/corpus.txt"))));
        bool conj = false;
        for (const QString& l : lines) conj = conj || (l.startsWith(QStringLiteral("ve\t")) && l.contains(QStringLiteral("\tCONJ\t")));
        QVERIFY2(conj, "the word 've' has no CONJ in the metadata");
    }

    void cancelWritesNothing() {
        JobRunner runner;
        StaticEmbeddingsView view(&runner);
        StaticParams p = params(tmp(QStringLiteral("cancelled.vec")));
        QFile::remove(p.outPath);
        p.epochs = 1000;
        view.setParams(p);
        QVERIFY(view.start() != 0);
        QTRY_VERIFY_WITH_TIMEOUT(view.statusText().contains(QStringLiteral("skip-gram")), 30000);
        view.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!view.running(), 10000);
        QVERIFY2(view.statusText().contains(QStringLiteral("Cancelled")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(p.outPath));
    }
};

QTEST_MAIN(TestStaticEmbeddings)
#include "tst_static_embeddings.moc"
