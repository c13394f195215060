#include "ui/similarity/similarity_panel.h"

#include "ui/common/export.h"
#include "ui/similarity/heatmap_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonObject>
#include <QJsonArray>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>

namespace embedlab {

namespace {

QString csvField(QString s) {
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')) ||
        s.contains(QLatin1Char('\r')))
        s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    return s;
}

QString formatEta(double s) {
    if (s < 0) return QString();
    if (s < 60) return QObject::tr("ETA %1 s").arg(s, 0, 'f', 0);
    return QObject::tr("ETA %1 min %2 s").arg(int(s) / 60).arg(int(s) % 60);
}

QString formatBytes(qint64 n) {
    if (n < 1024) return QObject::tr("%1 B").arg(n);
    if (n < (1 << 20)) return QObject::tr("%1 KiB").arg(n / 1024.0, 0, 'f', 1);
    if (n < (1ll << 30)) return QObject::tr("%1 MiB").arg(n / 1048576.0, 0, 'f', 1);
    return QObject::tr("%1 GiB").arg(n / 1073741824.0, 0, 'f', 2);
}

const char* const kEncodings[] = {"utf-8", "utf-16le", "utf-16be", "windows-1254", "iso-8859-9"};

}  // namespace

SimilarityPanel::SimilarityPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("similarityPanel"));
    auto* outer = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split, 1);

    // ---- left: corpus, embedding, sentences
    auto* left = new QWidget(split);
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    auto* corpusBox = new QGroupBox(tr("Corpus"), left);
    auto* cf = new QFormLayout(corpusBox);
    auto* corpusRow = new QHBoxLayout;
    corpusLabel_ = new QLabel(tr("drop or open a corpus (.txt .md .csv .tsv .jsonl)"), corpusBox);
    corpusLabel_->setWordWrap(true);
    auto* openBtn = new QPushButton(tr("Open…"), corpusBox);
    openBtn->setObjectName(QStringLiteral("openCorpusButton"));
    corpusRow->addWidget(corpusLabel_, 1);
    corpusRow->addWidget(openBtn);
    cf->addRow(corpusRow);
    textColumn_ = new QComboBox(corpusBox);
    textColumn_->setObjectName(QStringLiteral("textColumnCombo"));
    labelColumn_ = new QComboBox(corpusBox);
    labelColumn_->setObjectName(QStringLiteral("labelColumnCombo"));
    encoding_ = new QComboBox(corpusBox);
    encoding_->setObjectName(QStringLiteral("encodingCombo"));
    unit_ = new QComboBox(corpusBox);
    unit_->setObjectName(QStringLiteral("unitCombo"));
    textColumn_->addItem(tr("(auto)"), QString());
    labelColumn_->addItem(tr("(none)"), QString());
    encoding_->addItem(tr("auto"), QString());
    for (const char* e : kEncodings) encoding_->addItem(QString::fromLatin1(e), QString::fromLatin1(e));
    unit_->addItem(tr("lines"), QStringLiteral("lines"));
    unit_->addItem(tr("paragraphs"), QStringLiteral("paragraphs"));
    unit_->addItem(tr("sentences"), QStringLiteral("sentences"));
    cf->addRow(tr("Text column / field"), textColumn_);
    cf->addRow(tr("Label column / field"), labelColumn_);
    cf->addRow(tr("Encoding"), encoding_);
    cf->addRow(tr("Units"), unit_);
    dedupe_ = new QCheckBox(tr("drop duplicate records"), corpusBox);
    dedupe_->setObjectName(QStringLiteral("dedupeCheck"));
    cf->addRow(QString(), dedupe_);
    corpusStats_ = new QLabel(corpusBox);
    corpusStats_->setObjectName(QStringLiteral("corpusStats"));
    corpusStats_->setWordWrap(true);
    cf->addRow(corpusStats_);
    ll->addWidget(corpusBox);

    auto* embedBox = new QGroupBox(tr("Embedding"), left);
    auto* ef = new QFormLayout(embedBox);
    modelLabel_ = new QLabel(tr("no model — load one in the Models panel"), embedBox);
    modelLabel_->setWordWrap(true);
    ef->addRow(tr("Model"), modelLabel_);
    pooling_ = new QComboBox(embedBox);
    pooling_->setObjectName(QStringLiteral("poolingCombo"));
    for (const char* p : {"mean", "cls", "last", "max"}) pooling_->addItem(QString::fromLatin1(p), QString::fromLatin1(p));
    layer_ = new QSpinBox(embedBox);
    layer_->setObjectName(QStringLiteral("layerSpin"));
    layer_->setRange(-1, 256);
    layer_->setValue(-1);
    layer_->setSpecialValueText(tr("last"));
    normalize_ = new QCheckBox(tr("L2-normalize"), embedBox);
    normalize_->setChecked(true);
    ef->addRow(tr("Pooling"), pooling_);
    ef->addRow(tr("Layer"), layer_);
    ef->addRow(QString(), normalize_);
    auto* embedRow = new QHBoxLayout;
    embedButton_ = new QPushButton(tr("Embed"), embedBox);
    embedButton_->setObjectName(QStringLiteral("embedButton"));
    cancelButton_ = new QPushButton(tr("Cancel"), embedBox);
    cancelButton_->setObjectName(QStringLiteral("cancelEmbedButton"));
    auto* storeBtn = new QPushButton(tr("Open store…"), embedBox);
    embedRow->addWidget(embedButton_);
    embedRow->addWidget(cancelButton_);
    embedRow->addWidget(storeBtn);
    ef->addRow(embedRow);
    progress_ = new QProgressBar(embedBox);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    eta_ = new QLabel(embedBox);
    eta_->setObjectName(QStringLiteral("embedEta"));
    ef->addRow(progress_);
    ef->addRow(eta_);
    ll->addWidget(embedBox);

    ll->addWidget(new QLabel(tr("Sentences (select some for the heatmap):"), left));
    sentences_ = new QListWidget(left);
    sentences_->setObjectName(QStringLiteral("sentenceList"));
    sentences_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    sentences_->setUniformItemSizes(true);
    ll->addWidget(sentences_, 1);

    // ---- right: heatmap / search / pair
    tabs_ = new QTabWidget(split);
    tabs_->setObjectName(QStringLiteral("similarityTabs"));
    auto* heat = new QWidget(tabs_);
    auto* hl = new QVBoxLayout(heat);
    auto* hbar = new QHBoxLayout;
    subset_ = new QComboBox(heat);
    subset_->setObjectName(QStringLiteral("subsetCombo"));
    subset_->addItem(tr("first N"));
    subset_->addItem(tr("random N"));
    subset_->addItem(tr("selected sentences"));
    subsetN_ = new QSpinBox(heat);
    subsetN_->setObjectName(QStringLiteral("subsetN"));
    subsetN_->setRange(1, 400);
    subsetN_->setValue(30);
    seed_ = new QSpinBox(heat);
    seed_->setRange(0, 1 << 30);
    seed_->setValue(1);
    seed_->setPrefix(tr("seed "));
    order_ = new QComboBox(heat);
    order_->setObjectName(QStringLiteral("orderCombo"));
    order_->addItem(tr("input order"));
    order_->addItem(tr("sorted (mean similarity)"));
    order_->addItem(tr("clustered (average linkage)"));
    order_->setCurrentIndex(2);
    showButton_ = new QPushButton(tr("Show"), heat);
    showButton_->setObjectName(QStringLiteral("showHeatmapButton"));
    auto* exportImg = new QPushButton(tr("Export image…"), heat);
    auto* exportCsv = new QPushButton(tr("Export CSV…"), heat);
    hbar->addWidget(subset_);
    hbar->addWidget(subsetN_);
    hbar->addWidget(seed_);
    hbar->addWidget(order_);
    hbar->addWidget(showButton_);
    hbar->addStretch(1);
    hbar->addWidget(exportImg);
    hbar->addWidget(exportCsv);
    hl->addLayout(hbar);
    heatmap_ = new HeatmapView(heat);
    hl->addWidget(heatmap_, 1);
    hoverLabel_ = new QLabel(heat);
    hoverLabel_->setObjectName(QStringLiteral("heatmapHover"));
    hoverLabel_->setWordWrap(true);
    hoverLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    hoverLabel_->setMinimumHeight(48);
    hl->addWidget(hoverLabel_);
    tabs_->addTab(heat, tr("Heatmap"));

    auto* searchTab = new QWidget(tabs_);
    auto* sl = new QVBoxLayout(searchTab);
    auto* sbar = new QHBoxLayout;
    query_ = new QLineEdit(searchTab);
    query_->setObjectName(QStringLiteral("searchQuery"));
    query_->setPlaceholderText(tr("Query, e.g. \"Kitap okumayı severim\""));
    k_ = new QSpinBox(searchTab);
    k_->setRange(1, 1000);
    k_->setValue(10);
    k_->setPrefix(tr("top "));
    searchButton_ = new QPushButton(tr("Search"), searchTab);
    searchButton_->setObjectName(QStringLiteral("searchButton"));
    sbar->addWidget(query_, 1);
    sbar->addWidget(k_);
    sbar->addWidget(searchButton_);
    sl->addLayout(sbar);
    results_ = new QTableWidget(0, 5, searchTab);
    results_->setObjectName(QStringLiteral("searchResults"));
    results_->setHorizontalHeaderLabels({tr("Rank"), tr("Cosine"), tr("Row"), tr("Text"), tr("Label")});
    results_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    results_->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    results_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    results_->verticalHeader()->setVisible(false);
    sl->addWidget(results_, 1);
    tabs_->addTab(searchTab, tr("Semantic search"));

    auto* pairTab = new QWidget(tabs_);
    auto* pl = new QVBoxLayout(pairTab);
    pairA_ = new QPlainTextEdit(pairTab);
    pairA_->setObjectName(QStringLiteral("pairA"));
    pairA_->setPlainText(QStringLiteral("Bugün hava çok güzel."));
    pairB_ = new QPlainTextEdit(pairTab);
    pairB_->setObjectName(QStringLiteral("pairB"));
    pairB_->setPlainText(QStringLiteral("Hava bugün oldukça güneşli."));
    pairA_->setMaximumHeight(120);
    pairB_->setMaximumHeight(120);
    pairButton_ = new QPushButton(tr("Score"), pairTab);
    pairButton_->setObjectName(QStringLiteral("pairButton"));
    pairLabel_ = new QLabel(tr("cosine: —"), pairTab);
    pairLabel_->setObjectName(QStringLiteral("pairScore"));
    QFont big = pairLabel_->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    pairLabel_->setFont(big);
    pl->addWidget(new QLabel(tr("Text A"), pairTab));
    pl->addWidget(pairA_);
    pl->addWidget(new QLabel(tr("Text B"), pairTab));
    pl->addWidget(pairB_);
    auto* prow = new QHBoxLayout;
    prow->addWidget(pairButton_);
    prow->addWidget(pairLabel_, 1);
    pl->addLayout(prow);
    pl->addStretch(1);
    tabs_->addTab(pairTab, tr("Pair scorer"));

    split->addWidget(left);
    split->addWidget(tabs_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);

    status_ = new QLabel(tr("Drop or open a corpus, load a model, then Embed."), this);
    status_->setObjectName(QStringLiteral("similarityStatus"));
    status_->setWordWrap(true);
    outer->addWidget(status_);

    // ---- wiring
    connect(openBtn, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open a corpus"), QString(),
                                                       tr("Corpora (*.txt *.md *.csv *.tsv *.tab *.jsonl *.ndjson);;All files (*)"));
        if (!f.isEmpty()) openCorpus(f);
    });
    connect(storeBtn, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Open a vector store folder"), cacheFolder());
        if (!d.isEmpty()) openStore(d);
    });
    for (QComboBox* c : {textColumn_, labelColumn_, encoding_, unit_})
        connect(c, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
            if (!updatingCombos_) reopenCorpus();
        });
    connect(dedupe_, &QCheckBox::toggled, this, [this] {
        if (!updatingCombos_) reopenCorpus();
    });
    connect(embedButton_, &QPushButton::clicked, this, [this] { embed(); });
    connect(cancelButton_, &QPushButton::clicked, this, &SimilarityPanel::cancelEmbedding);
    connect(showButton_, &QPushButton::clicked, this, [this] { computeHeatmap(); });
    onClickSaveAs(exportImg, this, tr("Export heatmap"), QStringLiteral("heatmap.png"), imageFileFilter(),
                  [this](const QString& f) { exportHeatmap(f); });
    onClickSaveAs(exportCsv, this, tr("Export heatmap values"), QStringLiteral("heatmap.csv"), tr("CSV (*.csv)"),
                  [this](const QString& f) { exportHeatmapCsv(f); });
    connect(searchButton_, &QPushButton::clicked, this, [this] { search(query_->text(), k_->value()); });
    connect(query_, &QLineEdit::returnPressed, this, [this] { search(query_->text(), k_->value()); });
    connect(pairButton_, &QPushButton::clicked, this,
            [this] { scorePair(pairA_->toPlainText(), pairB_->toPlainText()); });
    connect(heatmap_, &HeatmapView::cellHovered, this,
            [this](int i, int j, double) { hoverLabel_->setText(heatmap_->hoverText(i, j)); });
    connect(sentences_, &QListWidget::itemSelectionChanged, this, [this] {
        if (!sentences_->selectedItems().isEmpty()) subset_->setCurrentIndex(int(Subset::Selection));
    });

    updateButtons();
}

