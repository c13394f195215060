#include "ui/tokenizers/tokenizer_lab.h"

#include "ui/common/result_widgets.h"
#include "ui/common/export.h"
#include "ui/common/token_strip.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFileDialog>
#include <QJsonObject>
#include <QJsonArray>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

namespace embedlab {

namespace {

const char* kDefaultText =
    "Kitabı masanın üzerine bıraktım. İstanbul'da yaşıyorum ve YouTube'u her gün açıyorum.\n"
    "Nasılsınız? Çekoslovakyalılaştıramadıklarımızdanmışsınız.";

int countWords(const QString& text) {
    return text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts).size();
}

}  // namespace

QColor TokenizerLab::colorForType(TokenType t, int index) {
    switch (t) {
    case TokenType::Root: return QColor(0x9be3a8);
    case TokenType::Suffix: return QColor(0x9cc9f5);
    case TokenType::Bpe: return QColor(0xf7c48b);
    case TokenType::Special: return QColor(0xb8b8b8);
    case TokenType::Byte: return QColor(0xd5b3f0);
    case TokenType::Unknown: return QColor(0xf08a8a);
    case TokenType::Normal: break;
    }
    // Plain tokens alternate between two pastel shades so that neighbours stay distinguishable.
    return index % 2 ? QColor(0xfde9a6) : QColor(0xc9ecf2);
}

TokenizerLab::TokenizerLab(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("tokenizerLab"));
    auto* outer = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    outer->addWidget(split);

    // Top: input + segmentations.
    auto* top = new QWidget(split);
    auto* tl = new QVBoxLayout(top);
    auto* bar = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add tokenizer…"), top);
    add->setObjectName(QStringLiteral("addTokenizerButton"));
    bar->addWidget(new QLabel(tr("Text:"), top));
    bar->addStretch(1);
    bar->addWidget(add);
    tl->addLayout(bar);
    input_ = new QPlainTextEdit(top);
    input_->setObjectName(QStringLiteral("labInput"));
    input_->setPlainText(QString::fromUtf8(kDefaultText));
    input_->setMaximumHeight(90);
    tl->addWidget(input_);
    auto* legend = new QLabel(top);
    legend->setText(QStringLiteral("<span style='background:#9be3a8'>&nbsp;root&nbsp;</span> "
                                   "<span style='background:#9cc9f5'>&nbsp;suffix&nbsp;</span> "
                                   "<span style='background:#f7c48b'>&nbsp;BPE&nbsp;</span> "
                                   "<span style='background:#b8b8b8'>&nbsp;special&nbsp;</span> "
                                   "<span style='background:#d5b3f0'>&nbsp;byte&nbsp;</span> "
                                   "<span style='background:#f08a8a'>&nbsp;unknown&nbsp;</span>"));
    tl->addWidget(legend);
    auto* scroll = new QScrollArea(top);
    scroll->setWidgetResizable(true);
    auto* rowsHost = new QWidget;
    rowsLayout_ = new QVBoxLayout(rowsHost);
    rowsLayout_->addStretch(1);
    scroll->setWidget(rowsHost);
    tl->addWidget(scroll, 1);

    // Bottom: corpus comparison.
    auto* bottom = new QWidget(split);
    auto* bl = new QVBoxLayout(bottom);
    auto* cbar = new QHBoxLayout;
    corpusLabel_ = new QLabel(tr("Corpus comparison: drop or choose a corpus file."), bottom);
    auto* pick = new QPushButton(tr("Compare on corpus…"), bottom);
    pick->setObjectName(QStringLiteral("compareCorpusButton"));
    auto* morph = new QPushButton(tr("Morphology on treebank…"), bottom);
    morph->setObjectName(QStringLiteral("morphologyButton"));
    morph->setToolTip(tr("Boundary hit, root intact and tokens per word of every tokenizer on a gold treebank "
                         "(word<TAB>root+POS+tags lines, e.g. nlptoolkit's penntreebank.txt)"));
    auto* exportChartBtn = new QPushButton(tr("Export chart…"), bottom);
    auto* exportCsvBtn = new QPushButton(tr("Export CSV…"), bottom);
    cbar->addWidget(corpusLabel_, 1);
    cbar->addWidget(pick);
    cbar->addWidget(morph);
    cbar->addWidget(exportChartBtn);
    cbar->addWidget(exportCsvBtn);
    bl->addLayout(cbar);
    table_ = makeResultsTable(bottom, QStringLiteral("tokStatsTable"), 12);
    table_->setHorizontalHeaderLabels({tr("Tokenizer"), tr("Tokens"), tr("Words"), tr("Chars"), tr("Fertility"),
                                       tr("Unique"), tr("TR %"), tr("Pure %"), tr("Seconds"), tr("Boundary hit %"),
                                       tr("Root intact %"), tr("Pieces/word")});
    table_->setMaximumHeight(140);
    bl->addWidget(table_);
    const ChartRow charts = makeChartRow(bottom, QStringLiteral("tokChartArea"), 2, 220);
    chartArea_ = charts.area;
    fertilityView_ = charts.views[0];
    shareView_ = charts.views[1];
    fertilityView_->chart()->setTitle(tr("Fertility (tokens per word) — lower is better"));
    shareView_->chart()->setTitle(tr("TR % and Pure % of unique tokens"));
    bl->addWidget(chartArea_, 1);
    split->addWidget(top);
    split->addWidget(bottom);

    connect(input_, &QPlainTextEdit::textChanged, this, &TokenizerLab::retokenize);
    connect(add, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open a tokenizer"), QString(),
                                                       tr("Tokenizers (tokenizer.json *.json.gz *.model kokler.json)"));
        if (f.isEmpty()) return;
        const QFileInfo fi(f);
        loadTokenizer(fi.fileName() == QLatin1String("kokler.json") ? fi.absolutePath() : f);
    });
    connect(morph, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Choose a gold treebank"), QString(),
                                                       tr("Treebank (*.txt *.tsv);;All files (*)"));
        if (!f.isEmpty()) measureMorphology(f);
    });
    connect(pick, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Choose a corpus"), QString(),
                                                       tr("Text (*.txt *.md *.tsv *.csv *.jsonl);;All files (*)"));
        if (!f.isEmpty()) compareOnCorpus(f);
    });
    onClickSaveAs(exportChartBtn, this, tr("Export chart"), QStringLiteral("tokenizers.png"), imageFileFilter(),
                  [this](const QString& f) { exportChart(f); });
    onClickSaveAs(exportCsvBtn, this, tr("Export table"), QStringLiteral("tokenizers.csv"), tr("CSV (*.csv)"),
                  [this](const QString& f) { exportTableCsv(f); });

}

