// The Evaluation panel driven offscreen: every task runs on two fixture models (GPT-2 and BERT with a
// byte-level tokenizer); the STS row shown in the table equals evaluateSts called directly on the
// same model and data, perplexity equals evaluatePerplexity; exports and bad input.
#include "app/bridge/eval_jobs.h"
#include "app/bridge/job_runner.h"
#include "byte_tokenizer.h"
#include "ui/evaluation/evaluation_panel.h"
#include "ui/models/models_panel.h"
#include "qt_test_paths.h"

#include "engine/eval/matrix.h"
#include "engine/eval/perplexity.h"
#include "engine/eval/sts.h"
#include "engine/io/corpus.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <set>

using namespace embedlab;

namespace {

bool writeFile(const QString& path, const QByteArray& data) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(data);
    return true;
}

const char* kSts =
    "sentence1\tsentence2\tscore\n"
    "Bir adam gitar çalıyor.\tBir adam gitar çalıyor.\t5.0\n"
    "Bir kadın soğan doğruyor.\tBir kadın sebze doğruyor.\t3.8\n"
    "Çocuklar parkta oynuyor.\tÇocuklar bahçede oyun oynuyor.\t4.2\n"
    "Kedi halının üstünde uyuyor.\tBir kedi uyuyor.\t3.5\n"
    "Adam ata biniyor.\tKadın kitap okuyor.\t0.2\n"
    "Uçak havalandı.\tBir uçak kalkış yapıyor.\t4.6\n"
    "Hava bugün çok sıcak.\tBorsa bugün düştü.\t0.0\n"
    "Öğrenciler sınava çalışıyor.\tÖğrenciler ders çalışıyor.\t3.9\n"
    "Bir köpek topu yakaladı.\tKöpek top ile oynuyor.\t3.2\n"
    "Yağmur yağıyor.\tGüneş parlıyor.\t0.8\n"
    "Kadın piyano çalıyor.\tBir kadın müzik yapıyor.\t3.0\n"
    "Tren istasyona geldi.\tAdam yemek pişiriyor.\t0.1\n";

}  // namespace

class TestEvaluation : public QObject {
    Q_OBJECT
    QString fx(const QString& rel) const { return test::qtFixture(rel); }
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_evaluation"), rel); }
    QString shots(const QString& name) const { return test::qtScreenshot(name); }
    QString gpt2_, bert_;