QString SimilarityPanel::cacheFolder() {
    const QString base = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    return (base.isEmpty() ? QDir::tempPath() + QStringLiteral("/embedlab-cache") : base) + QStringLiteral("/vector-stores");
}

void SimilarityPanel::setModel(ModelSessionPtr session, const ModelInfo& info) {
    session_ = std::move(session);
    modelInfo_ = session_ ? info : ModelInfo();
    if (session_) {
        modelLabel_->setText(QStringLiteral("%1 (%2, %3 layers%4)")
                                 .arg(info.name, info.architecture)
                                 .arg(info.layers)
                                 .arg(info.tokenizer.isEmpty() ? tr(", no tokenizer!") : QString()));
        layer_->setMaximum(std::max(0, info.layers));
        if (info.architecture == QLatin1String("bert") || info.architecture == QLatin1String("xlm-roberta")) {
            // Encoders: mean pooling stays the default; CLS is one click away.
        }
    } else {
        modelLabel_->setText(tr("no model — load one in the Models panel"));
    }
    updateButtons();
}

CorpusParams SimilarityPanel::corpusParams() const {
    CorpusParams p;
    p.textColumn = textColumn_->currentData().toString();
    p.labelColumn = labelColumn_->currentData().toString();
    p.encoding = encoding_->currentData().toString();
    p.unit = unit_->currentData().toString();
    p.dedupe = dedupe_->isChecked();
    return p;
}