JobId TokenizerLab::loadTokenizer(const QString& path) {
    auto job = std::make_shared<LoadTokenizerJob>(path);
    const JobHandlePtr h = runner_->submit(job);
    connect(h.get(), &JobHandle::succeeded, this, [this, job, path] { addTokenizer(job->tokenizer, path); });
    return h->id();
}

void TokenizerLab::addTokenizer(TokenizerPtr tokenizer, const QString& path) {
    Row r;
    r.tokenizer = std::move(tokenizer);
    r.path = path;
    const QString title = QStringLiteral("%1 — %2, %3 tokens")
                              .arg(QString::fromStdString(r.tokenizer->name()), QString::fromStdString(r.tokenizer->kind()))
                              .arg(r.tokenizer->vocabSize());
    auto* box = new QGroupBox(title);
    if (items_) {
        OpenItem item;
        item.kind = OpenItem::Kind::Tokenizer;
        item.path = path;
        item.owner = sessionKey();
        item.summary = title;
        item.tokenizer = r.tokenizer;
        items_->add(item);
    }
    auto* l = new QVBoxLayout(box);
    r.stats = new QLabel(box);
    r.strip = new TokenStrip(box);
    l->addWidget(r.stats);
    l->addWidget(r.strip);
    r.box = box;
    rowsLayout_->insertWidget(rowsLayout_->count() - 1, box);
    rows_.push_back(r);
    retokenize();
    Q_EMIT tokenizerAdded(rows_.size() - 1);
}

void TokenizerLab::setText(const QString& text) { input_->setPlainText(text); }
QString TokenizerLab::text() const { return input_->toPlainText(); }
QString TokenizerLab::statsText(int i) const { return rows_.at(i).stats->text(); }

