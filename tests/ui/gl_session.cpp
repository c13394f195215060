// Sessions end to end (runs under xvfb-run: the map needs a real GL context). A workspace with a model,
// a corpus embedded into a vector store, a heatmap, a search, evaluation rows and a UMAP-free PCA map
// with a moved camera is saved, then restored into a new window: every panel shows the same numbers
// and the same pixels, and nothing that was saved is computed again (no projection, evaluation,
// embedding or heatmap job runs). Then the bad inputs: missing paths, a truncated file, invalid JSON,
// a newer version, an unreadable autosave.
#include "app/bridge/job_runner.h"
#include "app/state/workspace_state.h"
#include "byte_tokenizer.h"
#include "qt_test_paths.h"
#include "ui/evaluation/evaluation_panel.h"
#include "ui/generation/lens_view.h"
#include "ui/log/log_panel.h"
#include "ui/mainwindow/main_window.h"
#include "ui/map/embedding_map_view.h"
#include "ui/map/map_panel.h"
#include "ui/map/map_workbench.h"
#include "ui/models/models_panel.h"
#include "ui/similarity/heatmap_view.h"
#include "ui/similarity/similarity_panel.h"
#include "ui/tokenizers/tokenizer_lab.h"
#include "ui/workspace/workspace.h"
#include "ui/workspace/workspace_overview.h"

#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QTest>
#include <QTreeWidget>

#include <cmath>

using namespace embedlab;

namespace {

bool writeFile(const QString& path, const QByteArray& data) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    f.write(data);
    return true;
}

// The visible text of a table, cell by cell.
QStringList tableText(const QTableWidget* t) {
    QStringList out;
    for (int r = 0; r < t->rowCount(); ++r)
        for (int c = 0; c < t->columnCount(); ++c) out << (t->item(r, c) ? t->item(r, c)->text() : QString());
    return out;
}

// A window with the real workspace, at a fixed size, shown.
struct App {
    JobRunner runner;
    MainWindow window{&runner};
    Workspace workspace{&window};
    QStringList queued;
    App() {
        QObject::connect(&runner, &JobRunner::jobQueued, &window,
                         [this](JobId, const QString& name, JobLane) { queued << name; });
        window.resize(1400, 900);
        window.show();
    }
};

}  // namespace

class TestSession : public QObject {
    Q_OBJECT
    QString fx(const QString& rel) const { return test::qtFixture(rel); }
    QString tmp(const QString& rel) const { return test::qtScratch(QStringLiteral("gl_session"), rel); }
    QString shots(const QString& name) const { return test::qtScreenshot(name); }
    QString model_, corpus_, sts_, vectors_;