// Holds the panel's handle on a job of its own while it runs; a failure is shown in the status line.
void SimilarityPanel::track(JobHandlePtr& slot, const JobHandlePtr& h, const QString& failWhat) {
    slot = h;
    JobHandle* raw = h.get();
    connect(raw, &JobHandle::failed, this, [this, failWhat](const QString& message) {
        setStatus(failWhat + QStringLiteral(": ") + message, true);
        Q_EMIT failed(message);
    });
    connect(raw, &JobHandle::finished, this, [this, &slot, raw] {
        if (slot.get() == raw) slot.reset();
        updateButtons();
    });
}

void SimilarityPanel::showMatrix(const SimilarityMatrixJob& m) {
    heatmap_->setData(m.matrix, m.texts, m.rows);
    heatmap_->setTitle(tr("Cosine similarity of %1 sentences — %2").arg(m.rows.size()).arg(order_->currentText()));
    setStatus(tr("Heatmap of %1 sentences (cosine %2 … %3).")
                  .arg(m.rows.size())
                  .arg(double(heatmap_->minValue()), 0, 'f', 3)
                  .arg(double(heatmap_->maxValue()), 0, 'f', 3));
    Q_EMIT heatmapReady();
}

void SimilarityPanel::showHits(const QVector<SearchHit>& hits) {
    hits_ = hits;
    results_->setRowCount(hits_.size());
    for (int r = 0; r < hits_.size(); ++r) {
        const SearchHit& h = hits_[r];
        const QStringList cells = {QString::number(r + 1), QString::number(h.score, 'f', 4), QString::number(h.row),
                                   h.text, h.label};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 3) item->setToolTip(h.text);
            results_->setItem(r, c, item);
        }
    }
    setStatus(tr("%1 results.").arg(hits_.size()));
    Q_EMIT searchReady();
}