void TokenizerLab::retokenize() {
    // Tokenizers are immutable and fast on a paragraph; very long input is cut for the view.
    QString text = input_->toPlainText();
    const int limit = 20000;
    const bool cut = text.size() > limit;
    if (cut) text.truncate(limit);
    const std::string utf8 = text.toStdString();
    const int words = countWords(text);
    for (auto& r : rows_) {
        QVector<TokenChip> chips;
        try {
            const Encoding enc = r.tokenizer->encode(utf8, false);
            chips.reserve(static_cast<int>(enc.size()));
            for (size_t i = 0; i < enc.size(); ++i) {
                TokenChip c;
                const TokenType t = i < enc.types.size() ? enc.types[i] : TokenType::Normal;
                // Show the surface text when offsets are known, else the vocabulary string.
                QString surface;
                if (i < enc.offsets.size() && enc.offsets[i].second > enc.offsets[i].first &&
                    enc.offsets[i].second <= utf8.size())
                    surface = QString::fromUtf8(utf8.data() + enc.offsets[i].first,
                                                static_cast<int>(enc.offsets[i].second - enc.offsets[i].first));
                else
                    surface = QString::fromStdString(enc.tokens[i]);
                c.text = surface;
                c.id = enc.ids[i];
                c.color = colorForType(t, static_cast<int>(i));
                c.tooltip = QStringLiteral("id %1 · %2 · %3")
                                .arg(enc.ids[i])
                                .arg(QString::fromLatin1(tokenTypeName(t)))
                                .arg(QString::fromStdString(enc.tokens[i]).toHtmlEscaped());
                chips.push_back(c);
            }
            const double fert = words > 0 ? double(enc.size()) / words : 0.0;
            r.stats->setText(tr("%1 tokens · %2 words · fertility %3%4")
                                 .arg(enc.size())
                                 .arg(words)
                                 .arg(fert, 0, 'f', 2)
                                 .arg(cut ? tr(" (first %1 characters)").arg(limit) : QString()));
        } catch (const std::exception& e) {
            r.stats->setText(tr("cannot encode: %1").arg(QString::fromUtf8(e.what())));
        }
        r.strip->setChips(chips);
    }
}

QVector<TokenizerPtr> TokenizerLab::loadedTokenizers() const {
    QVector<TokenizerPtr> t;
    for (const auto& r : rows_) t.push_back(r.tokenizer);
    return t;
}

QStringList TokenizerLab::loadedPaths() const {
    QStringList p;
    for (const auto& r : rows_) p << r.path;
    return p;
}

JobId TokenizerLab::compareOnCorpus(const QString& corpusPath) {
    corpusLabel_->setText(tr("Corpus: %1").arg(QFileInfo(corpusPath).fileName()));
    auto job = std::make_shared<TokStatsJob>(loadedTokenizers(), loadedPaths(), corpusPath);
    const JobHandlePtr h = runner_->submit(job, QStringLiteral("tokstats"));
    connect(h.get(), &JobHandle::succeeded, this, [this, job] { showComparison(job->rows); });
    return h->id();
}

QJsonObject TokenizerLab::saveSession() const {
    QJsonArray paths, rows;
    for (const Row& r : rows_) paths.append(r.path);
    for (const TokStatsRow& r : comparison_)
        rows.append(QJsonObject{{QStringLiteral("tokenizer"), r.tokenizer},
                                {QStringLiteral("tokens"), r.tokens},
                                {QStringLiteral("words"), r.words},
                                {QStringLiteral("chars"), r.chars},
                                {QStringLiteral("unique_tokens"), r.uniqueTokens},
                                {QStringLiteral("fertility"), r.fertility},
                                {QStringLiteral("tr_pct"), r.trPct},
                                {QStringLiteral("pure_pct"), r.purePct},
                                {QStringLiteral("seconds"), r.seconds}});
    QJsonArray morph;
    for (const MorphRow& m : morphology_)
        morph.append(QJsonObject{{QStringLiteral("tokenizer"), m.tokenizer},
                                 {QStringLiteral("words"), m.words},
                                 {QStringLiteral("excluded"), m.excluded},
                                 {QStringLiteral("boundary_hit"), m.boundaryHit},
                                 {QStringLiteral("root_intact"), m.rootIntact},
                                 {QStringLiteral("tokens_per_word"), m.tokensPerWord},
                                 {QStringLiteral("ci95"), QJsonArray{m.hitLo, m.hitHi, m.intactLo, m.intactHi}}});
    return {{QStringLiteral("tokenizers"), paths},
            {QStringLiteral("morphology"), morph},
            {QStringLiteral("text"), text()},
            {QStringLiteral("corpus_label"), corpusLabel_->text()},
            {QStringLiteral("comparison"), rows}};
}