    bool restore(App& app, const QString& file) {
        QSignalSpy restored(&app.workspace, &Workspace::sessionRestored);
        if (!app.workspace.openSession(file)) return false;
        if (!restored.wait(60000)) return false;
        return app.runner.waitForIdle(60000);
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("embedlab-test"));
        QCoreApplication::setApplicationName(QStringLiteral("gl_session"));
        QSettings().clear();
        QFile::remove(WorkspaceState::autosavePath());
        const QFileInfo autosave(WorkspaceState::autosavePath());
        for (const QString& f : autosave.dir().entryList({autosave.fileName() + QStringLiteral(".bad-*")}))
            QFile::remove(autosave.dir().filePath(f));
        model_ = tmp(QStringLiteral("gpt2_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), model_));
        corpus_ = tmp(QStringLiteral("cumleler.txt"));
        QVERIFY(writeFile(corpus_,
                          "Kedi evde uyuyor.\nKöpek bahçede koşuyor.\nBugün hava çok güzel.\nYarın yağmur yağacak.\n"
                          "Kitap okumayı severim.\nDeniz kenarında yürüdük.\nÇay demlendi.\nTren geç kaldı.\n"));
        sts_ = tmp(QStringLiteral("sts.tsv"));
        QVERIFY(writeFile(sts_, "Kedi uyuyor.\tKedi uykuda.\t4.5\nHava güzel.\tBorsa düştü.\t0.2\n"
                                "Tren geldi.\tTren istasyonda.\t3.8\nÇay içtim.\tKahve içtim.\t2.5\n"));
        // 300 × 8 vectors in three groups, as a .npy the map opens.
        vectors_ = tmp(QStringLiteral("vectors.npy"));
        QByteArray header = "{'descr': '<f4', 'fortran_order': False, 'shape': (300, 8), }";
        while ((10 + header.size() + 1) % 64) header += ' ';
        header += '\n';
        QByteArray npy("\x93NUMPY\x01\x00", 8);
        npy += char(header.size() & 0xff);
        npy += char(header.size() >> 8);
        npy += header;
        for (int i = 0; i < 300; ++i)
            for (int d = 0; d < 8; ++d) {
                const float v = float((i % 3) * 5 + std::sin(i * 0.37 + d * 1.3));
                npy.append(reinterpret_cast<const char*>(&v), 4);
            }
        QVERIFY(writeFile(vectors_, npy));
    }

    void roundTripRestoresEveryPanelWithoutRecomputing() {
        const QString file = tmp(QStringLiteral("round.embedlab.json"));
        QImage mapBefore, similarityBefore, evaluationBefore;
        QStringList evalTableBefore, hitsBefore, openBefore;
        QVector<float> heatmapBefore, coordsBefore;
        MapScene::Camera cameraBefore;
        QString qualityBefore;
        {
            App app;
            Workspace& ws = app.workspace;
            QVERIFY(QTest::qWaitForWindowExposed(&app.window));
            QVERIFY(ws.map());
            app.window.openPath(model_);
            QVERIFY(app.runner.waitForIdle(30000));
            QCOMPARE(ws.models()->modelCount(), 1);
            // Similarity: corpus → store → heatmap, search.
            SimilarityPanel* sim = ws.similarity();
            sim->openCorpus(corpus_);
            QVERIFY(app.runner.waitForIdle(30000));
            QDir(sim->storePathFor(corpus_)).removeRecursively();
            sim->embed(true);
            QVERIFY(app.runner.waitForIdle(60000));
            QVERIFY(sim->hasStore());
            sim->setSubset(SimilarityPanel::Subset::First, 8);
            sim->setOrder(MatrixOrder::Clustered);
            sim->computeHeatmap();
            QVERIFY(app.runner.waitForIdle(30000));
            QCOMPARE(sim->heatmap()->size(), 8);
            sim->search(QStringLiteral("kedi uyuyor"), 3);
            QVERIFY(app.runner.waitForIdle(30000));
            QCOMPARE(sim->searchHits().size(), 3);
            // Evaluation: one STS row.
            EvaluationPanel* ev = ws.evaluation();
            ev->setTask(QStringLiteral("sts"));
            ev->setDataPath(sts_);
            QCOMPARE(ev->run().size(), 1);
            QVERIFY(app.runner.waitForIdle(60000));
            QCOMPARE(ev->results().size(), 1);
            // Map: a vectors file, PCA, then the camera moved by the user.
            MapWorkbench* map = ws.map();
            ProjectionParams p;
            p.method = QStringLiteral("pca");
            map->setProjectionParams(p);
            QSignalSpy projected(map, &MapWorkbench::projectionFinished);
            map->openVectors(vectors_);
            QVERIFY(app.runner.waitForIdle(60000));
            QTRY_COMPARE_WITH_TIMEOUT(projected.count(), 1, 10000);
            app.window.panelDock(QStringLiteral("map"))->raise();
            EmbeddingMapView* view = map->panel()->view();
            view->scene().zoomAt(QPointF(200, 150), 1.7);
            view->setCamera(view->camera(), true);
            view->setSelection({3, 4, 5});
            QTest::qWait(200);

            // A tokenizer in the lab.
            ws.tokenizerLab()->loadTokenizer(fx(QStringLiteral("tokenizers/turkish-seed")));
            QVERIFY(app.runner.waitForIdle(30000));
            QCOMPARE(ws.tokenizerLab()->tokenizerCount(), 1);
            // What is open is the state's, not a panel's: every item, with the object itself.
            const OpenItems* items = ws.state()->openItems();
            QCOMPARE(items->ofKind(OpenItem::Kind::Tokenizer).size(), 1);
            QVERIFY(items->ofKind(OpenItem::Kind::Tokenizer).first().tokenizer == ws.tokenizerLab()->tokenizer(0));
            QCOMPARE(items->ofKind(OpenItem::Kind::Corpus).size(), 1);
            QCOMPARE(items->ofKind(OpenItem::Kind::Corpus).first().path, corpus_);
            QCOMPARE(items->ofKind(OpenItem::Kind::Corpus).first().corpus.records, 8);
            QCOMPARE(items->ofKind(OpenItem::Kind::VectorStore).size(), 1);
            QCOMPARE(items->ofKind(OpenItem::Kind::VectorStore).first().path, sim->storePathFor(corpus_));
            QVERIFY(items->ofKind(OpenItem::Kind::VectorStore).first().store);
            QCOMPARE(items->ofKind(OpenItem::Kind::VectorSpace).size(), 1);
            QCOMPARE(items->ofKind(OpenItem::Kind::VectorSpace).first().spaceInfo.rows, 300);
            QCOMPARE(items->ofKind(OpenItem::Kind::Projection).size(), 1);
            QCOMPARE(items->ofKind(OpenItem::Kind::Projection).first().projection.coords, map->lastProjection().coords);
            QCOMPARE(ws.state()->evaluationRows()->size(), 1);
            // The Workspace panel lists all of it.
            QTest::qWait(50);
            openBefore = ws.overview()->lines();
            for (const QString& group : {QStringLiteral("Models"), QStringLiteral("Tokenizers"), QStringLiteral("Corpora"),
                                         QStringLiteral("Vector stores"), QStringLiteral("Map source"),
                                         QStringLiteral("Projections"), QStringLiteral("Evaluation rows")})
                QVERIFY2(openBefore.filter(QRegularExpression(QStringLiteral("^") + group + QStringLiteral("\t"))).size() == 1,
                         qPrintable(group + QStringLiteral(" in\n") + openBefore.join(QLatin1Char('\n'))));

            heatmapBefore = sim->heatmap()->matrix();
            for (const SearchHit& h : sim->searchHits()) hitsBefore << QString::number(h.row) + h.text + QString::number(h.score);
            evalTableBefore = tableText(ev->resultsTable());
            coordsBefore = map->lastProjection().coords;
            cameraBefore = view->camera();
            qualityBefore = map->qualityText();
            mapBefore = view->grabFramebuffer();  // the status line beside it shows the frame time
            similarityBefore = sim->grab().toImage();
            evaluationBefore = ev->grab().toImage();
            QVERIFY(ws.saveSession(file));
            QVERIFY(app.window.grab().save(shots(QStringLiteral("session_before.png"))));
        }

        App app;
        Workspace& ws = app.workspace;
        QVERIFY(QTest::qWaitForWindowExposed(&app.window));
        QVERIFY(restore(app, file));
        app.window.panelDock(QStringLiteral("map"))->raise();
        QTest::qWait(200);
        QVERIFY2(ws.lastMissing().isEmpty(), qPrintable(ws.lastMissing().join(QStringLiteral("; "))));
        // Nothing saved was computed again: the jobs of the restore only reopen things.
        for (const QString& name : app.queued)
            QVERIFY2(!name.startsWith(QStringLiteral("Project")) && !name.startsWith(QStringLiteral("Evaluate")) &&
                         !name.startsWith(QStringLiteral("Embed")) && !name.startsWith(QStringLiteral("Similarity")) &&
                         !name.startsWith(QStringLiteral("Semantic")),
                     qPrintable(QStringLiteral("the restore ran: ") + name));
        QCOMPARE(ws.models()->modelCount(), 1);
        QCOMPARE(ws.models()->info(0).path, model_);
        SimilarityPanel* sim = ws.similarity();
        QVERIFY(sim->hasStore());
        QCOMPARE(sim->corpusPath(), corpus_);
        QCOMPARE(sim->heatmap()->matrix(), heatmapBefore);
        QStringList hits;
        for (const SearchHit& h : sim->searchHits()) hits << QString::number(h.row) + h.text + QString::number(h.score);
        QCOMPARE(hits, hitsBefore);
        QCOMPARE(tableText(ws.evaluation()->resultsTable()), evalTableBefore);
        MapWorkbench* map = ws.map();
        QCOMPARE(map->lastProjection().coords, coordsBefore);
        QCOMPARE(map->qualityText(), qualityBefore);
        const MapScene::Camera cam = map->panel()->view()->camera();
        QCOMPARE(cam.center, cameraBefore.center);
        QCOMPARE(cam.scale, cameraBefore.scale);
        QCOMPARE(map->panel()->view()->selection(), (QVector<int>{3, 4, 5}));
        // The same things open, each listed once, and the Workspace panel says so.
        QTest::qWait(50);
        QCOMPARE(ws.overview()->lines(), openBefore);
        QCOMPARE(ws.state()->openItems()->count(), 5);
        // The same pixels.
        QVERIFY(app.window.grab().save(shots(QStringLiteral("session_after.png"))));
        const QImage evaluationAfter = ws.evaluation()->grab().toImage(), similarityAfter = sim->grab().toImage(),
                     mapAfter = map->panel()->view()->grabFramebuffer();
        evaluationBefore.save(shots(QStringLiteral("session_evaluation_before.png")));
        evaluationAfter.save(shots(QStringLiteral("session_evaluation_after.png")));
        similarityBefore.save(shots(QStringLiteral("session_similarity_before.png")));
        similarityAfter.save(shots(QStringLiteral("session_similarity_after.png")));
        mapBefore.save(shots(QStringLiteral("session_map_before.png")));
        mapAfter.save(shots(QStringLiteral("session_map_after.png")));
        QCOMPARE(evaluationAfter, evaluationBefore);
        QCOMPARE(similarityAfter, similarityBefore);
        QCOMPARE(mapAfter, mapBefore);
        // The Workspace panel; double-clicking an item shows the panel that holds it.
        app.window.panelDock(QStringLiteral("workspace"))->raise();
        QTest::qWait(50);
        QVERIFY(ws.overview()->grab().save(shots(QStringLiteral("workspace_overview.png"))));
        QTreeWidget* tree = ws.overview()->tree();
        QTreeWidgetItem* corpusRow = tree->findItems(QFileInfo(corpus_).fileName(), Qt::MatchExactly | Qt::MatchRecursive).value(0);
        QVERIFY(corpusRow);
        QVERIFY(app.window.panelDock(QStringLiteral("similarity"))->visibleRegion().isEmpty());
        Q_EMIT tree->itemDoubleClicked(corpusRow, 0);
        QTRY_VERIFY(!app.window.panelDock(QStringLiteral("similarity"))->visibleRegion().isEmpty());
    }

    void theLensFollowsATokenOnTheMapAndTheSessionKeepsIt() {
        // The Logit lens view's "Trajectory on the map": the map loads the prompt's hidden states with
        // the lens's own encoding (its columns are the map's positions) and draws the chosen token's
        // path through the layers; a session brings the path back.
        const QString file = tmp(QStringLiteral("trajectory.embedlab.json"));
        // The byte-level model with a tokenizer that adds <|endoftext|> before the text when asked for
        // special tokens: the lens encodes the bare prompt, the map's Load button would add it, so the
        // positions line up only if the map encodes as the lens did.
        const QString bos = tmp(QStringLiteral("gpt2_bos"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), bos));
        {
            QFile t(bos + QStringLiteral("/tokenizer.json"));
            QVERIFY(t.open(QIODevice::ReadOnly));
            QJsonObject root = QJsonDocument::fromJson(t.readAll()).object();
            t.close();
            const QJsonObject special{{QStringLiteral("SpecialToken"),
                                       QJsonObject{{QStringLiteral("id"), QStringLiteral("<|endoftext|>")}, {QStringLiteral("type_id"), 0}}}};
            const QJsonObject seq{{QStringLiteral("Sequence"), QJsonObject{{QStringLiteral("id"), QStringLiteral("A")}, {QStringLiteral("type_id"), 0}}}};
            root[QStringLiteral("post_processor")] = QJsonObject{
                {QStringLiteral("type"), QStringLiteral("TemplateProcessing")},
                {QStringLiteral("single"), QJsonArray{special, seq}},
                {QStringLiteral("pair"), QJsonArray{special, seq}},
                {QStringLiteral("special_tokens"),
                 QJsonObject{{QStringLiteral("<|endoftext|>"),
                              QJsonObject{{QStringLiteral("id"), QStringLiteral("<|endoftext|>")},
                                          {QStringLiteral("ids"), QJsonArray{511}},
                                          {QStringLiteral("tokens"), QJsonArray{QStringLiteral("<|endoftext|>")}}}}}}};
            QVERIFY(writeFile(bos + QStringLiteral("/tokenizer.json"), QJsonDocument(root).toJson()));
        }
        QVector<QVector<int>> pathsBefore;
        {
            App app;
            Workspace& ws = app.workspace;
            QVERIFY(QTest::qWaitForWindowExposed(&app.window));
            app.window.openPath(bos);
            QVERIFY(app.runner.waitForIdle(30000));
            LensView* lens = ws.lens();
            LensParams lp;
            lp.prompt = QStringLiteral("Merhaba");
            lens->setParams(lp);
            QVERIFY(!lens->followOnMapNow());  // no grid yet
            QVERIFY(lens->run() != 0);
            QVERIFY(app.runner.waitForIdle(30000));
            const int columns = lens->grid()->columnCount(), layers = lens->grid()->rowCount();
            QCOMPARE(columns, 7);  // "Merhaba" in bytes
            lens->grid()->setCurrentCell(0, 2);
            QCOMPARE(lens->followColumn(), 2);
            MapWorkbench* map = ws.map();
            QSignalSpy projected(map, &MapWorkbench::projectionFinished);
            QTest::mouseClick(lens->findChild<QPushButton*>(QStringLiteral("lensOnMap")), Qt::LeftButton);
            QVERIFY(app.runner.waitForIdle(60000));
            QTRY_COMPARE_WITH_TIMEOUT(projected.count(), 1, 20000);
            // The map's rows are the lens's grid: every layer × every column.
            QCOMPARE(map->spaceInfo().rows, qint64(columns * layers));
            QCOMPARE(map->trajectory(), 2);
            const QVector<QVector<int>> paths = map->panel()->view()->trajectories();
            QCOMPARE(paths.size(), 1);
            // Layer-major rows: position 2 at layers 0, 1, 2.
            QCOMPARE(paths.first(), (QVector<int>{2, 2 + columns, 2 + 2 * columns}));
            // The map's tokens at the path are the lens column's ("r" of "Merhaba", no BOS before it).
            const int tokCol = map->spaceInfo().metadataColumns.indexOf(QStringLiteral("token"));
            QCOMPARE(map->spaceInfo().metadata[tokCol][2], QStringLiteral("r"));
            QCOMPARE(lens->grid()->horizontalHeaderItem(2)->text(), QStringLiteral("r"));
            const int posCol = map->spaceInfo().metadataColumns.indexOf(QStringLiteral("position"));
            const int layerCol = map->spaceInfo().metadataColumns.indexOf(QStringLiteral("layer"));
            for (int i = 0; i < paths.first().size(); ++i) {
                QCOMPARE(map->spaceInfo().metadata[posCol][paths.first()[i]], QStringLiteral("2"));
                QCOMPARE(map->spaceInfo().metadata[layerCol][paths.first()[i]], QString::number(i));
            }
            // Drawn: the path's pixels are there with it and gone without it.
            app.window.panelDock(QStringLiteral("map"))->raise();
            QTest::qWait(200);
            EmbeddingMapView* view = map->panel()->view();
            const QImage with = view->grabFramebuffer();
            QVERIFY(map->setTrajectory(MapWorkbench::kNoTrajectory));
            const QImage without = view->grabFramebuffer();
            auto reddish = [](const QImage& img) {
                int n = 0;
                for (int y = 0; y < img.height(); ++y)
                    for (int x = 0; x < img.width(); ++x) {
                        const QColor c = img.pixelColor(x, y);
                        n += c.red() > 180 && c.green() < 90 && c.blue() < 90;
                    }
                return n;
            };
            QVERIFY2(reddish(with) > reddish(without) + 30,
                     qPrintable(QStringLiteral("%1 vs %2 red pixels").arg(reddish(with)).arg(reddish(without))));
            // Every token; a position beyond the text draws nothing.
            QVERIFY(map->setTrajectory(MapWorkbench::kEveryToken));
            QCOMPARE(view->trajectories().size(), columns);
            QVERIFY(!map->setTrajectory(columns));
            QCOMPARE(map->trajectory(), int(MapWorkbench::kNoTrajectory));
            QVERIFY(view->trajectories().isEmpty());
            QVERIFY(map->setTrajectory(2));
            QTest::qWait(100);
            QVERIFY(view->grabFramebuffer().save(shots(QStringLiteral("map_trajectory.png"))));
            pathsBefore = view->trajectories();
            QVERIFY(ws.saveSession(file));
        }
        App app;
        QVERIFY(QTest::qWaitForWindowExposed(&app.window));
        QVERIFY(restore(app, file));
        QVERIFY2(app.workspace.lastMissing().isEmpty(), qPrintable(app.workspace.lastMissing().join(QStringLiteral("; "))));
        QCOMPARE(app.workspace.map()->spaceInfo().rows, qint64(7 * 3));  // encoded as the lens did, again
        QCOMPARE(app.workspace.map()->trajectory(), 2);
        QCOMPARE(app.workspace.map()->panel()->view()->trajectories(), pathsBefore);
        // The map's own Load encodes with the tokenizer's special tokens: one more position (the BOS).
        QSignalSpy ready(app.workspace.map(), &MapWorkbench::sourceReady);
        app.workspace.map()->loadSource(MapWorkbench::Source::HiddenStates, QStringLiteral("Merhaba"));
        QVERIFY(ready.wait(30000));
        QCOMPARE(app.workspace.map()->spaceInfo().rows, qint64(8 * 3));
        QCOMPARE(app.workspace.map()->trajectory(), int(MapWorkbench::kNoTrajectory));
    }