// The embedding job (embed or reopen a store): progress bar, ETA, and what a cancel means.
void SimilarityPanel::trackEmbedding(const JobHandlePtr& h, std::function<void()> onSuccess) {
    track(embedJob_, h, tr("Embedding failed"));
    connect(h.get(), &JobHandle::progress, this, [this](double f, const QString& msg, double eta) {
        progress_->setValue(static_cast<int>(std::clamp(f, 0.0, 1.0) * 1000));
        eta_->setText(msg + (eta >= 0 ? QStringLiteral(" · ") + formatEta(eta) : QString()));
    });
    connect(h.get(), &JobHandle::succeeded, this, [this, onSuccess] {
        progress_->setValue(1000);
        onSuccess();
    });
    connect(h.get(), &JobHandle::failed, this, [this](const QString&) {
        progress_->setValue(0);
        eta_->clear();
    });
    connect(h.get(), &JobHandle::cancelled, this, [this] {
        progress_->setValue(0);
        eta_->setText(tr("cancelled"));
        setStatus(tr("Embedding cancelled; no vector store was written."));
    });
}

JobId SimilarityPanel::openCorpus(const QString& path) {
    if (path != corpusPath_) {
        // A new file: the column choices of the previous one do not apply.
        updatingCombos_ = true;
        textColumn_->setCurrentIndex(0);
        labelColumn_->setCurrentIndex(0);
        encoding_->setCurrentIndex(0);
        updatingCombos_ = false;
    }
    corpusPath_ = path;
    corpusLabel_->setText(QFileInfo(path).fileName());
    corpusLabel_->setToolTip(path);
    reopenCorpus();
    return corpusJob_ ? corpusJob_->id() : 0;
}

void SimilarityPanel::reopenCorpus() {
    if (corpusPath_.isEmpty()) return;
    corpusStats_->setText(tr("reading…"));
    auto job = std::make_shared<OpenCorpusJob>(corpusPath_, corpusParams());
    track(corpusJob_, runner_->submit(job, QStringLiteral("similarity-corpus")), tr("Cannot read the corpus"));
    connect(corpusJob_.get(), &JobHandle::succeeded, this, [this, job] { showCorpus(job->result); });
    connect(corpusJob_.get(), &JobHandle::failed, this, [this](const QString& message) {
        corpusStats_->setText(tr("not readable: %1").arg(message));
        // The panel now names a file it could not read: the workspace no longer has a corpus from it.
        if (items_) items_->release(sessionKey(), OpenItem::Kind::Corpus);
    });
    updateButtons();
}

void SimilarityPanel::showCorpus(const CorpusSummary& s) {
    corpus_ = s;
    if (items_) {
        OpenItem item;
        item.kind = OpenItem::Kind::Corpus;
        item.path = corpusPath_.isEmpty() ? s.path : corpusPath_;
        item.summary = tr("%1 records, %2 words, %3").arg(s.records).arg(s.words).arg(s.encoding);
        item.corpus = s;
        items_->hold(sessionKey(), item);
    }
    updatingCombos_ = true;
    const QString text = textColumn_->currentData().toString(), label = labelColumn_->currentData().toString();
    textColumn_->clear();
    labelColumn_->clear();
    textColumn_->addItem(tr("(auto)"), QString());
    labelColumn_->addItem(tr("(none)"), QString());
    for (const QString& c : s.columns) {
        textColumn_->addItem(c, c);
        labelColumn_->addItem(c, c);
    }
    textColumn_->setCurrentIndex(std::max(0, textColumn_->findData(text)));
    labelColumn_->setCurrentIndex(std::max(0, labelColumn_->findData(label)));
    const bool table = !s.columns.isEmpty();
    textColumn_->setEnabled(table);
    labelColumn_->setEnabled(table);
    encoding_->setItemText(0, s.encodingDetected ? tr("auto (detected: %1)").arg(s.encoding) : tr("auto"));
    updatingCombos_ = false;
    QString used;
    if (table && s.textColumn >= 0 && s.textColumn < s.columns.size())
        used = tr(" · text: %1").arg(s.columns[s.textColumn]);
    if (table && s.labelColumn >= 0 && s.labelColumn < s.columns.size())
        used += tr(" · label: %1").arg(s.columns[s.labelColumn]);
    corpusStats_->setText(tr("%1 · %2 records · %3 words (%4 distinct) · %5%6\nencoding %7 (%8)%9")
                              .arg(s.format)
                              .arg(s.records)
                              .arg(s.words)
                              .arg(s.uniqueWords)
                              .arg(formatBytes(s.bytes))
                              .arg(used)
                              .arg(s.encoding)
                              .arg(s.encodingDetected ? s.encodingReason : tr("chosen"))
                              .arg((s.emptySkipped ? tr(" · %1 empty skipped").arg(s.emptySkipped) : QString()) +
                                   (s.duplicatesRemoved ? tr(" · %1 duplicates dropped").arg(s.duplicatesRemoved)
                                                        : QString())));
    setStatus(tr("Corpus %1: %2 records. %3")
                  .arg(QFileInfo(s.path).fileName())
                  .arg(s.records)
                  .arg(session_ ? tr("Press Embed.") : tr("Load a model to embed it.")));
    Q_EMIT corpusReady();
}

