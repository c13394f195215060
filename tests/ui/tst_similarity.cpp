// The Similarity panel driven offscreen through the real widgets and the engine thread: a Turkish
// corpus is embedded into a vector store, and the heatmap, semantic search and pair scorer are
// checked against the engine called directly (embedTexts + cosine); cancel, reopen, column/encoding
// choosers, exports and bad input.
#include "app/bridge/eval_jobs.h"
#include "app/bridge/job_runner.h"
#include "byte_tokenizer.h"
#include "ui/log/log_panel.h"
#include "ui/mainwindow/main_window.h"
#include "ui/models/models_panel.h"
#include "ui/similarity/heatmap_view.h"
#include "ui/similarity/similarity_panel.h"
#include "ui/evaluation/evaluation_panel.h"
#include "qt_test_paths.h"
#include "ui/workspace/workspace.h"

#include "engine/io/vector_store.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QHelpEvent>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>

#include <atomic>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace embedlab;

namespace {

const char* kSentences[] = {
    "Kitap okumayı çok severim.",
    "Her akşam yatmadan önce roman okurum.",
    "Kütüphaneden üç yeni kitap aldım.",
    "Bugün hava çok güzel ve güneşli.",
    "Yarın yağmur yağacakmış, şemsiyeni al.",
    "Kışın İstanbul'a kar yağar.",
    "Futbol maçını izlemek için stadyuma gittik.",
    "Basketbol takımımız dün akşam kazandı.",
    "Sabah koşusu sağlığa iyi gelir.",
    "Annem mutfakta mercimek çorbası pişiriyor.",
    "Akşam yemeğinde pilav ve kuru fasulye vardı.",
    "Türk kahvesi köpüklü içilir.",
    "Bilgisayarım çok yavaş çalışıyor.",
    "Yeni telefonun kamerası harika.",
    "Yazılım güncellemesi dün yüklendi.",
    "Öğrenciler sınava çalışıyorlar.",
    "Öğretmen derste şiir okudu.",
    "Üniversite sınavı haziranda yapılacak.",
    "Ankara Türkiye'nin başkentidir.",
    "İzmir'de deniz kenarında yürüdük.",
    "Kapadokya'da balon turuna katıldık.",
    "Çocuklar parkta oyun oynuyor.",
    "Kedim bütün gün uyuyor.",
    "Köpekler sahibine sadıktır.",
};

bool writeFile(const QString& path, const QByteArray& data) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(data);
    return true;
}

// One CSV record (RFC 4180 quoting, no embedded newlines).
QStringList parseCsvLine(const QString& line) {
    QStringList out;
    QString cur;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < line.size() && line[i + 1] == QLatin1Char('"')) {
                cur += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            out << cur;
            cur.clear();
        } else {
            cur += c;
        }
    }
    out << cur;
    return out;
}

double dot(const float* a, const float* b, int64_t d) {
    double s = 0;
    for (int64_t k = 0; k < d; ++k) s += double(a[k]) * double(b[k]);
    return s;
}

}  // namespace