    void missingPathsAreListedAndTheRestRestores() {
        const QString file = tmp(QStringLiteral("missing.embedlab.json"));
        QJsonObject doc{{QStringLiteral("format"), QStringLiteral("embedlab-session")},
                        {QStringLiteral("version"), 1},
                        {QStringLiteral("models"),
                         QJsonArray{QJsonObject{{QStringLiteral("path"), QStringLiteral("/no/such/model")}},
                                    QJsonObject{{QStringLiteral("path"), model_}, {QStringLiteral("device"), QStringLiteral("cpu")},
                                                {QStringLiteral("dtype"), QStringLiteral("f32")}}}},
                        {QStringLiteral("current_model"), 1},
                        {QStringLiteral("panels"),
                         QJsonObject{{QStringLiteral("similarity"), QJsonObject{{QStringLiteral("corpus"), QStringLiteral("/no/such/corpus.txt")}}},
                                     {QStringLiteral("map"), QJsonObject{{QStringLiteral("source"), QStringLiteral("vectors")},
                                                                         {QStringLiteral("path"), QStringLiteral("/no/such/v.npy")}}},
                                     {QStringLiteral("generation"), QJsonObject{{QStringLiteral("prompt"), QStringLiteral("Merhaba")}}}}}};
        QVERIFY(writeFile(file, QJsonDocument(doc).toJson()));
        App app;
        QVERIFY(restore(app, file));
        const QStringList missing = app.workspace.lastMissing();
        QCOMPARE(missing.size(), 3);
        QVERIFY(missing.join(QLatin1Char('\n')).contains(QStringLiteral("/no/such/model")));
        QVERIFY(missing.join(QLatin1Char('\n')).contains(QStringLiteral("/no/such/corpus.txt")));
        QVERIFY(missing.join(QLatin1Char('\n')).contains(QStringLiteral("/no/such/v.npy")));
        QCOMPARE(app.workspace.models()->modelCount(), 1);  // the model that exists is back
        QCOMPARE(app.workspace.state()->currentModel(), 0);
        QVERIFY(app.window.log()->plainText().contains(QStringLiteral("missing")));
    }