    void loadModels(JobRunner& runner, ModelsPanel& models, EvaluationPanel& panel) {
        connect(&models, &ModelsPanel::modelLoaded, &panel, [&](int i) { panel.addModel(models.session(i), models.info(i)); });
        models.loadModel(gpt2_);
        QVERIFY(runner.waitForIdle(30000));
        models.loadModel(bert_);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.modelCount(), 2);
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("embedlab-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_evaluation"));
        QSettings().clear();
        gpt2_ = tmp(QStringLiteral("gpt2_bytes"));
        bert_ = tmp(QStringLiteral("bert_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), gpt2_));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/bert_tiny")), bert_));
        QVERIFY(writeFile(tmp(QStringLiteral("sts.tsv")), kSts));
        QVERIFY(writeFile(tmp(QStringLiteral("bitext.tsv")),
                          "Good morning.\tGünaydın.\nThank you very much.\tÇok teşekkür ederim.\n"
                          "Where is the station?\tİstasyon nerede?\nI love books.\tKitapları severim.\n"
                          "The weather is nice.\tHava güzel.\nOpen the file.\tDosyayı aç.\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("clustering.tsv")),
                          "Futbol maçı berabere bitti.\tspor\nBasketbol takımı kazandı.\tspor\nKoşu yarışı yapıldı.\tspor\n"
                          "Mercimek çorbası pişti.\tyemek\nBaklava çok tatlı.\tyemek\nPilav ve fasulye yedik.\tyemek\n"
                          "Yeni telefon çıktı.\tteknoloji\nBilgisayar yavaş.\tteknoloji\nYazılım güncellendi.\tteknoloji\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("classification.tsv")),
                          "Harika bir film.\tolumlu\ttrain\nÇok beğendim.\tolumlu\ttrain\nMükemmel hizmet.\tolumlu\ttrain\n"
                          "Berbat bir deneyim.\tolumsuz\ttrain\nHiç beğenmedim.\tolumsuz\ttrain\nKötü bir hizmet.\tolumsuz\ttrain\n"
                          "Harika bir hizmet.\tolumlu\ttest\nBerbat bir film.\tolumsuz\ttest\nÇok kötü.\tolumsuz\ttest\n"));
        QDir().mkpath(tmp(QStringLiteral("retrieval")));
        QVERIFY(writeFile(tmp(QStringLiteral("retrieval/queries.tsv")), "q1\tkitap okumak\nq2\thava durumu\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("retrieval/corpus.tsv")),
                          "d1\tKitap okumayı severim.\nd2\tYarın yağmur yağacak.\nd3\tFutbol maçı başladı.\n"
                          "d4\tHava bugün güneşli.\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("retrieval/qrels.tsv")), "q1\td1\t1\nq2\td2\t1\nq2\td4\t2\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("treebank.txt")),
                          "<S>\t<S>+BSTag\nKitaplar\xc4\xb1\tkitap+NOUN+A3PL+P3SG+NOM\nevlerimizden\tev+NOUN+A3PL+P1PL+ABL\n"
                          "ve\tve+CONJ\n.\t.+PUNC\n</S>\t</S>+ESTag\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("heldout.txt")),
                          "Bu bir deneme metnidir.\nTürkçe dil modelleri için kısa bir paragraf.\n"
                          "Kitaplar insanın en iyi dostudur.\n"));
    }

    void stsTableEqualsTheEngineAndComparesModels() {
        JobRunner runner;
        ModelsPanel models(&runner);
        EvaluationPanel panel(&runner);
        panel.resize(1280, 800);
        panel.show();
        loadModels(runner, models, panel);

        QSignalSpy added(&panel, &EvaluationPanel::resultAdded);
        QSignalSpy finished(&panel, &EvaluationPanel::runFinished);
        panel.setTask(QStringLiteral("sts"));
        panel.setDataPath(tmp(QStringLiteral("sts.tsv")));
        EvalParams p;
        p.embed.pooling = QStringLiteral("mean");
        p.embed.layer = -1;
        p.embed.normalize = true;
        panel.setEvalParams(p);
        QCOMPARE(panel.run().size(), 2);
        QVERIFY(runner.waitForIdle(60000));
        QCOMPARE(added.count(), 2);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(panel.results().size(), 2);

        // Direct: the same model, data and settings through the engine.
        for (int m = 0; m < 2; ++m) {
            const QString dir = m == 0 ? gpt2_ : bert_;
            auto model = loadModel(dir.toStdString());
            auto tok = loadTokenizer(dir.toStdString());
            const auto d = eval::readStsData(tmp(QStringLiteral("sts.tsv")).toStdString());
            std::vector<std::string> all(d.s1);
            all.insert(all.end(), d.s2.begin(), d.s2.end());
            EmbeddingOptions o;
            o.normalize = true;
            at::Tensor e = embedTexts(*model, *tok, all, o).contiguous();
            eval::Matrix mat(e.size(0), e.size(1));
            std::memcpy(mat.data.data(), e.data_ptr<float>(), mat.data.size() * sizeof(float));
            const int64_t n = static_cast<int64_t>(d.gold.size());
            const auto ref = eval::evaluateSts(mat.slice(0, n), mat.slice(n, 2 * n), d.gold);

            const EvalRow& row = panel.results()[m];
            QCOMPARE(row.task, QStringLiteral("sts"));
            QCOMPARE(row.modelPath, dir);
            QCOMPARE(row.main, QStringLiteral("spearman"));
            QCOMPARE(row.metric(QStringLiteral("spearman")), ref.spearman);
            QCOMPARE(row.metric(QStringLiteral("pearson")), ref.pearson);
            QCOMPARE(row.metric(QStringLiteral("pairs")), 12.0);
            QCOMPARE(row.sentences, qint64(24));
            QVERIFY(row.sentencesPerSecond > 0);
            QVERIFY(row.seconds > 0);
            QVERIFY(row.peakRssBytes > 0);
            // The table shows the same numbers.
            QTableWidget* t = panel.resultsTable();
            const QStringList cols = panel.metricColumns();
            const int spearmanCol = 4 + cols.indexOf(QStringLiteral("spearman"));
            const int pearsonCol = 4 + cols.indexOf(QStringLiteral("pearson"));
            QCOMPARE(t->item(m, 0)->text(), QFileInfo(dir).fileName());
            QCOMPARE(t->item(m, 1)->text(), QStringLiteral("sts"));
            QCOMPARE(t->item(m, spearmanCol)->text(), QString::number(ref.spearman, 'f', 4));
            QCOMPARE(t->item(m, pearsonCol)->text(), QString::number(ref.pearson, 'f', 4));
            QCOMPARE(t->item(m, spearmanCol)->data(Qt::UserRole).toDouble(), ref.spearman);
        }
        QTableWidget* t = panel.resultsTable();
        QStringList headers;
        for (int c = 0; c < t->columnCount(); ++c) headers << t->horizontalHeaderItem(c)->text();
        QVERIFY(headers.contains(QStringLiteral("Sentences/s")));
        QVERIFY(headers.contains(QStringLiteral("Peak memory (MiB)")));
        QVERIFY(headers.contains(QStringLiteral("Seconds")));
        // The chart: one bar set per model.
        auto* view = panel.chartArea()->findChildren<QChartView*>().first();
        auto* series = qobject_cast<QBarSeries*>(view->chart()->series().first());
        QVERIFY(series);
        QCOMPARE(series->count(), 2);
        QCOMPARE(series->barSets().at(0)->at(0), panel.results()[0].mainValue);

        // Exports.
        QString err;
        QVERIFY2(panel.exportCsv(tmp(QStringLiteral("results.csv")), &err), qPrintable(err));
        QVERIFY2(panel.exportJson(tmp(QStringLiteral("results.json")), &err), qPrintable(err));
        QVERIFY2(panel.exportChart(tmp(QStringLiteral("chart.png")), &err), qPrintable(err));
        QVERIFY2(panel.exportChart(tmp(QStringLiteral("chart.svg")), &err), qPrintable(err));
        QFile csv(tmp(QStringLiteral("results.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[0].startsWith("model,model_path,task,data,settings,main_metric,main_value,spearman,pearson"));
        QVERIFY(lines[0].endsWith("sentences,sentences_per_second,peak_rss_bytes,seconds,embed_seconds"));
        QCOMPARE(lines[1].split(',').at(6).toDouble(), panel.results()[0].mainValue);
        QFile json(tmp(QStringLiteral("results.json")));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(json.readAll()).object();
        QCOMPARE(doc.value(QStringLiteral("format")).toString(), QStringLiteral("embedlab-evaluation"));
        const QJsonArray rows = doc.value(QStringLiteral("results")).toArray();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[1].toObject().value(QStringLiteral("metrics")).toObject().value(QStringLiteral("spearman")).toDouble(),
                 panel.results()[1].metric(QStringLiteral("spearman")));
        QVERIFY(rows[0].toObject().value(QStringLiteral("peak_rss_bytes")).toDouble() > 0);
        QVERIFY(!QImage(tmp(QStringLiteral("chart.png"))).isNull());
        QFile svg(tmp(QStringLiteral("chart.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("<svg"));
    }

    void everyTaskRunsAndPerplexityEqualsTheEngine() {
        JobRunner runner;
        ModelsPanel models(&runner);
        EvaluationPanel panel(&runner);
        panel.resize(1280, 800);
        panel.show();
        loadModels(runner, models, panel);
        struct Case {
            const char* task;
            const char* data;
            const char* main;
        };
        const Case cases[] = {{"sts", "sts.tsv", "spearman"},
                              {"bitext", "bitext.tsv", "f1"},
                              {"retrieval", "retrieval", "ndcg@10"},
                              {"clustering", "clustering.tsv", "v_measure"},
                              {"classification", "classification.tsv", "accuracy"}};
        for (const Case& c : cases) {
            panel.setTask(QString::fromLatin1(c.task));
            panel.setDataPath(tmp(QString::fromLatin1(c.data)));
            QCOMPARE(panel.run().size(), 2);
            QVERIFY(runner.waitForIdle(60000));
            QVERIFY2(!panel.statusText().contains(QStringLiteral(":")) || panel.statusText().startsWith(QStringLiteral("Done")),
                     qPrintable(panel.statusText()));
        }
        QCOMPARE(panel.results().size(), 10);
        for (const EvalRow& r : panel.results()) {
            const double v = r.mainValue;
            QVERIFY2(v >= -1.0 && v <= 1.0, qPrintable(r.task + QStringLiteral(" ") + QString::number(v)));
            QVERIFY(r.sentences > 0);
        }
        QCOMPARE(panel.results()[2].metric(QStringLiteral("pairs")), 6.0);  // bitext, gpt2
        QCOMPARE(panel.results()[4].metric(QStringLiteral("queries")), 2.0);
        QCOMPARE(panel.results()[6].metric(QStringLiteral("clusters")), 3.0);
        QCOMPARE(panel.results()[8].metric(QStringLiteral("test")), 3.0);

        // Perplexity: GPT-2 gives the engine's number; BERT (an encoder) is refused with a message.
        QSignalSpy failed(&panel, &EvaluationPanel::failed);
        panel.setTask(QStringLiteral("perplexity"));
        panel.setDataPath(tmp(QStringLiteral("heldout.txt")));
        QCOMPARE(panel.run().size(), 2);
        QVERIFY(runner.waitForIdle(60000));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(panel.statusText().contains(QStringLiteral("causal")), qPrintable(panel.statusText()));
        QCOMPARE(panel.results().size(), 11);
        const EvalRow& ppl = panel.results().last();
        QCOMPARE(ppl.task, QStringLiteral("perplexity"));
        auto model = loadModel(gpt2_.toStdString());
        auto tok = loadTokenizer(gpt2_.toStdString());
        const Corpus corpus = readCorpus(tmp(QStringLiteral("heldout.txt")).toStdString());
        const auto ref = eval::evaluatePerplexity(*model, *tok, corpus.texts(), eval::PerplexityOptions{});
        QCOMPARE(ppl.mainValue, ref.perplexity);
        QCOMPARE(ppl.metric(QStringLiteral("tokens")), double(ref.tokens));
        QVERIFY(panel.chartArea()->findChildren<QChartView*>().at(1)->isVisible());
        QVERIFY(panel.grab().save(shots(QStringLiteral("evaluation_panel.png"))));
    }

    // One implementation of every task (engine/tasks/evaluate.h): `embedlab-cli eval` and the app's
    // bridge give the same JSON for the same model, data and settings (timings aside).
    void cliAndBridgeGiveIdenticalJson() {
        const QString bin = qEnvironmentVariable("EMBEDLAB_BIN_DIR");
        if (bin.isEmpty()) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        const QString cli = bin + QStringLiteral("/embedlab-cli");
        QVERIFY(QFileInfo::exists(cli));
        JobRunner runner;
        ModelsPanel models(&runner);
        models.loadModel(gpt2_);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(models.modelCount(), 1);
        struct Case {
            const char* task;
            const char* data;
        };
        const Case cases[] = {{"sts", "sts.tsv"},
                              {"bitext", "bitext.tsv"},
                              {"retrieval", "retrieval"},
                              {"clustering", "clustering.tsv"},
                              {"classification", "classification.tsv"},
                              {"perplexity", "heldout.txt"},
                              {"morph", "treebank.txt"}};
        const std::set<std::string> timings = {"seconds", "embed_seconds", "sentences_per_second", "peak_rss_bytes",
                                               "tokens_per_second"};
        auto strip = [&](nlohmann::json j) -> nlohmann::json {
            for (const auto& k : timings) j.erase(k);
            return j;
        };
        for (const Case& c : cases) {
            const QString task = QString::fromLatin1(c.task), data = tmp(QString::fromLatin1(c.data));
            QProcess p;
            QStringList args = {QStringLiteral("eval"), task, QStringLiteral("--model"), gpt2_, QStringLiteral("--data"), data,
                                QStringLiteral("--progress"), QStringLiteral("none")};
            if (task != QLatin1String("perplexity") && task != QLatin1String("morph"))
                args << QStringLiteral("--normalize");  // the panel's default
            p.start(cli, args);
            QVERIFY(p.waitForFinished(120000));
            QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
            const nlohmann::json fromCli = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
            for (const char* k : {"seconds", "embed_seconds", "sentences_per_second", "peak_rss_bytes"})
                QVERIFY2(fromCli.contains(k), k);

            EvalParams params;  // the panel's defaults: mean pooling, last layer, normalized, batch 32
            auto job = std::make_shared<EvaluateJob>(models.session(0), models.info(0).name, task, data, params);
            const JobHandlePtr h = runner.submit(job, {}, JobLane::Long);
            QSignalSpy ok(h.get(), &JobHandle::succeeded);
            QVERIFY(runner.waitForIdle(60000));
            QCOMPARE(ok.count(), 1);
            const nlohmann::json fromBridge = tasks::toJson(job->result);
            QVERIFY2(strip(fromCli) == strip(fromBridge),
                     qPrintable(task + QStringLiteral("\ncli:    ") + QString::fromStdString(strip(fromCli).dump()) +
                                QStringLiteral("\nbridge: ") + QString::fromStdString(strip(fromBridge).dump())));
            // And the panel's row carries the same main value.
            QCOMPARE(job->row.mainValue, fromCli.at(tasks::evalMainMetric(c.task)).get<double>());
        }
    }

    void badInputIsAClearMessage() {
        JobRunner runner;
        ModelsPanel models(&runner);
        EvaluationPanel panel(&runner);
        // No model, no data.
        panel.setTask(QStringLiteral("sts"));
        QVERIFY(panel.run().isEmpty());
        QVERIFY(panel.statusText().contains(QStringLiteral("data")));
        panel.setDataPath(tmp(QStringLiteral("sts.tsv")));
        QVERIFY(panel.run().isEmpty());
        QVERIFY(panel.statusText().contains(QStringLiteral("model")));
        panel.setDataPath(tmp(QStringLiteral("missing.tsv")));
        QVERIFY(panel.run().isEmpty());
        QVERIFY(panel.statusText().contains(QStringLiteral("does not exist")));

        connect(&models, &ModelsPanel::modelLoaded, &panel, [&](int i) { panel.addModel(models.session(i), models.info(i)); });
        models.loadModel(gpt2_);
        QVERIFY(runner.waitForIdle(30000));
        QSignalSpy failed(&panel, &EvaluationPanel::failed);
        auto expectError = [&](const QString& file, const QByteArray& data, const QString& task, const QString& needle) {
            QVERIFY(writeFile(tmp(file), data));
            panel.setTask(task);
            panel.setDataPath(tmp(file));
            const int before = failed.count();
            QCOMPARE(panel.run().size(), 1);
            QVERIFY(runner.waitForIdle(30000));
            QCOMPARE(failed.count(), before + 1);
            QVERIFY2(panel.statusText().contains(needle), qPrintable(panel.statusText()));
        };
        expectError(QStringLiteral("ragged.tsv"), "a\tb\t1\nc\td\n", QStringLiteral("sts"), QStringLiteral("ragged.tsv:2"));
        expectError(QStringLiteral("range.tsv"), "a\tb\t7\n", QStringLiteral("sts"), QStringLiteral("range.tsv:1"));
        QByteArray junk;
        for (int i = 0; i < 2048; ++i) junk += char((i * 31) & 0xff);
        expectError(QStringLiteral("binary.txt"), junk, QStringLiteral("perplexity"), QStringLiteral("binary"));
        QDir().mkpath(tmp(QStringLiteral("badqrels")));
        QVERIFY(writeFile(tmp(QStringLiteral("badqrels/queries.tsv")), "q1\tbir\nq1\tiki\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("badqrels/corpus.tsv")), "d1\tbelge\n"));
        QVERIFY(writeFile(tmp(QStringLiteral("badqrels/qrels.tsv")), "q1\td1\t1\n"));
        panel.setTask(QStringLiteral("retrieval"));
        panel.setDataPath(tmp(QStringLiteral("badqrels")));
        QCOMPARE(panel.run().size(), 1);
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY2(panel.statusText().contains(QStringLiteral("duplicate")), qPrintable(panel.statusText()));
        QVERIFY(panel.results().isEmpty());
    }
};

QTEST_MAIN(TestEvaluation)
#include "tst_evaluation.moc"