void TokenizerLab::restoreSession(const QJsonObject& state, SessionReport& report) {
    for (Row& r : rows_) delete r.box;
    rows_.clear();
    if (items_) items_->release(sessionKey(), OpenItem::Kind::Tokenizer);
    comparison_.clear();
    morphology_.clear();
    table_->setRowCount(0);
    corpusLabel_->clear();
    if (state.isEmpty()) return;
    setText(state.value(QStringLiteral("text")).toString());
    for (const QJsonValue& v : state.value(QStringLiteral("tokenizers")).toArray()) {
        const QString path = v.toString();
        if (!QFileInfo::exists(path)) report.missing << tr("tokenizer %1").arg(path);
        else loadTokenizer(path);  // interactive lane: reloaded in order
    }
    QVector<TokStatsRow> rows;
    for (const QJsonValue& v : state.value(QStringLiteral("comparison")).toArray()) {
        const QJsonObject o = v.toObject();
        TokStatsRow r;
        r.tokenizer = o.value(QStringLiteral("tokenizer")).toString();
        r.tokens = o.value(QStringLiteral("tokens")).toInteger();
        r.words = o.value(QStringLiteral("words")).toInteger();
        r.chars = o.value(QStringLiteral("chars")).toInteger();
        r.uniqueTokens = o.value(QStringLiteral("unique_tokens")).toInteger();
        r.fertility = o.value(QStringLiteral("fertility")).toDouble();
        r.trPct = o.value(QStringLiteral("tr_pct")).toDouble();
        r.purePct = o.value(QStringLiteral("pure_pct")).toDouble();
        r.seconds = o.value(QStringLiteral("seconds")).toDouble();
        rows.push_back(r);
    }
    if (!rows.isEmpty()) showComparison(rows);
    QVector<MorphRow> morph;
    for (const QJsonValue& v : state.value(QStringLiteral("morphology")).toArray()) {
        const QJsonObject o = v.toObject();
        const QJsonArray ci = o.value(QStringLiteral("ci95")).toArray();
        MorphRow m;
        m.tokenizer = o.value(QStringLiteral("tokenizer")).toString();
        m.words = o.value(QStringLiteral("words")).toInteger();
        m.excluded = o.value(QStringLiteral("excluded")).toInteger();
        m.boundaryHit = o.value(QStringLiteral("boundary_hit")).toDouble();
        m.rootIntact = o.value(QStringLiteral("root_intact")).toDouble();
        m.tokensPerWord = o.value(QStringLiteral("tokens_per_word")).toDouble();
        m.hitLo = ci.at(0).toDouble();
        m.hitHi = ci.at(1).toDouble();
        m.intactLo = ci.at(2).toDouble();
        m.intactHi = ci.at(3).toDouble();
        morph.push_back(m);
    }
    if (!morph.isEmpty()) showMorphology(morph);
    corpusLabel_->setText(state.value(QStringLiteral("corpus_label")).toString());
}

void TokenizerLab::showComparison(const QVector<TokStatsRow>& rows) {
    comparison_ = rows;
    fillTable();
    QStringList names;
    auto* fert = new QBarSet(tr("Fertility"));
    auto* tr_ = new QBarSet(tr("TR %"));
    auto* pure = new QBarSet(tr("Pure %"));
    double maxFert = 1.0;
    for (int i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        names << r.tokenizer;
        *fert << r.fertility;
        *tr_ << r.trPct;
        *pure << r.purePct;
        maxFert = std::max(maxFert, r.fertility);
    }
    auto build = [&names](QChartView* view, QList<QBarSet*> sets, double maxY, const QString& title) {
        auto* chart = new QChart;
        chart->setTitle(title);
        auto* series = new QBarSeries;
        for (auto* s : sets) series->append(s);
        series->setLabelsVisible(true);
        series->setLabelsPrecision(3);
        chart->addSeries(series);
        auto* x = new QBarCategoryAxis;
        x->append(names);
        auto* y = new QValueAxis;
        y->setRange(0, maxY);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        series->attachAxis(x);
        series->attachAxis(y);
        chart->legend()->setAlignment(Qt::AlignBottom);
        QChart* old = view->chart();
        view->setChart(chart);
        delete old;
    };
    build(fertilityView_, {fert}, maxFert * 1.15, tr("Fertility (tokens per word) — lower is better"));
    build(shareView_, {tr_, pure}, 100.0, tr("TR % and Pure % of unique tokens"));
    Q_EMIT comparisonReady();
}