    void badSessionFilesAreAClearMessageAndTheAppStaysEmpty() {
        App app;
        QVERIFY(QTest::qWaitForWindowExposed(&app.window));
        auto expectFail = [&](const QString& name, const QByteArray& bytes, const QString& needle) {
            const QString f = tmp(name);
            QVERIFY(writeFile(f, bytes));
            QVERIFY(!app.workspace.openSession(f));
            const QString log = app.window.log()->plainText();
            QVERIFY2(log.contains(needle), qPrintable(name + QStringLiteral(": ") + log.right(400)));
            QVERIFY(QFile::exists(f));  // the bad file is kept as it was
            QCOMPARE(app.workspace.models()->modelCount(), 0);
        };
        expectFail(QStringLiteral("truncated.json"), "{\"format\": \"embedlab-session\", \"version\": 1, \"mod",
                   QStringLiteral("not valid JSON"));
        expectFail(QStringLiteral("garbage.json"), "\x89PNG\r\n not a session", QStringLiteral("not valid JSON"));
        expectFail(QStringLiteral("other.json"), "{\"hello\": 1}", QStringLiteral("not an embedlab session"));
        expectFail(QStringLiteral("future.json"), "{\"format\": \"embedlab-session\", \"version\": 99}",
                   QStringLiteral("newer embedlab"));
        expectFail(QStringLiteral("badmodels.json"), "{\"format\": \"embedlab-session\", \"version\": 1, \"models\": 3}",
                   QStringLiteral("\"models\" is not a list"));
        QVERIFY(!app.workspace.openSession(tmp(QStringLiteral("nope.json"))));

        // An autosave that cannot be read is kept aside, never overwritten by the next autosave.
        const QString a = WorkspaceState::autosavePath();
        QDir().mkpath(QFileInfo(a).absolutePath());
        QVERIFY(writeFile(a, "{\"format\": \"embedlab-session\", \"vers"));
        QVERIFY(!app.workspace.restoreAutosave());
        const QStringList kept = QFileInfo(a).dir().entryList({QFileInfo(a).fileName() + QStringLiteral(".bad-*")});
        QCOMPARE(kept.size(), 1);
        app.workspace.autosave();
        QVERIFY(QFile::exists(a));
        QVERIFY(!WorkspaceState::validateSession(QJsonDocument::fromJson([&] {
                                                     QFile f(a);
                                                     f.open(QIODevice::ReadOnly);
                                                     return f.readAll();
                                                 }()).object())
                     .size());
    }
};

QTEST_MAIN(TestSession)
#include "gl_session.moc"
