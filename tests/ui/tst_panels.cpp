// The Models panel, the tokenizer lab and the Generation view, driven offscreen through the real
// widgets and the engine thread, checked against the engine called directly.
#include "app/bridge/job_runner.h"
#include "byte_tokenizer.h"
#include "ui/common/token_strip.h"
#include "ui/generation/generation_view.h"
#include "ui/log/log_panel.h"
#include "ui/mainwindow/main_window.h"
#include "ui/models/models_panel.h"
#include "test_paths.h"
#include "ui/tokenizers/tokenizer_lab.h"
#include "ui/workspace/workspace.h"

#include "engine/models/generation.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/tokenizer.h"

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QDir>
#include <QFile>
#include <QHelpEvent>
#include <QImage>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QProcess>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>
#include <QToolTip>

using namespace embedlab;

class TestPanels : public QObject {
    Q_OBJECT
    QString fx(const QString& rel) const { return QString::fromStdString(test::fixture(rel.toStdString())); }
    QString tmp(const QString& rel) const {
        const QString base = QString::fromStdString(test::tmpDir()) + QStringLiteral("/tst_panels");
        QDir().mkpath(base);
        return base + QLatin1Char('/') + rel;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("embedlab-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_panels"));
        QSettings().clear();
    }

    void workspaceInstallsPanelsAndRoutesDrops() {
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        QCOMPARE(w.panelDock(QStringLiteral("models"))->widget(), static_cast<QWidget*>(ws.models()));
        QCOMPARE(w.panelDock(QStringLiteral("tokenizers"))->widget(), static_cast<QWidget*>(ws.tokenizerLab()));
        QSignalSpy loaded(ws.models(), &ModelsPanel::modelLoaded);
        QSignalSpy tok(ws.tokenizerLab(), &TokenizerLab::tokenizerAdded);
        w.openPath(fx(QStringLiteral("models/gemma3_tiny")));
        w.openPath(fx(QStringLiteral("tokenizers/turkish-seed")));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(tok.count(), 1);
        QVERIFY(w.log()->plainText().contains(QStringLiteral("Loaded gemma3_tiny")));
    }

    void modelsPanelShowsArchitectureAndMoves() {
        JobRunner runner;
        ModelsPanel panel(&runner);
        panel.resize(600, 700);
        panel.show();
        QSignalSpy loaded(&panel, &ModelsPanel::modelLoaded);
        panel.loadModel(fx(QStringLiteral("models/gemma3_tiny")));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(loaded.count(), 1);
        const ModelInfo m = panel.info(0);
        // The fixture README: vocab 512, hidden 64, 6 layers, 4 heads, 1 KV head, tied embeddings.
        QCOMPARE(m.architecture, QStringLiteral("gemma3"));
        QCOMPARE(m.layers, 6);
        QCOMPARE(m.hidden, 64);
        QCOMPARE(m.vocab, 512);
        QCOMPARE(m.heads, 4);
        QCOMPARE(m.kvHeads, 1);
        QCOMPARE(m.paramsEmbedding, qint64(512 * 64));
        QVERIFY(m.tiedHead);
        QCOMPARE(m.dtype, QStringLiteral("f32"));
        QCOMPARE(m.device, QStringLiteral("cpu"));
        QCOMPARE(m.weightBytes, (m.paramsEmbedding + m.paramsBody) * 4);
        QVERIFY(panel.detailsText().contains(QStringLiteral("gemma3")));
        QVERIFY(panel.detailsText().contains(QStringLiteral("embedding")));

        QSignalSpy changed(&panel, &ModelsPanel::infoChanged);
        panel.moveCurrent(QStringLiteral("cpu"), QStringLiteral("bf16"));
        QVERIFY(runner.waitForIdle(30000));
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 5000);  // the job's result arrives as a queued event
        QCOMPARE(panel.info(0).dtype, QStringLiteral("bf16"));
        QCOMPARE(panel.info(0).weightBytes, m.weightBytes / 2);
        QVERIFY(panel.detailsText().contains(QStringLiteral("bf16")));
        QDir().mkpath(tmp(QStringLiteral("screens")));
        QVERIFY(panel.grab().save(tmp(QStringLiteral("screens/models_panel.png"))));
    }

    void brokenModelFolderIsAMessage() {
        JobRunner runner;
        MainWindow w(&runner);
        Workspace ws(&w);
        const QString dir = tmp(QStringLiteral("broken_model"));
        QDir().mkpath(dir);
        QFile c(dir + QStringLiteral("/config.json"));
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.write("{\"model_type\": \"gemma3_text\", \"hidden_size\": 64, \"num_attention_heads\": 5");  // cut short
        c.close();
        w.openPath(dir);
        QVERIFY(runner.waitForIdle(10000));
        QCOMPARE(ws.models()->modelCount(), 0);
        QVERIFY(w.log()->count(LogPanel::Level::Error) >= 1);
        QVERIFY(w.log()->plainText().contains(QStringLiteral("config.json")));
    }

    void tokenizerLabShowsSegmentationsWithTypesAndIds() {
        JobRunner runner;
        TokenizerLab lab(&runner);
        lab.resize(900, 800);
        lab.show();
        QSignalSpy added(&lab, &TokenizerLab::tokenizerAdded);
        lab.loadTokenizer(fx(QStringLiteral("tokenizers/turkish-seed")));
        lab.loadTokenizer(fx(QStringLiteral("sentencepiece/tr_unigram_2k.model")));
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(added.count(), 2);
        const QString text = QStringLiteral("Kitabı masanın üzerine bıraktım.");
        lab.setText(text);
        for (int t = 0; t < lab.tokenizerCount(); ++t) {
            const Encoding ref = lab.tokenizer(t)->encode(text.toStdString(), false);
            const auto& chips = lab.strip(t)->chips();
            QCOMPARE(chips.size(), static_cast<int>(ref.size()));
            for (int i = 0; i < chips.size(); ++i) {
                QCOMPARE(chips[i].id, ref.ids[static_cast<size_t>(i)]);
                QVERIFY(chips[i].tooltip.startsWith(QStringLiteral("id %1 ").arg(ref.ids[static_cast<size_t>(i)])));
                const TokenType ty = ref.types[static_cast<size_t>(i)];
                QVERIFY(chips[i].tooltip.contains(QString::fromLatin1(tokenTypeName(ty))));
                QCOMPARE(chips[i].color, TokenizerLab::colorForType(ty, i));
            }
            QVERIFY(lab.statsText(t).contains(QStringLiteral("%1 tokens").arg(ref.size())));
            QVERIFY(lab.statsText(t).contains(QStringLiteral("4 words")));
        }
        // The Turkish tokenizer colours roots and suffixes differently.
        const auto& turkish = lab.strip(0)->chips();
        bool root = false, suffix = false;
        for (const auto& c : turkish) {
            root |= c.color == TokenizerLab::colorForType(TokenType::Root, 0);
            suffix |= c.color == TokenizerLab::colorForType(TokenType::Suffix, 0);
        }
        QVERIFY(root);
        QVERIFY(suffix);
        // Hovering a chip shows its id.
        TokenStrip* strip = lab.strip(0);
        QVERIFY(QTest::qWaitForWindowExposed(&lab));
        const QRect r = strip->chipRect(1);
        QVERIFY(r.isValid());
        QCOMPARE(strip->chipAt(r.center()), 1);
        QSignalSpy hovered(strip, &TokenStrip::chipHovered);
        QHelpEvent help(QEvent::ToolTip, r.center(), strip->mapToGlobal(r.center()));
        QApplication::sendEvent(strip, &help);
        QCOMPARE(hovered.count(), 1);
        QCOMPARE(hovered.at(0).at(0).toInt(), 1);
        QDir().mkpath(tmp(QStringLiteral("screens")));
        QVERIFY(lab.grab().save(tmp(QStringLiteral("screens/tokenizer_lab.png"))));
    }

    void tokenizerLabComparesOnACorpusAndExports() {
        JobRunner runner;
        TokenizerLab lab(&runner);
        lab.resize(1000, 800);
        lab.show();
        lab.loadTokenizer(fx(QStringLiteral("tokenizers/turkish-seed")));
        lab.loadTokenizer(fx(QStringLiteral("sentencepiece/tr_bpe_2k_bytefallback.model")));
        QVERIFY(runner.waitForIdle(30000));
        const QString corpus = tmp(QStringLiteral("corpus.txt"));
        QFile f(corpus);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Kitabı masanın üzerine bıraktım.\nİstanbul'da yaşıyorum.\nÖğrenciler kütüphanede çalıştılar.\n");
        f.close();
        QSignalSpy ready(&lab, &TokenizerLab::comparisonReady);
        lab.compareOnCorpus(corpus);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(ready.count(), 1);
        QTableWidget* t = lab.statsTable();
        QCOMPARE(t->rowCount(), 2);
        // Tokens and fertility agree with encoding the lines directly (9 words in the corpus).
        const std::vector<std::string> lines = {"Kitabı masanın üzerine bıraktım.", "İstanbul'da yaşıyorum.",
                                                "Öğrenciler kütüphanede çalıştılar."};
        for (int row = 0; row < 2; ++row) {
            size_t tokens = 0;
            for (const auto& l : lines) tokens += lab.tokenizer(row)->encode(l, false).size();
            QCOMPARE(t->item(row, 1)->text().toLongLong(), static_cast<qint64>(tokens));
            QCOMPARE(t->item(row, 2)->text().toInt(), 9);
            QCOMPARE(t->item(row, 4)->text().toDouble(), QString::number(tokens / 9.0, 'f', 3).toDouble());
            const double trPct = t->item(row, 6)->text().toDouble();
            QVERIFY(trPct >= 0.0 && trPct <= 100.0);
        }
        QString err;
        QVERIFY2(lab.exportChart(tmp(QStringLiteral("tok_chart.png")), &err), qPrintable(err));
        QVERIFY2(lab.exportChart(tmp(QStringLiteral("tok_chart.svg")), &err), qPrintable(err));
        QVERIFY2(lab.exportChart(tmp(QStringLiteral("tok_chart.pdf")), &err), qPrintable(err));
        QVERIFY(!lab.exportChart(tmp(QStringLiteral("tok_chart.bmpx")), &err));
        QVERIFY(err.contains(QStringLiteral("png")));
        QImage png(tmp(QStringLiteral("tok_chart.png")));
        QVERIFY(!png.isNull());
        QFile svg(tmp(QStringLiteral("tok_chart.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray svgData = svg.readAll();
        QVERIFY(svgData.contains("<svg"));
        QVERIFY(svgData.contains("Fertility"));
        QFile pdf(tmp(QStringLiteral("tok_chart.pdf")));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(5) == "%PDF-");
        QVERIFY(lab.exportTableCsv(tmp(QStringLiteral("tok_stats.csv")), &err));
        QFile csv(tmp(QStringLiteral("tok_stats.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> rows = csv.readAll().trimmed().split('\n');
        QCOMPARE(rows.size(), 3);
        QVERIFY(rows[0].startsWith("tokenizer,tokens,words"));
        QVERIFY(lab.grab().save(tmp(QStringLiteral("screens/tokenizer_comparison.png"))));
    }

    // The morphology columns: the lab runs the engine task `embedlab-cli morph boundaries` runs, on the
    // same gold sample as tests/cli/morph.sh, and shows the CLI's figures.
    void tokenizerLabMeasuresMorphologyLikeTheCli() {
        const QString bin = qEnvironmentVariable("EMBEDLAB_BIN_DIR");
        if (bin.isEmpty()) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        JobRunner runner;
        TokenizerLab lab(&runner);
        lab.resize(1000, 800);
        lab.show();
        const QString seed = fx(QStringLiteral("tokenizers/turkish-seed")), gemma = fx(QStringLiteral("tokenizers/gemma3"));
        lab.loadTokenizer(seed);
        QVERIFY(runner.waitForIdle(30000));
        lab.loadTokenizer(gemma);
        QVERIFY(runner.waitForIdle(30000));
        const QString gold = tmp(QStringLiteral("gold.txt"));
        QFile f(gold);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("<S>\t<S>+BSTag\nKitaplar\xc4\xb1\tkitap+NOUN+A3PL+P3SG+NOM\nevlerimizden\tev+NOUN+A3PL+P1PL+ABL\n"
                "ve\tve+CONJ\n.\t.+PUNC\ndiyor\tde+VERB+POS+PROG1+A3SG\n</S>\t</S>+ESTag\n");
        f.close();
        QSignalSpy ready(&lab, &TokenizerLab::morphologyReady);
        lab.measureMorphology(gold);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(ready.count(), 1);
        QProcess p;
        p.start(bin + QStringLiteral("/embedlab-cli"),
                {QStringLiteral("morph"), QStringLiteral("boundaries"), QStringLiteral("--gold"), gold,
                 QStringLiteral("--tokenizer"), seed, QStringLiteral("--tokenizer"), gemma, QStringLiteral("--progress"),
                 QStringLiteral("none")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QJsonArray cli = QJsonDocument::fromJson(p.readAllStandardOutput()).array();
        QCOMPARE(cli.size(), 2);
        QTableWidget* t = lab.statsTable();
        QCOMPARE(t->rowCount(), 2);
        for (int row = 0; row < 2; ++row) {
            const QJsonObject o = cli[row].toObject();
            QCOMPARE(t->item(row, 0)->text(), o.value(QStringLiteral("tokenizer")).toString());
            QCOMPARE(t->item(row, 9)->text(), QString::number(100.0 * o.value(QStringLiteral("boundary_hit")).toDouble(), 'f', 1));
            QCOMPARE(t->item(row, 10)->text(), QString::number(100.0 * o.value(QStringLiteral("root_intact")).toDouble(), 'f', 1));
            QCOMPARE(t->item(row, 11)->text(), QString::number(o.value(QStringLiteral("tokens_per_word")).toDouble(), 'f', 2));
            QVERIFY(t->item(row, 9)->toolTip().contains(QStringLiteral("95%")));
        }
        QVERIFY(lab.grab().save(tmp(QStringLiteral("screens/tokenizer_morphology.png"))));
    }

    void generationStreamsTheEngineGreedyTokens() {
        const QString dir = tmp(QStringLiteral("gpt2_bytes"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), dir));
        JobRunner runner;
        ModelsPanel models(&runner);
        GenerationView gen(&runner);
        gen.resize(900, 700);
        gen.show();
        connect(&models, &ModelsPanel::modelLoaded, &gen, [&](int i) {
            gen.setModel(models.session(i), models.info(i).name, models.info(i).causal);
        });
        models.loadModel(dir);
        QVERIFY(runner.waitForIdle(30000));
        QCOMPARE(models.modelCount(), 1);
        QVERIFY(models.info(0).tokenizer.startsWith(QStringLiteral("hf-bpe")));

        GenerationParams p;
        p.maxNewTokens = 12;
        p.temperature = 0.0;  // greedy
        p.topAlternatives = 3;
        p.addSpecial = false;
        gen.setParams(p);
        gen.setPrompt(QStringLiteral("Merhaba"));
        QSignalSpy done(&gen, &GenerationView::finished);
        QVERIFY(gen.generate() != 0);
        QVERIFY(runner.waitForIdle(30000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QCOMPARE(gen.outputCount(), 1);

        // The reference: the engine's own greedy decoding of the same prompt ids.
        auto model = loadModel(dir.toStdString());
        auto tok = loadTokenizer(dir.toStdString());
        const Encoding enc = tok->encode("Merhaba", false);
        GenerationOptions o;
        o.maxNewTokens = 12;
        o.temperature = 0.0;
        o.eosTokenIds = model->config().eosTokenIds;
        const GenerationResult ref = generate(*model, enc.ids, o);
        const auto& chips = gen.output(0)->chips();
        QCOMPARE(chips.size(), static_cast<int>(ref.ids.size()));
        for (int i = 0; i < chips.size(); ++i) {
            QCOMPARE(chips[i].id, ref.ids[static_cast<size_t>(i)]);
            QVERIFY(chips[i].tooltip.contains(QStringLiteral("p = ")));
            // Three alternatives listed under the chosen token.
            QCOMPARE(chips[i].tooltip.count(QStringLiteral("<br>")), 3);
        }
        QVERIFY(gen.statusText().contains(QStringLiteral("decode")));
        QVERIFY(gen.grab().save(tmp(QStringLiteral("screens/generation.png"))));
        // A session keeps the output: a new view restored from it shows the same chips, generating nothing.
        {
            const QJsonObject saved = QJsonDocument::fromJson(QJsonDocument(gen.saveSession()).toJson()).object();
            GenerationView again(&runner);
            SessionReport report;
            again.restoreSession(saved, report);
            QCOMPARE(runner.activeCount(), 0);
            QCOMPARE(again.outputCount(), 1);
            QCOMPARE(again.outputText(0), gen.outputText(0));
            const auto& back = again.output(0)->chips();
            QCOMPARE(back.size(), chips.size());
            for (int i = 0; i < chips.size(); ++i) {
                QCOMPARE(back[i].id, chips[i].id);
                QCOMPARE(back[i].tooltip, chips[i].tooltip);
                QCOMPARE(back[i].color.rgba(), chips[i].color.rgba());  // as #aarrggbb
            }
            QCOMPARE(again.statusText(), gen.statusText());
        }

        // Batch mode: the prompts decode together (engine generateBatch) and each strip streams what
        // that prompt gives alone, with seed + its index.
        const QStringList lines = {QStringLiteral("Merhaba dünya, nasılsın?"), QStringLiteral("Ev"), QStringLiteral("Çok güzel bir gün")};
        p.temperature = 0.9;
        p.seed = 11;
        gen.setParams(p);
        gen.setBatchMode(true);
        gen.setPrompt(lines.join(QLatin1Char('\n')));
        QVERIFY(gen.generate() != 0);
        QVERIFY(runner.waitForIdle(30000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 5000);
        QCOMPARE(gen.outputCount(), 3);
        for (int b = 0; b < lines.size(); ++b) {
            GenerationOptions ob = o;  // the view's parameters: top-k 40, top-p 0.95 by default
            ob.temperature = 0.9;
            ob.topK = p.topK;
            ob.topP = p.topP;
            ob.seed = 11 + static_cast<uint64_t>(b);
            const GenerationResult alone = generate(*model, tok->encode(lines[b].toStdString(), false).ids, ob);
            const auto& bc = gen.output(b)->chips();
            QCOMPARE(bc.size(), static_cast<int>(alone.ids.size()));
            for (int i = 0; i < bc.size(); ++i) QCOMPARE(bc[i].id, alone.ids[static_cast<size_t>(i)]);
        }
        QVERIFY(gen.grab().save(tmp(QStringLiteral("screens/generation_batch.png"))));
    }

    // The view and `embedlab-cli generate` run one engine task (engine/tasks/generate_text.h): with
    // interventions typed in the view and a stop token named only by generation_config.json, both give
    // the same tokens and stop at the same place.
    void generationEqualsTheCliWithInterventionsAndGenerationConfig() {
        const QString bin = qEnvironmentVariable("EMBEDLAB_BIN_DIR");
        if (bin.isEmpty()) QSKIP("EMBEDLAB_BIN_DIR is not set (run through ctest)");
        const QString dir = tmp(QStringLiteral("gpt2_bytes_gencfg"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gpt2_tiny")), dir));
        auto cliGenerate = [&](const QStringList& extra) {
            QProcess p;
            p.start(bin + QStringLiteral("/embedlab-cli"),
                    QStringList{QStringLiteral("generate"), QStringLiteral("--model"), dir, QStringLiteral("--prompt"),
                                QStringLiteral("Merhaba"), QStringLiteral("--max-new-tokens"), QStringLiteral("12"),
                                QStringLiteral("--zero-heads"), QStringLiteral("0:1")} + extra);
            if (!p.waitForFinished(60000) || p.exitCode() != 0) return QJsonObject();
            return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        };
        // The stop token: the first token the intervened model produces only after two others, so that
        // the run stops midway.
        const QJsonObject free = cliGenerate({QStringLiteral("--no-eos")});
        const QJsonArray freeIds = free.value(QStringLiteral("ids")).toArray();
        QCOMPARE(freeIds.size(), 12);
        int firstAt = -1;
        for (int i = 2; i < freeIds.size() && firstAt < 0; ++i) {
            bool seen = false;
            for (int j = 0; j < i; ++j) seen = seen || freeIds[j] == freeIds[i];
            if (!seen) firstAt = i;
        }
        if (firstAt < 0) QSKIP("the greedy output repeats one token; no stop token to choose");
        const qint64 eos = freeIds[firstAt].toInteger();
        QFile g(dir + QStringLiteral("/generation_config.json"));
        QVERIFY(g.open(QIODevice::WriteOnly | QIODevice::Truncate));
        g.write(QJsonDocument(QJsonObject{{QStringLiteral("eos_token_id"), eos}}).toJson());
        g.close();
        const QJsonObject cli = cliGenerate({});
        QCOMPARE(cli.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("eos"));
        QCOMPARE(cli.value(QStringLiteral("ids")).toArray().size(), firstAt + 1);

        JobRunner runner;
        ModelsPanel models(&runner);
        GenerationView gen(&runner);
        connect(&models, &ModelsPanel::modelLoaded, &gen,
                [&](int i) { gen.setModel(models.session(i), models.info(i).name, models.info(i).causal); });
        models.loadModel(dir);
        QVERIFY(runner.waitForIdle(30000));
        GenerationParams p;
        p.maxNewTokens = 12;
        p.temperature = 0.0;
        p.addSpecial = false;
        p.zeroHeads = QStringLiteral("0:1");
        gen.setParams(p);
        QCOMPARE(gen.findChild<QLineEdit*>(QStringLiteral("generationZeroHeads"))->text(), QStringLiteral("0:1"));
        gen.setPrompt(QStringLiteral("Merhaba"));
        QSignalSpy done(&gen, &GenerationView::finished);
        QVERIFY(gen.generate() != 0);
        QVERIFY(runner.waitForIdle(30000));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
        QCOMPARE(done.at(0).at(0).toBool(), true);
        // The view shows the tokens before the stop token (the CLI's ids end with it).
        const auto& chips = gen.output(0)->chips();
        const QJsonArray want = cli.value(QStringLiteral("ids")).toArray();
        QCOMPARE(chips.size(), want.size() - 1);
        for (int i = 0; i < chips.size(); ++i) QCOMPARE(chips[i].id, want[i].toInteger());
        QVERIFY(gen.statusText().contains(QStringLiteral("eos")));
        // A head beyond the model is a message, not a crash.
        p.zeroHeads = QStringLiteral("0:9");
        gen.setParams(p);
        QVERIFY(gen.generate() != 0);
        QVERIFY(runner.waitForIdle(30000));
        QTRY_VERIFY_WITH_TIMEOUT(gen.statusText().contains(QStringLiteral("head 9")), 5000);
    }

    void stopButtonStopsStreaming() {
        // Gemma (no position limit): the batch decodes together, so it must be long enough to stop midway.
        const QString dir = tmp(QStringLiteral("gemma_bytes_stop"));
        QVERIFY(test::makeModelWithByteTokenizer(fx(QStringLiteral("models/gemma3_tiny")), dir));
        JobRunner runner;
        ModelsPanel models(&runner);
        GenerationView gen(&runner);
        models.loadModel(dir);
        QVERIFY(runner.waitForIdle(30000));
        gen.setModel(models.session(0), models.info(0).name, true);
        GenerationParams p;
        p.temperature = 1.0;
        p.maxNewTokens = 4096;
        gen.setParams(p);
        QString prompts;
        for (int i = 0; i < 200; ++i) prompts += QStringLiteral("Satır %1\n").arg(i);
        gen.setBatchMode(true);
        gen.setPrompt(prompts);
        QSignalSpy done(&gen, &GenerationView::finished);
        QVERIFY(gen.generate() != 0);
        QTRY_VERIFY_WITH_TIMEOUT(gen.outputCount() == 200 && !gen.output(0)->chips().isEmpty(), 10000);
        QTest::mouseClick(gen.findChild<QPushButton*>(QStringLiteral("stopButton")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 1000);
        QCOMPARE(done.at(0).at(0).toBool(), false);
        QCOMPARE(gen.statusText(), QStringLiteral("stopped"));
        QVERIFY(!gen.running());
    }

    void encoderCannotGenerate() {
        JobRunner runner;
        ModelsPanel models(&runner);
        GenerationView gen(&runner);
        models.loadModel(fx(QStringLiteral("models/bert_tiny")));
        QVERIFY(runner.waitForIdle(30000));
        gen.setModel(models.session(0), models.info(0).name, models.info(0).causal);
        gen.setPrompt(QStringLiteral("Merhaba"));
        QCOMPARE(gen.generate(), JobId(0));
        QVERIFY(!gen.findChild<QPushButton*>(QStringLiteral("generateButton"))->isEnabled());
    }
};

QTEST_MAIN(TestPanels)
#include "tst_panels.moc"