void SimilarityPanel::setTextColumn(const QString& column) {
    int i = textColumn_->findData(column);
    if (i < 0) {
        textColumn_->addItem(column, column);
        i = textColumn_->count() - 1;
    }
    textColumn_->setCurrentIndex(i);
}

void SimilarityPanel::setLabelColumn(const QString& column) {
    int i = labelColumn_->findData(column);
    if (i < 0) {
        labelColumn_->addItem(column, column);
        i = labelColumn_->count() - 1;
    }
    labelColumn_->setCurrentIndex(i);
}

void SimilarityPanel::setEncodingOverride(const QString& encoding) {
    const int i = encoding_->findData(encoding);
    encoding_->setCurrentIndex(std::max(0, i));
}

void SimilarityPanel::setUnit(const QString& unit) {
    const int i = unit_->findData(unit);
    if (i >= 0) unit_->setCurrentIndex(i);
}

void SimilarityPanel::setDedupe(bool on) { dedupe_->setChecked(on); }

void SimilarityPanel::setEmbedParams(const EmbedParams& p) {
    pooling_->setCurrentIndex(std::max(0, pooling_->findData(p.pooling)));
    layer_->setValue(p.layer);
    normalize_->setChecked(p.normalize);
}

EmbedParams SimilarityPanel::embedParams() const {
    EmbedParams p;
    p.pooling = pooling_->currentData().toString();
    p.layer = layer_->value();
    p.normalize = normalize_->isChecked();
    return p;
}

QString SimilarityPanel::storePathFor(const QString& corpusPath) const {
    const QFileInfo fi(corpusPath);
    const CorpusParams c = corpusParams();
    const EmbedParams e = embedParams();
    QCryptographicHash h(QCryptographicHash::Sha1);
    const QStringList parts = {modelInfo_.path,
                               modelInfo_.dtype,
                               fi.canonicalFilePath().isEmpty() ? fi.absoluteFilePath() : fi.canonicalFilePath(),
                               QString::number(fi.size()),
                               QString::number(fi.lastModified().toMSecsSinceEpoch()),
                               c.textColumn,
                               c.labelColumn,
                               c.encoding,
                               c.unit,
                               c.dedupe ? QStringLiteral("dedupe") : QString(),
                               e.pooling,
                               QString::number(e.layer),
                               e.normalize ? QStringLiteral("1") : QStringLiteral("0"),
                               QString::number(e.maxLength)};
    h.addData(parts.join(QChar(0x1f)).toUtf8());
    QString stem = fi.completeBaseName();
    stem.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    return cacheFolder() + QLatin1Char('/') + stem.left(40) + QLatin1Char('-') +
           QString::fromLatin1(h.result().toHex().left(16)) + QStringLiteral(".vstore");
}

JobId SimilarityPanel::embed(bool force) {
    if (corpusPath_.isEmpty()) {
        setStatus(tr("Open or drop a corpus first."), true);
        return 0;
    }
    if (!session_) {
        setStatus(tr("Load a model in the Models panel first."), true);
        return 0;
    }
    const QString store = storePathFor(corpusPath_);
    QDir().mkpath(cacheFolder());
    progress_->setValue(0);
    eta_->clear();
    if (!force && QFileInfo::exists(store + QStringLiteral("/manifest.json"))) {
        auto job = std::make_shared<OpenStoreJob>(store);
        trackEmbedding(runner_->submit(job, QStringLiteral("similarity-embed")), [this, job] { showStore(job->store, job->info); });
        setStatus(tr("Reopening the cached vector store %1.").arg(QFileInfo(store).fileName()));
    } else {
        // A corpus can take minutes: the long lane, so that search and the map stay responsive.
        auto job = std::make_shared<EmbedCorpusJob>(session_, corpusPath_, corpusParams(), embedParams(), store);
        trackEmbedding(runner_->submit(job, QStringLiteral("similarity-embed"), JobLane::Long),
                       [this, job] { showStore(job->store, job->info); });
        setStatus(tr("Embedding %1 with %2…").arg(QFileInfo(corpusPath_).fileName(), modelInfo_.name));
    }
    updateButtons();
    return embedJob_ ? embedJob_->id() : 0;
}

JobId SimilarityPanel::openStore(const QString& path) {
    auto job = std::make_shared<OpenStoreJob>(path);
    trackEmbedding(runner_->submit(job, QStringLiteral("similarity-embed")), [this, job] { showStore(job->store, job->info); });
    updateButtons();
    return embedJob_->id();
}

void SimilarityPanel::cancelEmbedding() {
    if (embedJob_) embedJob_->cancel();
}