class TestSimilarity : public QObject {
    Q_OBJECT
    QString fx(const QString& rel) const { return test::qtFixture(rel); }
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("tst_similarity"), rel); }
    QString shots(const QString& name) const { return test::qtScreenshot(name); }
    QString modelDir_, corpus_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<Tokenizer> tok_;
    at::Tensor direct_;  // the corpus embedded by the engine directly (mean, last layer, normalized)

    std::vector<std::string> texts() const {
        std::vector<std::string> t;
        for (const char* s : kSentences) t.emplace_back(s);
        return t;
    }
    EmbeddingOptions options() const {
        EmbeddingOptions o;
        o.pooling = Pooling::Mean;
        o.layer = -1;
        o.normalize = true;
        return o;
    }
    // Writes n lines "sentence i" (sentence (i·stride) mod the list) to the temp folder; "" on failure.
    QString numberedCorpus(const QString& name, int n, int stride, std::vector<std::string>* lines = nullptr) const {
        QByteArray data;
        for (int i = 0; i < n; ++i) {
            const std::string line = std::string(kSentences[(size_t(i) * size_t(stride)) % std::size(kSentences)]) + " " +
                                     std::to_string(i);
            if (lines) lines->push_back(line);
            data += QByteArray::fromStdString(line) + "\n";
        }
        const QString path = tmp(name);
        return writeFile(path, data) ? path : QString();
    }
    // Loads the byte-tokenizer GPT-2 fixture through a Models panel and hands it to the panel.
    void loadInto(JobRunner& runner, ModelsPanel& models, SimilarityPanel& panel) {
        QSignalSpy loaded(&models, &ModelsPanel::modelLoaded);
        models.loadModel(modelDir_);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(loaded.count(), 1);
        panel.setModel(models.session(0), models.info(0));
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("embedlab-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_similarity"));
        QSettings().clear();
        QDir(SimilarityPanel::cacheFolder()).removeRecursively();
        modelDir_ = tmp(QStringLiteral("gpt2_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), modelDir_));
        corpus_ = tmp(QStringLiteral("cumleler.txt"));
        QByteArray data;
        for (const char* s : kSentences) data += QByteArray(s) + "\n";
        QVERIFY(writeFile(corpus_, data));
        model_ = loadModel(modelDir_.toStdString());
        tok_ = loadTokenizer(modelDir_.toStdString());
        direct_ = embedTexts(*model_, *tok_, texts(), options()).contiguous();
        QCOMPARE(direct_.size(0), static_cast<int64_t>(std::size(kSentences)));
    }

    void embedsHeatmapSearchAndPairAgreeWithTheEngine() {
        JobRunner runner;
        ModelsPanel models(&runner);
        SimilarityPanel panel(&runner);
        panel.resize(1280, 820);
        panel.show();
        loadInto(runner, models, panel);

        QSignalSpy corpusReady(&panel, &SimilarityPanel::corpusReady);
        panel.openCorpus(corpus_);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(corpusReady.count(), 1);
        QCOMPARE(panel.corpus().records, qint64(std::size(kSentences)));
        QCOMPARE(panel.corpus().encoding, QStringLiteral("utf-8"));
        QVERIFY(panel.findChild<QComboBox*>(QStringLiteral("encodingCombo"))->itemText(0).contains(QStringLiteral("utf-8")));

        QSignalSpy storeReady(&panel, &SimilarityPanel::storeReady);
        panel.embed();
        QVERIFY(runner.waitForIdle(60000));
        QCOMPARE(storeReady.count(), 1);
        QVERIFY(panel.hasStore());
        const StoreInfo& si = panel.storeInfo();
        QCOMPARE(si.count, qint64(std::size(kSentences)));
        QCOMPARE(si.dim, direct_.size(1));
        QVERIFY(!si.reopened);
        QVERIFY(si.path.startsWith(SimilarityPanel::cacheFolder()));
        QVERIFY(QFile::exists(si.path + QStringLiteral("/vectors.bin")));
        QCOMPARE(si.texts.at(3), QString::fromUtf8(kSentences[3]));
        QCOMPARE(panel.sentenceList()->count(), int(std::size(kSentences)));

        // Heatmap of the first 12 sentences, clustered: every cell is the direct cosine.
        const int64_t d = direct_.size(1);
        const float* e = direct_.data_ptr<float>();
        QSignalSpy heat(&panel, &SimilarityPanel::heatmapReady);
        panel.setSubset(SimilarityPanel::Subset::First, 12);
        panel.setOrder(MatrixOrder::Clustered);
        panel.computeHeatmap();
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(heat.count(), 1);
        HeatmapView* hm = panel.heatmap();
        QCOMPARE(hm->size(), 12);
        QVector<qint64> rows = hm->rows();
        QVector<qint64> sorted = rows;
        std::sort(sorted.begin(), sorted.end());
        for (int i = 0; i < 12; ++i) QCOMPARE(sorted[i], qint64(i));  // a permutation of the subset
        for (int i = 0; i < 12; ++i)
            for (int j = 0; j < 12; ++j) {
                const double ref = dot(e + rows[i] * d, e + rows[j] * d, d);
                QVERIFY2(std::abs(double(hm->value(i, j)) - ref) < 1e-5,
                         qPrintable(QStringLiteral("(%1,%2): %3 vs %4").arg(i).arg(j).arg(hm->value(i, j)).arg(ref)));
            }
        QCOMPARE(hm->texts().at(0), QString::fromUtf8(kSentences[rows[0]]));
        // Clustered order: the sum of neighbour similarities is at least that of the input order.
        auto chain = [&](const QVector<qint64>& order) {
            double s = 0;
            for (int i = 0; i + 1 < order.size(); ++i) s += dot(e + order[i] * d, e + order[i + 1] * d, d);
            return s;
        };
        QVector<qint64> input(12);
        std::iota(input.begin(), input.end(), 0);
        QVERIFY(chain(rows) >= chain(input) - 1e-6);

        // Sorted order and a random subset.
        panel.setOrder(MatrixOrder::Sorted);
        panel.setSubset(SimilarityPanel::Subset::Random, 8, 7);
        const QVector<qint64> randomRows = panel.subsetRows();
        QCOMPARE(randomRows.size(), 8);
        panel.computeHeatmap();
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(hm->size(), 8);
        for (int i = 0; i < 8; ++i)
            for (int j = 0; j < 8; ++j)
                QVERIFY(std::abs(double(hm->value(i, j)) - dot(e + hm->rows()[i] * d, e + hm->rows()[j] * d, d)) < 1e-5);
        // Selection subset: select rows 2, 5, 9 in the list.
        panel.sentenceList()->clearSelection();
        for (int r : {2, 5, 9}) panel.sentenceList()->item(r)->setSelected(true);
        panel.setOrder(MatrixOrder::Input);
        QCOMPARE(panel.subsetRows(), (QVector<qint64>{2, 5, 9}));
        panel.computeHeatmap();
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(hm->rows(), (QVector<qint64>{2, 5, 9}));
        QVERIFY(std::abs(double(hm->value(0, 2)) - dot(e + 2 * d, e + 9 * d, d)) < 1e-5);

        // Back to the clustered 12 for hover, export and the screenshot.
        panel.sentenceList()->clearSelection();
        panel.setSubset(SimilarityPanel::Subset::First, 12);
        panel.setOrder(MatrixOrder::Clustered);
        panel.computeHeatmap();
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const QRect cell = hm->cellRect(1, 4);
        QVERIFY(cell.isValid());
        QCOMPARE(hm->cellAt(cell.center()), qMakePair(1, 4));
        QSignalSpy hovered(hm, &HeatmapView::cellHovered);
        QHelpEvent help(QEvent::ToolTip, cell.center(), hm->mapToGlobal(cell.center()));
        QApplication::sendEvent(hm, &help);
        QCOMPARE(hovered.count(), 1);
        QCOMPARE(hovered.at(0).at(0).toInt(), 1);
        QCOMPARE(hovered.at(0).at(1).toInt(), 4);
        QVERIFY(std::abs(hovered.at(0).at(2).toDouble() - double(hm->value(1, 4))) < 1e-9);
        const QString tip = hm->hoverText(1, 4);
        QVERIFY(tip.contains(QString::fromUtf8(kSentences[rows[1]])));
        QVERIFY(tip.contains(QString::fromUtf8(kSentences[rows[4]])));
        QVERIFY(tip.contains(QString::number(double(hm->value(1, 4)), 'f', 4)));
        QCOMPARE(panel.findChild<QLabel*>(QStringLiteral("heatmapHover"))->text(), tip);

        QString err;
        QVERIFY2(panel.exportHeatmap(tmp(QStringLiteral("heatmap.png")), &err), qPrintable(err));
        QVERIFY2(panel.exportHeatmap(tmp(QStringLiteral("heatmap.svg")), &err), qPrintable(err));
        QVERIFY2(panel.exportHeatmapCsv(tmp(QStringLiteral("heatmap.csv")), &err), qPrintable(err));
        QVERIFY(!QImage(tmp(QStringLiteral("heatmap.png"))).isNull());
        QFile svg(tmp(QStringLiteral("heatmap.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("<svg"));
        QFile csv(tmp(QStringLiteral("heatmap.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 13);
        QVERIFY(lines[0].startsWith("row,text,"));
        QCOMPARE(lines[0].split(',').size(), 14);
        for (int i = 1; i <= 12; ++i) {
            const QStringList f = parseCsvLine(QString::fromUtf8(lines[i]));
            QCOMPARE(f.size(), 14);
            QCOMPARE(f[0].toLongLong(), rows[i - 1]);
            QCOMPARE(f[1], hm->texts().at(i - 1));
            for (int j = 0; j < 12; ++j) QVERIFY(std::abs(f[2 + j].toDouble() - double(hm->value(i - 1, j))) < 1e-7);
        }
        panel.tabs()->setCurrentIndex(0);
        QVERIFY(panel.grab().save(shots(QStringLiteral("similarity_heatmap.png"))));

        // Semantic search = brute force over the direct vectors.
        const QString query = QStringLiteral("Roman okumayı seviyorum");
        QSignalSpy searched(&panel, &SimilarityPanel::searchReady);
        panel.search(query, 5);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(searched.count(), 1);
        at::Tensor q = embedTexts(*model_, *tok_, {query.toStdString()}, options()).contiguous();
        std::vector<std::pair<double, int64_t>> all;
        for (int64_t r = 0; r < direct_.size(0); ++r) all.push_back({dot(q.data_ptr<float>(), e + r * d, d), r});
        std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        const auto& hits = panel.searchHits();
        QCOMPARE(hits.size(), 5);
        QCOMPARE(panel.searchTable()->rowCount(), 5);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(hits[i].row, all[size_t(i)].second);
            QVERIFY(std::abs(hits[i].score - all[size_t(i)].first) < 1e-5);
            QCOMPARE(hits[i].text, QString::fromUtf8(kSentences[all[size_t(i)].second]));
            QCOMPARE(panel.searchTable()->item(i, 2)->text().toLongLong(), all[size_t(i)].second);
        }
        panel.tabs()->setCurrentIndex(1);
        QVERIFY(panel.grab().save(shots(QStringLiteral("similarity_search.png"))));

        // Pair scorer = the cosine of the two texts embedded directly.
        const QString a = QStringLiteral("Kedim bütün gün uyuyor."), b = QStringLiteral("Köpeğim sabahları havlıyor.");
        QSignalSpy scored(&panel, &SimilarityPanel::pairScored);
        panel.scorePair(a, b);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(scored.count(), 1);
        at::Tensor ab = embedTexts(*model_, *tok_, {a.toStdString(), b.toStdString()}, options()).contiguous();
        const double ref = dot(ab.data_ptr<float>(), ab.data_ptr<float>() + d, d);
        QVERIFY2(std::abs(panel.pairScore() - ref) < 1e-5, qPrintable(QString::number(panel.pairScore())));
        QVERIFY(panel.pairText().contains(QString::number(ref, 'f', 4)));
        panel.tabs()->setCurrentIndex(2);
        QVERIFY(panel.grab().save(shots(QStringLiteral("similarity_pair.png"))));
        panel.tabs()->setCurrentIndex(0);

        // A second Embed with the same settings reopens the cached store instantly.
        QSignalSpy again(&panel, &SimilarityPanel::storeReady);
        QElapsedTimer t;
        t.start();
        panel.embed();
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(again.count(), 1);
        QVERIFY(panel.storeInfo().reopened);
        QVERIFY(t.elapsed() < 2000);
        QCOMPARE(panel.storeInfo().count, qint64(std::size(kSentences)));
        QCOMPARE(panel.storeInfo().texts, si.texts);
    }

    // The corpus is streamed: read, embedded and appended in chunks (a few hundred records each).
    // Rows must still line up with the file, across chunk boundaries, and equal the direct vectors.
    void streamsALongCorpusInChunksInOrder() {
        JobRunner runner;
        ModelsPanel models(&runner);
        SimilarityPanel panel(&runner);
        loadInto(runner, models, panel);
        const int n = 1300;  // > 2 chunks of 512
        std::vector<std::string> lines;
        const QString path = numberedCorpus(QStringLiteral("akis.txt"), n, 7, &lines);
        QVERIFY(!path.isEmpty());
        panel.openCorpus(path);
        QVERIFY(runner.waitForIdle(60000));
        QDir(panel.storePathFor(path)).removeRecursively();
        QStringList messages;
        connect(&runner, &JobRunner::jobProgress, &panel,
                [&](JobId, double, const QString& msg, double) { messages << msg; });
        QSignalSpy storeReady(&panel, &SimilarityPanel::storeReady);
        panel.embed();
        QVERIFY(runner.waitForIdle(120000));
        QCOMPARE(storeReady.count(), 1);
        QCOMPARE(panel.storeInfo().count, qint64(n));
        QVERIFY2(messages.filter(QStringLiteral("so far")).size() + messages.filter(QStringLiteral("embedded")).size() > 0,
                 qPrintable(messages.join(QLatin1Char('|'))));
        VectorStore vs = VectorStore::open(panel.storeInfo().path.toStdString());
        QCOMPARE(vs.size(), int64_t(n));
        QCOMPARE(QString::fromStdString(vs.manifest()["metadata"]["encoding"].get<std::string>()), QStringLiteral("utf-8"));
        const std::vector<int> probe = {0, 511, 512, 513, 1024, n - 1};
        std::vector<std::string> probeText;
        for (int i : probe) probeText.push_back(lines[static_cast<size_t>(i)]);
        at::Tensor want = embedTexts(*model_, *tok_, probeText, options()).contiguous();
        for (size_t j = 0; j < probe.size(); ++j) {
            const int i = probe[j];
            QCOMPARE(QString::fromStdString(vs.metadataRows()[static_cast<size_t>(i)]["text"].get<std::string>()),
                     QString::fromStdString(lines[static_cast<size_t>(i)]));
            double diff = 0;
            for (int64_t k = 0; k < vs.dim(); ++k)
                diff = std::max(diff, std::abs(double(vs.row(i)[k]) - double(want[static_cast<int64_t>(j)][k].item<float>())));
            QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("row %1 differs by %2").arg(i).arg(diff)));
        }
    }

    void cancelStopsEmbeddingWithin200ms() {
        JobRunner runner;
        ModelsPanel models(&runner);
        SimilarityPanel panel(&runner);
        loadInto(runner, models, panel);
        // A long corpus: every sentence with a running number, many times over.
        const QString big = numberedCorpus(QStringLiteral("buyuk.txt"), 40000, 1);
        QVERIFY(!big.isEmpty());
        panel.openCorpus(big);
        QVERIFY(runner.waitForIdle(60000));
        QCOMPARE(panel.corpus().records, qint64(40000));
        const QString store = panel.storePathFor(big);
        QDir(store).removeRecursively();

        bool embedding = false;
        QString etaText;
        connect(&runner, &JobRunner::jobProgress, &panel, [&](JobId, double f, const QString& msg, double eta) {
            if (msg.contains(QStringLiteral("embedding")) && f > 0 && eta >= 0) embedding = true;  // an ETA is shown
        });
        QSignalSpy cancelled(&runner, &JobRunner::jobCancelled);
        QSignalSpy succeeded(&runner, &JobRunner::jobSucceeded);
        const JobId id = panel.embed();
        QVERIFY(id != 0);
        QTRY_VERIFY_WITH_TIMEOUT(embedding, 300000);  // the first batch: slow on a loaded machine or under ASan
        QCOMPARE(succeeded.count(), 0);
        etaText = panel.findChild<QLabel*>(QStringLiteral("embedEta"))->text();
        QVERIFY2(etaText.contains(QStringLiteral("ETA")), qPrintable(etaText));
        QElapsedTimer t;
        // Timed where the job ends: jobCancelled is emitted on the engine thread, and a direct connection
        // reads the clock there, so the figure is the engine's stop time, not the moment a loaded machine's
        // UI event loop gets round to a queued slot.
        std::atomic<qint64> ms{-1};
        connect(&runner, &JobRunner::jobCancelled, &panel, [&](JobId, const QString&) { ms = t.elapsed(); },
                Qt::DirectConnection);
        t.start();
        panel.cancelEmbedding();
        QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(ms.load() >= 0, 5000);
        qInfo("embedding cancelled after %lld ms", static_cast<long long>(ms.load()));
        QVERIFY2(ms.load() <= 200, qPrintable(QStringLiteral("%1 ms").arg(ms.load())));
        QCOMPARE(cancelled.at(0).at(0).value<JobId>(), id);
        QVERIFY(runner.waitForIdle(5000));
        QCOMPARE(succeeded.count(), 0);
        QVERIFY(!QFileInfo::exists(store));  // a cancelled run leaves no store
        QVERIFY(!panel.hasStore());
        QVERIFY(panel.statusText().contains(QStringLiteral("cancelled")));
    }

    void columnsFieldsAndEncodingOverride() {
        JobRunner runner;
        ModelsPanel models(&runner);
        SimilarityPanel panel(&runner);
        loadInto(runner, models, panel);

        // CSV: the text column is found by name; choosing the label column fills the labels.
        const QString csv = tmp(QStringLiteral("yorumlar.csv"));
        QVERIFY(writeFile(csv, "id,metin,etiket\n1,\"Harika bir film, çok beğendim.\",olumlu\n"
                               "2,Berbat bir hizmetti.,olumsuz\n3,\"Yemekler \"\"çok\"\" lezzetliydi.\",olumlu\n"));
        panel.openCorpus(csv);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().columns, (QStringList{"id", "metin", "etiket"}));
        QCOMPARE(panel.corpus().textColumn, 1);
        QCOMPARE(panel.corpus().preview.at(0), QStringLiteral("Harika bir film, çok beğendim."));
        auto* textCombo = panel.findChild<QComboBox*>(QStringLiteral("textColumnCombo"));
        QVERIFY(textCombo->isEnabled());
        QCOMPARE(textCombo->count(), 4);
        panel.setLabelColumn(QStringLiteral("etiket"));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().labelColumn, 2);
        QCOMPARE(panel.corpus().distinctLabels, qint64(2));
        panel.embed();
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY(panel.hasStore());
        QCOMPARE(panel.storeInfo().labels, (QStringList{"olumlu", "olumsuz", "olumlu"}));
        QCOMPARE(panel.storeInfo().texts.at(2), QStringLiteral("Yemekler \"çok\" lezzetliydi."));
        panel.setTextColumn(QStringLiteral("id"));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().preview.at(0), QStringLiteral("1"));
        // A missing column is a clear message.
        panel.setTextColumn(QStringLiteral("yorum"));
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY2(panel.statusText().contains(QStringLiteral("no column 'yorum'")), qPrintable(panel.statusText()));

        // JSONL: the fields of the first object are offered, nested ones as a.b.
        const QString jsonl = tmp(QStringLiteral("veri.jsonl"));
        QVERIFY(writeFile(jsonl, "{\"cumle\": \"Merhaba dünya.\", \"meta\": {\"dil\": \"tr\"}}\n"
                                 "{\"cumle\": \"Günaydın!\", \"meta\": {\"dil\": \"tr\"}}\n"));
        panel.openCorpus(jsonl);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().columns, (QStringList{"cumle", "meta.dil"}));
        QCOMPARE(panel.corpus().records, qint64(2));
        QCOMPARE(panel.corpus().preview.at(1), QStringLiteral("Günaydın!"));
        panel.setTextColumn(QStringLiteral("meta.dil"));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().preview.at(0), QStringLiteral("tr"));

        // Windows-1254: detected and shown; overriding with UTF-8 gives a clear message; back to auto.
        const QString cp = tmp(QStringLiteral("eski.txt"));
        // "Şişli'de güzel bir gün" + "Çağrı ığdır" in Windows-1254 (Ş=DE ş=FE ğ=F0 ı=FD Ç=C7 ü=FC), with ’ (0x92).
        QVERIFY(writeFile(cp, QByteArray("\xDE" "i\xFE" "li\x92" "de g\xFC" "zel bir g\xFC" "n\n\xC7" "a\xF0" "r\xFD "
                                         "\xFD\xF0" "d\xFD" "r\n")));
        panel.openCorpus(cp);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().encoding, QStringLiteral("windows-1254"));
        QVERIFY(panel.corpus().encodingDetected);
        QCOMPARE(panel.corpus().preview.at(0), QStringLiteral("Şişli’de güzel bir gün"));
        auto* enc = panel.findChild<QComboBox*>(QStringLiteral("encodingCombo"));
        QVERIFY(enc->itemText(0).contains(QStringLiteral("windows-1254")));
        QVERIFY(!panel.findChild<QComboBox*>(QStringLiteral("textColumnCombo"))->isEnabled());
        panel.setEncodingOverride(QStringLiteral("utf-8"));
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY2(panel.statusText().contains(QStringLiteral("UTF-8")), qPrintable(panel.statusText()));
        panel.setEncodingOverride(QStringLiteral("iso-8859-9"));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().encoding, QStringLiteral("iso-8859-9"));
        QVERIFY(!panel.corpus().encodingDetected);
        QCOMPARE(panel.corpus().preview.at(1), QStringLiteral("Çağrı ığdır"));

        // Units: paragraphs and sentences.
        const QString para = tmp(QStringLiteral("paragraf.txt"));
        QVERIFY(writeFile(para, "Dr. Ahmet geldi. Toplantı başladı.\nHerkes dinledi.\n\nİkinci paragraf burada.\n"));
        panel.openCorpus(para);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().records, qint64(3));
        panel.setUnit(QStringLiteral("paragraphs"));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().records, qint64(2));
        panel.setUnit(QStringLiteral("sentences"));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().preview, (QStringList{"Dr. Ahmet geldi.", "Toplantı başladı.", "Herkes dinledi.",
                                                      "İkinci paragraf burada."}));

        // De-duplication.
        const QString dup = tmp(QStringLiteral("tekrar.txt"));
        QVERIFY(writeFile(dup, "Merhaba.\nGünaydın.\nMerhaba.\n  Merhaba.  \nİyi geceler.\n"));
        panel.setUnit(QStringLiteral("lines"));
        panel.openCorpus(dup);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().records, qint64(5));
        panel.setDedupe(true);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.corpus().records, qint64(3));
        QCOMPARE(panel.corpus().duplicatesRemoved, qint64(2));
        QVERIFY(panel.findChild<QLabel*>(QStringLiteral("corpusStats"))->text().contains(QStringLiteral("2 duplicates")));
        panel.embed();
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel.storeInfo().texts, (QStringList{"Merhaba.", "Günaydın.", "İyi geceler."}));
    }

    void badInputIsAClearMessage() {
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        SimilarityPanel* panel = ws.similarity();
        QCOMPARE(w.panelDock(QStringLiteral("similarity"))->widget(), static_cast<QWidget*>(panel));
        QCOMPARE(w.panelDock(QStringLiteral("evaluation"))->widget(), static_cast<QWidget*>(ws.evaluation()));
        // Nothing loaded: buttons say what is missing instead of failing.
        QCOMPARE(panel->embed(), JobId(0));
        QVERIFY(panel->statusText().contains(QStringLiteral("corpus")));
        QCOMPARE(panel->computeHeatmap(), JobId(0));
        QVERIFY(panel->statusText().contains(QStringLiteral("Embed")));
        QCOMPARE(panel->search(QStringLiteral("x"), 3), JobId(0));
        QCOMPARE(panel->scorePair(QStringLiteral("a"), QStringLiteral("b")), JobId(0));
        QVERIFY(panel->statusText().contains(QStringLiteral("model")));

        // Loading a model through the window reaches both panels.
        w.openPath(modelDir_);
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY(panel->model() != nullptr);
        QCOMPARE(ws.evaluation()->modelCount(), 1);

        // Empty corpus (opened like a drop, routed by the window).
        const QString empty = tmp(QStringLiteral("bos.txt"));
        QVERIFY(writeFile(empty, "\n   \n\n"));
        w.openPath(empty);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel->corpusPath(), empty);
        QVERIFY2(panel->statusText().contains(QStringLiteral("empty")), qPrintable(panel->statusText()));
        panel->embed();
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY2(panel->statusText().contains(QStringLiteral("empty")), qPrintable(panel->statusText()));
        QVERIFY(!panel->hasStore());
        QVERIFY(w.log()->plainText().contains(QStringLiteral("empty")));

        // A binary file.
        const QString bin = tmp(QStringLiteral("resim.txt"));
        QByteArray junk;
        for (int i = 0; i < 4096; ++i) junk += char((i * 37) & 0xff);
        QVERIFY(writeFile(bin, junk));
        panel->openCorpus(bin);
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY2(panel->statusText().contains(QStringLiteral("binary")), qPrintable(panel->statusText()));

        // A missing file, a blank query, a bad store folder.
        panel->openCorpus(tmp(QStringLiteral("yok.txt")));
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY(panel->statusText().startsWith(QStringLiteral("Cannot read the corpus")));
        panel->openStore(tmp(QStringLiteral("")));
        QVERIFY(runner.waitForIdle(30000));
        QVERIFY2(panel->statusText().contains(QStringLiteral("not a vector store")) ||
                     panel->statusText().contains(QStringLiteral("manifest")),
                 qPrintable(panel->statusText()));
        QVERIFY(w.log()->count(LogPanel::Level::Error) >= 3);

        // Routing keeps the tokenizer lab comparison too (no tokenizer loaded: nothing to compare).
        w.openPath(corpus_);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(panel->corpus().records, qint64(std::size(kSentences)));
    }
};

QTEST_MAIN(TestSimilarity)
#include "tst_similarity.moc"
