// The Tokenizer view driven offscreen through its real widgets and the engine's long lane: the
// morphology-aware Turkish tokenizer built from a small hand-made lexicon and Turkish text is byte for
// byte the folder `embedlab-cli train tokenizer --kind morph` writes for the same inputs (one
// implementation), it loads and splits words at their roots, "Open in the tokenizer lab" hands the
// folder on; an incomplete form, a missing lexicon and a bad lexicon folder are messages with nothing
// written; the session keeps the form. Screenshot of the view.
#include "app/bridge/job_runner.h"
#include "engine/tokenizers/tokenizer.h"
#include "qt_test_paths.h"
#include "ui/training/tokenizer_build_view.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace embedlab;

class TestTokenizerBuild : public QObject {
    Q_OBJECT
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_tokenizer_build"), rel); }
    QString cli() const { return qEnvironmentVariable("EMBEDLAB_BIN_DIR") + QStringLiteral("/embedlab-cli"); }
    QString corpus_, lexicon_;

    static void write(const QString& path, const QByteArray& data) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(data);
    }
    static QByteArray readAll(const QString& path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    TokenizerBuildParams params(const QString& out) const {
        TokenizerBuildParams p;
        p.kind = QStringLiteral("morph");
        p.corpora = {corpus_};
        p.lexicon = lexicon_;
        p.vocabSize = 1500;
        p.outDir = out;
        return p;
    }

private Q_SLOTS:
    void initTestCase() {
        if (qEnvironmentVariableIsEmpty("EMBEDLAB_BIN_DIR")) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        lexicon_ = tmp(QStringLiteral("lexicon"));
        QDir().mkpath(lexicon_);
        write(lexicon_ + QStringLiteral("/turkish_dictionary.txt"),
              "kitap CL_ISIM IS_SD\nev CL_ISIM\ngel CL_FIIL\noku CL_FIIL\nokul CL_ISIM\naraba CL_ISIM\n"
              "istanbul IS_OA\nkişi CL_ISIM\nkitaplık CL_ISIM\ngöz CL_ISIM\n");
        write(lexicon_ + QStringLiteral("/turkish_morphological_lexicon.txt"),
              "kitap kitap\nev ev\nkitaplık kitap+lHk\n");
        corpus_ = tmp(QStringLiteral("tr.txt"));
        QByteArray text;
        for (int i = 0; i < 30; ++i)
            text += "Kitaplarımızdan geldiler\nevlerde kitap okuyoruz\narabayla okula geldik\n"
                    "kitaplığı aldık, gözlerimiz yoruldu\nİstanbul'da 3 kişi\n";
        QFile s(test::qtFixture(QStringLiteral("tokenizers/sentences.json")));
        QVERIFY(s.open(QIODevice::ReadOnly));
        for (const auto& v : QJsonDocument::fromJson(s.readAll()).object().value(QStringLiteral("sentences")).toArray())
            text += v.toString().toUtf8() + "\n";
        write(corpus_, text);
    }

    void buildsTheCliFolder() {
        JobRunner runner;
        TokenizerBuildView view(&runner);
        view.resize(900, 520);
        view.show();
        const QString out = tmp(QStringLiteral("view-morph"));
        QDir(out).removeRecursively();
        view.setParams(params(out));
        QSignalSpy done(&view, &TokenizerBuildView::built);
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("tokenizerBuild")), Qt::LeftButton);
        QVERIFY(done.wait(120000));
        QVERIFY2(view.statusText().startsWith(QStringLiteral("Written")), qPrintable(view.statusText()));
        const QString written = done.at(0).at(0).toString();
        QCOMPARE(QDir(written).absolutePath(), QDir(out).absolutePath());

        // The CLI with the same inputs writes the same four files.
        const QString cliOut = tmp(QStringLiteral("cli-morph"));
        QDir(cliOut).removeRecursively();
        QProcess p;
        p.start(cli(), {QStringLiteral("train"), QStringLiteral("tokenizer"), QStringLiteral("--kind"), QStringLiteral("morph"),
                        QStringLiteral("--input"), corpus_, QStringLiteral("--lexicon"), lexicon_,
                        QStringLiteral("--vocab-size"), QStringLiteral("1500"), QStringLiteral("--out"), cliOut});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QJsonObject cliJson = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        for (const char* f : {"kokler.json", "ekler.json", "bpe_tokenler.json", "morph.json"}) {
            const QByteArray a = readAll(out + QLatin1Char('/') + QLatin1String(f));
            QVERIFY2(!a.isEmpty(), f);
            QVERIFY2(a == readAll(cliOut + QLatin1Char('/') + QLatin1String(f)), f);
        }
        const QString roots = QString::number(cliJson.value(QStringLiteral("roots")).toInteger());
        QVERIFY2(view.resultText().contains(roots + QStringLiteral(" roots")), qPrintable(view.resultText()));

        // It loads as the morphology-aware kind and splits at the root.
        const auto tok = loadTokenizer(out.toStdString());
        QCOMPARE(QString::fromStdString(tok->kind()), QStringLiteral("embedlab-morph"));
        QStringList pieces;
        for (const auto& t : tok->encode("gözlerimiz", false).tokens) pieces << QString::fromStdString(t);
        QCOMPARE(pieces, (QStringList{QStringLiteral("göz"), QStringLiteral("lerimiz")}));

        QSignalSpy open(&view, &TokenizerBuildView::openInLab);
        QTest::mouseClick(view.findChild<QPushButton*>(QStringLiteral("tokenizerOpenInLab")), Qt::LeftButton);
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.at(0).at(0).toString(), written);

        QApplication::processEvents();
        QVERIFY(view.grab().save(test::qtScreenshot(QStringLiteral("tokenizer_build.png"))));

        // The session keeps the form and the written folder.
        const QJsonObject saved = view.saveSession();
        TokenizerBuildView restored(&runner);
        SessionReport rep;
        restored.restoreSession(saved, rep);
        QVERIFY(rep.missing.isEmpty());
        QCOMPARE(restored.params().corpora, QStringList{corpus_});
        QCOMPARE(restored.params().lexicon, lexicon_);
        QCOMPARE(restored.params().vocabSize, qint64(1500));
        QCOMPARE(restored.writtenPath(), written);
    }

    void badInputIsAMessage() {
        JobRunner runner;
        TokenizerBuildView view(&runner);
        QCOMPARE(view.start(), JobId(0));  // an empty form
        QVERIFY(view.statusText().contains(QStringLiteral("corpus")));
        TokenizerBuildParams p = params(tmp(QStringLiteral("never")));
        QDir(p.outDir).removeRecursively();
        p.lexicon.clear();
        view.setParams(p);
        QCOMPARE(view.start(), JobId(0));
        QVERIFY2(view.statusText().contains(QStringLiteral("lexicon")), qPrintable(view.statusText()));
        // a folder without the lexicon's files: the job fails naming the file, nothing is written
        p.lexicon = tmp(QString());
        view.setParams(p);
        QSignalSpy failed(&view, &TokenizerBuildView::buildFailed);
        QVERIFY(view.start() != 0);
        QVERIFY(failed.wait(30000));
        QVERIFY2(view.statusText().contains(QStringLiteral("turkish_morphological_lexicon.txt")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(p.outDir));
        // a missing corpus
        p = params(tmp(QStringLiteral("never")));
        p.corpora = {tmp(QStringLiteral("missing.txt"))};
        view.setParams(p);
        QVERIFY(view.start() != 0);
        QVERIFY(failed.wait(30000));
        QVERIFY2(view.statusText().startsWith(QStringLiteral("Failed")), qPrintable(view.statusText()));
        QVERIFY(!QFile::exists(p.outDir));
        // the BPE kind ignores the lexicon and the further corpora
        auto* kind = view.findChild<QComboBox*>(QStringLiteral("tokenizerKind"));
        view.setParams(params(tmp(QStringLiteral("never"))));
        kind->setCurrentIndex(kind->findData(QStringLiteral("bpe")));
        QCOMPARE(view.params().kind, QStringLiteral("bpe"));
    }
};

QTEST_MAIN(TestTokenizerBuild)
#include "tst_tokenizer_build.moc"