void SimilarityPanel::showStore(EmbeddingStorePtr store, const StoreInfo& info) {
    store_ = std::move(store);
    storeInfo_ = info;
    if (items_) {
        OpenItem item;
        item.kind = OpenItem::Kind::VectorStore;
        item.path = info.path;
        item.summary = tr("%1 × %2 vectors (%3 · %4)").arg(info.count).arg(info.dim).arg(QFileInfo(info.model).fileName(), info.pooling);
        item.store = store_;
        item.storeInfo = info;
        items_->hold(sessionKey(), item);
    }
    sentences_->clear();
    const int shown = std::min<int>(info.texts.size(), 50000);
    QStringList items;
    items.reserve(shown);
    for (int i = 0; i < shown; ++i) {
        QString t = info.texts[i].simplified();
        if (t.size() > 200) t = t.left(199) + QChar(0x2026);
        items << QStringLiteral("%1  %2").arg(i).arg(t);
    }
    sentences_->addItems(items);
    const QString how = info.reopened ? tr("reopened from the cache")
                                      : tr("embedded in %1 s (%2 sentences/s)")
                                            .arg(info.seconds, 0, 'f', 2)
                                            .arg(info.sentencesPerSecond, 0, 'f', 1);
    eta_->setText(tr("%1 × %2 vectors, %3").arg(info.count).arg(info.dim).arg(how));
    setStatus(tr("Vector store %1: %2 × %3 (%4 · layer %5), %6.")
                  .arg(QFileInfo(info.path).fileName())
                  .arg(info.count)
                  .arg(info.dim)
                  .arg(info.pooling)
                  .arg(info.layer)
                  .arg(how));
    Q_EMIT storeReady();
}

void SimilarityPanel::setSubset(Subset s, int n, quint64 seed) {
    subset_->setCurrentIndex(int(s));
    subsetN_->setValue(n);
    seed_->setValue(static_cast<int>(seed));
}

void SimilarityPanel::setOrder(MatrixOrder order) { order_->setCurrentIndex(int(order)); }

QVector<qint64> SimilarityPanel::subsetRows() const {
    QVector<qint64> rows;
    const qint64 count = storeInfo_.count;
    if (!store_ || count == 0) return rows;
    const int n = static_cast<int>(std::min<qint64>(subsetN_->value(), count));
    switch (Subset(subset_->currentIndex())) {
    case Subset::First:
        for (int i = 0; i < n; ++i) rows << i;
        break;
    case Subset::Random: {
        // A partial Fisher–Yates shuffle with a seeded generator; rows kept in corpus order.
        QRandomGenerator gen(static_cast<quint32>(seed_->value()));
        QVector<qint64> all(static_cast<int>(count));
        std::iota(all.begin(), all.end(), 0);
        for (int i = 0; i < n; ++i) {
            const int j = i + static_cast<int>(gen.bounded(static_cast<quint32>(count - i)));
            std::swap(all[i], all[j]);
        }
        rows = all.mid(0, n);
        std::sort(rows.begin(), rows.end());
        break;
    }
    case Subset::Selection:
        for (const auto* item : sentences_->selectedItems()) rows << sentences_->row(item);
        std::sort(rows.begin(), rows.end());
        if (rows.size() > 400) rows.resize(400);
        break;
    }
    return rows;
}

JobId SimilarityPanel::computeHeatmap() {
    if (!store_) {
        setStatus(tr("Embed a corpus first."), true);
        return 0;
    }
    const QVector<qint64> rows = subsetRows();
    if (rows.isEmpty()) {
        setStatus(tr("The subset is empty: select sentences in the list (or choose first/random N)."), true);
        return 0;
    }
    auto job = std::make_shared<SimilarityMatrixJob>(store_, rows, MatrixOrder(order_->currentIndex()));
    track(matrixJob_, runner_->submit(job, QStringLiteral("similarity-matrix")), tr("Heatmap failed"));
    connect(matrixJob_.get(), &JobHandle::succeeded, this, [this, job] { showMatrix(*job); });
    return matrixJob_->id();
}

bool SimilarityPanel::exportHeatmap(const QString& path, QString* error) {
    QString err;
    const bool ok = exportWidget(heatmap_, path, &err);
    if (!ok) setStatus(err, true);
    if (error) *error = err;
    return ok;
}

bool SimilarityPanel::exportHeatmapCsv(const QString& path, QString* error) {
    const int n = heatmap_->size();
    if (n == 0) {
        if (error) *error = tr("no heatmap to export");
        setStatus(tr("No heatmap to export."), true);
        return false;
    }
    QByteArray out = "row,text";
    for (int j = 0; j < n; ++j) out += "," + QByteArray::number(heatmap_->rows()[j]);
    out += "\n";
    for (int i = 0; i < n; ++i) {
        out += QByteArray::number(heatmap_->rows()[i]) + "," + csvField(heatmap_->texts()[i]).toUtf8();
        for (int j = 0; j < n; ++j) out += "," + QByteArray::number(double(heatmap_->value(i, j)), 'g', 9);
        out += "\n";
    }
    QString err;
    const bool ok = saveTextAtomically(path, out, &err);
    if (!ok) setStatus(err, true);
    if (error) *error = err;
    return ok;
}

JobId SimilarityPanel::search(const QString& query, int k) {
    query_->setText(query);
    k_->setValue(k);
    if (!store_) {
        setStatus(tr("Embed a corpus first, then search it."), true);
        return 0;
    }
    if (query.trimmed().isEmpty()) {
        setStatus(tr("Type a query."), true);
        return 0;
    }
    auto job = std::make_shared<SearchJob>(session_, store_, query, k);
    track(searchJob_, runner_->submit(job, QStringLiteral("similarity-search")), tr("Search failed"));
    connect(searchJob_.get(), &JobHandle::succeeded, this, [this, job] { showHits(job->hits); });
    return searchJob_->id();
}