// One row per tokenizer: the corpus statistics and the morphology columns, matched by name.
void TokenizerLab::fillTable() {
    QStringList names;
    for (const auto& r : comparison_) names << r.tokenizer;
    for (const auto& m : morphology_)
        if (!names.contains(m.tokenizer)) names << m.tokenizer;
    table_->clearContents();
    table_->setRowCount(names.size());
    for (int i = 0; i < names.size(); ++i) {
        table_->setItem(i, 0, new QTableWidgetItem(names[i]));
        for (const auto& r : comparison_) {
            if (r.tokenizer != names[i]) continue;
            const QStringList cells = {QString::number(r.tokens),         QString::number(r.words),
                                       QString::number(r.chars),          QString::number(r.fertility, 'f', 3),
                                       QString::number(r.uniqueTokens),   QString::number(r.trPct, 'f', 1),
                                       QString::number(r.purePct, 'f', 1), QString::number(r.seconds, 'f', 3)};
            for (int c = 0; c < cells.size(); ++c) table_->setItem(i, c + 1, new QTableWidgetItem(cells[c]));
        }
        for (const auto& m : morphology_) {
            if (m.tokenizer != names[i]) continue;
            auto* hit = new QTableWidgetItem(QString::number(100.0 * m.boundaryHit, 'f', 1));
            hit->setToolTip(tr("95% interval %1–%2 % over %3 words (%4 excluded)")
                                .arg(100.0 * m.hitLo, 0, 'f', 1)
                                .arg(100.0 * m.hitHi, 0, 'f', 1)
                                .arg(m.words)
                                .arg(m.excluded));
            auto* intact = new QTableWidgetItem(QString::number(100.0 * m.rootIntact, 'f', 1));
            intact->setToolTip(tr("95% interval %1–%2 %").arg(100.0 * m.intactLo, 0, 'f', 1).arg(100.0 * m.intactHi, 0, 'f', 1));
            table_->setItem(i, 9, hit);
            table_->setItem(i, 10, intact);
            table_->setItem(i, 11, new QTableWidgetItem(QString::number(m.tokensPerWord, 'f', 2)));
        }
    }
}

JobId TokenizerLab::measureMorphology(const QString& treebankPath) {
    auto job = std::make_shared<MorphBoundariesJob>(loadedTokenizers(), loadedPaths(), treebankPath);
    const JobHandlePtr h = runner_->submit(job, QStringLiteral("morphology"), JobLane::Long);
    connect(h.get(), &JobHandle::succeeded, this, [this, job] { showMorphology(job->rows); });
    return h->id();
}

void TokenizerLab::showMorphology(const QVector<MorphRow>& rows) {
    morphology_ = rows;
    fillTable();
    Q_EMIT morphologyReady();
}

bool TokenizerLab::exportChart(const QString& path, QString* error) { return exportWidget(chartArea_, path, error); }

bool TokenizerLab::exportTableCsv(const QString& path, QString* error) {
    QByteArray out;
    auto esc = [](QString s) {
        if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')))
            s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
        return s;
    };
    out += "tokenizer,tokens,words,chars,fertility,unique_tokens,tr_pct,pure_pct,seconds\n";
    for (int r = 0; r < table_->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < table_->columnCount(); ++c)
            cells << esc(table_->item(r, c) ? table_->item(r, c)->text() : QString());
        out += cells.join(QLatin1Char(',')).toUtf8() + "\n";
    }
    return saveTextAtomically(path, out, error);
}

}  // namespace embedlab