JobId SimilarityPanel::scorePair(const QString& a, const QString& b) {
    if (pairA_->toPlainText() != a) pairA_->setPlainText(a);
    if (pairB_->toPlainText() != b) pairB_->setPlainText(b);
    if (!session_) {
        setStatus(tr("Load a model in the Models panel first."), true);
        return 0;
    }
    auto job = std::make_shared<PairScoreJob>(session_, a, b, embedParams());
    track(pairJob_, runner_->submit(job, QStringLiteral("similarity-pair")), tr("Pair score failed"));
    connect(pairJob_.get(), &JobHandle::succeeded, this, [this, job] {
        pairScore_ = job->cosine;
        pairLabel_->setText(tr("cosine: %1").arg(pairScore_, 0, 'f', 4));
        setStatus(tr("Pair scored with %1.").arg(modelInfo_.name));
        Q_EMIT pairScored(pairScore_);
    });
    return pairJob_->id();
}

QJsonObject SimilarityPanel::saveSession() const {
    QJsonObject o;
    const CorpusParams c = corpusParams();
    const EmbedParams e = embedParams();
    o[QStringLiteral("corpus")] = corpusPath_;
    o[QStringLiteral("text_column")] = c.textColumn;
    o[QStringLiteral("label_column")] = c.labelColumn;
    o[QStringLiteral("encoding")] = c.encoding;
    o[QStringLiteral("unit")] = c.unit;
    o[QStringLiteral("dedupe")] = c.dedupe;
    o[QStringLiteral("pooling")] = e.pooling;
    o[QStringLiteral("layer")] = e.layer;
    o[QStringLiteral("normalize")] = e.normalize;
    if (store_) {
        o[QStringLiteral("store")] = storeInfo_.path;
        // How the store came to be (shown beside it): embedded now, with its speed, or reopened.
        o[QStringLiteral("store_seconds")] = storeInfo_.seconds;
        o[QStringLiteral("store_sentences_per_second")] = storeInfo_.sentencesPerSecond;
        o[QStringLiteral("store_reopened")] = storeInfo_.reopened;
    }
    o[QStringLiteral("subset")] = subset_->currentIndex();
    o[QStringLiteral("subset_n")] = subsetN_->value();
    o[QStringLiteral("seed")] = seed_->value();
    o[QStringLiteral("order")] = order_->currentIndex();
    if (heatmap_->size() > 0) {
        QJsonArray m, texts, rows;
        for (float v : heatmap_->matrix()) m.append(double(v));
        for (const QString& t : heatmap_->texts()) texts.append(t);
        for (qint64 r : heatmap_->rows()) rows.append(r);
        o[QStringLiteral("heatmap")] = QJsonObject{{QStringLiteral("matrix"), m},
                                                   {QStringLiteral("texts"), texts},
                                                   {QStringLiteral("rows"), rows},
                                                   {QStringLiteral("title"), heatmap_->title()}};
    }
    o[QStringLiteral("query")] = query_->text();
    o[QStringLiteral("k")] = k_->value();
    QJsonArray hits;
    for (const SearchHit& h : hits_)
        hits.append(QJsonObject{{QStringLiteral("row"), h.row},
                                {QStringLiteral("score"), h.score},
                                {QStringLiteral("text"), h.text},
                                {QStringLiteral("label"), h.label}});
    o[QStringLiteral("hits")] = hits;
    o[QStringLiteral("pair_a")] = pairA_->toPlainText();
    o[QStringLiteral("pair_b")] = pairB_->toPlainText();
    if (pairLabel_->text().startsWith(QStringLiteral("cosine"))) o[QStringLiteral("pair_score")] = pairScore_;
    o[QStringLiteral("tab")] = tabs_->currentIndex();
    o[QStringLiteral("status")] = status_->text();
    o[QStringLiteral("status_error")] = !status_->styleSheet().isEmpty();
    return o;
}

void SimilarityPanel::restoreSession(const QJsonObject& state, SessionReport& report) {
    for (JobHandlePtr* j : {&corpusJob_, &embedJob_, &matrixJob_, &searchJob_, &pairJob_})
        if (*j) (*j)->cancel();
    corpusPath_.clear();
    corpus_ = CorpusSummary();
    store_.reset();
    if (items_) {
        items_->release(sessionKey(), OpenItem::Kind::Corpus);
        items_->release(sessionKey(), OpenItem::Kind::VectorStore);
    }
    storeInfo_ = StoreInfo();
    sentences_->clear();
    heatmap_->clear();
    hits_.clear();
    results_->setRowCount(0);
    pairScore_ = 0;
    pairLabel_->clear();
    corpusLabel_->clear();
    corpusStats_->clear();
    progress_->setValue(0);
    eta_->clear();
    if (state.isEmpty()) {
        updateButtons();
        return;
    }
    EmbedParams e = embedParams();
    e.pooling = state.value(QStringLiteral("pooling")).toString(e.pooling);
    e.layer = state.value(QStringLiteral("layer")).toInt(e.layer);
    e.normalize = state.value(QStringLiteral("normalize")).toBool(e.normalize);
    setEmbedParams(e);
    setSubset(Subset(std::clamp(state.value(QStringLiteral("subset")).toInt(), 0, 2)),
              state.value(QStringLiteral("subset_n")).toInt(subsetN_->value()),
              quint64(state.value(QStringLiteral("seed")).toInt(seed_->value())));
    setOrder(MatrixOrder(std::clamp(state.value(QStringLiteral("order")).toInt(), 0, 2)));
    const QString corpus = state.value(QStringLiteral("corpus")).toString();
    if (!corpus.isEmpty()) {
        if (!QFileInfo::exists(corpus)) {
            report.missing << tr("corpus %1").arg(corpus);
        } else {
            updatingCombos_ = true;
            auto choose = [](QComboBox* box, const QString& value) {
                int i = box->findData(value);
                if (i < 0 && !value.isEmpty()) {
                    box->addItem(value, value);
                    i = box->count() - 1;
                }
                box->setCurrentIndex(std::max(0, i));
            };
            choose(textColumn_, state.value(QStringLiteral("text_column")).toString());
            choose(labelColumn_, state.value(QStringLiteral("label_column")).toString());
            choose(encoding_, state.value(QStringLiteral("encoding")).toString());
            const int u = unit_->findData(state.value(QStringLiteral("unit")).toString());
            if (u >= 0) unit_->setCurrentIndex(u);
            dedupe_->setChecked(state.value(QStringLiteral("dedupe")).toBool());
            updatingCombos_ = false;
            corpusPath_ = corpus;
            corpusLabel_->setText(QFileInfo(corpus).fileName());
            corpusLabel_->setToolTip(corpus);
            reopenCorpus();
        }
    }
    const QString store = state.value(QStringLiteral("store")).toString();
    if (!store.isEmpty()) {
        if (!QFileInfo::exists(store + QStringLiteral("/manifest.json"))) report.missing << tr("vector store %1").arg(store);
        else {
            auto job = std::make_shared<OpenStoreJob>(store);
            const double seconds = state.value(QStringLiteral("store_seconds")).toDouble();
            const double rate = state.value(QStringLiteral("store_sentences_per_second")).toDouble();
            const bool reopened = state.value(QStringLiteral("store_reopened")).toBool(true);
            trackEmbedding(runner_->submit(job, QStringLiteral("similarity-embed")),
                           [this, job, seconds, rate, reopened] {
                               StoreInfo info = job->info;
                               info.seconds = seconds;
                               info.sentencesPerSecond = rate;
                               info.reopened = reopened;
                               showStore(job->store, info);
                           });
        }
    }
    const QJsonObject hm = state.value(QStringLiteral("heatmap")).toObject();
    if (!hm.isEmpty()) {
        QVector<float> m;
        QStringList texts;
        QVector<qint64> rows;
        for (const QJsonValue& v : hm.value(QStringLiteral("matrix")).toArray()) m << float(v.toDouble());
        for (const QJsonValue& v : hm.value(QStringLiteral("texts")).toArray()) texts << v.toString();
        for (const QJsonValue& v : hm.value(QStringLiteral("rows")).toArray()) rows << v.toInteger();
        if (m.size() == qsizetype(texts.size()) * texts.size() && rows.size() == texts.size()) {
            heatmap_->setData(m, texts, rows);
            heatmap_->setTitle(hm.value(QStringLiteral("title")).toString());
        }
    }
    query_->setText(state.value(QStringLiteral("query")).toString());
    k_->setValue(state.value(QStringLiteral("k")).toInt(k_->value()));
    QVector<SearchHit> hits;
    for (const QJsonValue& v : state.value(QStringLiteral("hits")).toArray()) {
        const QJsonObject h = v.toObject();
        hits.push_back({h.value(QStringLiteral("row")).toInteger(), h.value(QStringLiteral("score")).toDouble(),
                        h.value(QStringLiteral("text")).toString(), h.value(QStringLiteral("label")).toString()});
    }
    if (!hits.isEmpty()) showHits(hits);
    pairA_->setPlainText(state.value(QStringLiteral("pair_a")).toString());
    pairB_->setPlainText(state.value(QStringLiteral("pair_b")).toString());
    if (state.contains(QStringLiteral("pair_score"))) {
        pairScore_ = state.value(QStringLiteral("pair_score")).toDouble();
        pairLabel_->setText(tr("cosine: %1").arg(pairScore_, 0, 'f', 4));
    }
    tabs_->setCurrentIndex(state.value(QStringLiteral("tab")).toInt(0));
    // The status line as it was left (reopening the corpus and store reports again as they finish;
    // the line is set back once they have: see the jobs' handlers below).
    const QString status = state.value(QStringLiteral("status")).toString();
    const bool statusError = state.value(QStringLiteral("status_error")).toBool();
    setStatus(status, statusError);
    for (JobHandlePtr* j : {&corpusJob_, &embedJob_})
        if (*j)
            connect(j->get(), &JobHandle::finished, this, [this, status, statusError] {
                if (!corpusJob_ && !embedJob_) setStatus(status, statusError);
            });
    updateButtons();
}

QString SimilarityPanel::pairText() const { return pairLabel_->text(); }
QString SimilarityPanel::statusText() const { return status_->text(); }

void SimilarityPanel::setStatus(const QString& text, bool error) {
    status_->setText(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

void SimilarityPanel::updateButtons() {
    const bool embedding = embedJob_ != nullptr;
    embedButton_->setEnabled(!embedding && session_ && !corpusPath_.isEmpty());
    cancelButton_->setEnabled(embedding);
    showButton_->setEnabled(store_ != nullptr);
    searchButton_->setEnabled(store_ != nullptr && session_ != nullptr);
    pairButton_->setEnabled(session_ != nullptr);
}

}  // namespace embedlab
