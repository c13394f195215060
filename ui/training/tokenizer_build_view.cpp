#include "ui/training/tokenizer_build_view.h"

#include "ui/common/result_widgets.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace embedlab {

TokenizerBuildView::TokenizerBuildView(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("tokenizerBuildView"));
    auto* outer = new QVBoxLayout(this);
    auto* box = new QGroupBox(tr("Build a tokenizer"), this);
    outer->addWidget(box);
    outer->addStretch(1);
    auto* form = new QFormLayout(box);
    kind_ = new QComboBox(box);
    kind_->setObjectName(QStringLiteral("tokenizerKind"));
    kind_->addItem(tr("morphology-aware Turkish (roots, suffix groups, BPE)"), QStringLiteral("morph"));
    kind_->addItem(tr("SentencePiece BPE"), QStringLiteral("bpe"));
    kind_->addItem(tr("SentencePiece unigram"), QStringLiteral("unigram"));
    corpus_ = makePathEdit(box, tr("corpus: text, CSV/TSV or JSONL, one record per line"));
    moreCorpora_ = new QLineEdit(box);
    moreCorpora_->setPlaceholderText(tr("more corpora, separated by ; (morphology-aware kind)"));
    lexicon_ = makePathEdit(box, tr("lexicon folder: turkish_dictionary.txt and turkish_morphological_lexicon.txt "
                                    "(data/npm/nlptoolkit-dictionary)"));
    vocab_ = new QSpinBox(box);
    vocab_->setRange(260, 1000000);
    vocab_->setSingleStep(1024);
    vocab_->setValue(32768);
    out_ = makePathEdit(box, tr("output folder"));
    replace_ = new QCheckBox(tr("replace an existing output folder"), box);
    form->addRow(tr("Kind"), kind_);
    form->addRow(tr("Corpus"), corpus_);
    form->addRow(tr("More corpora"), moreCorpora_);
    form->addRow(tr("Lexicon"), lexicon_);
    form->addRow(tr("Vocabulary size"), vocab_);
    form->addRow(tr("Output"), out_);
    form->addRow(QString(), replace_);
    auto* buttons = new QHBoxLayout;
    run_ = new QPushButton(tr("Build"), box);
    run_->setObjectName(QStringLiteral("tokenizerBuild"));
    cancel_ = new QPushButton(tr("Cancel"), box);
    cancel_->setEnabled(false);
    open_ = new QPushButton(tr("Open in the tokenizer lab"), box);
    open_->setObjectName(QStringLiteral("tokenizerOpenInLab"));
    open_->setEnabled(false);
    buttons->addWidget(run_);
    buttons->addWidget(cancel_);
    buttons->addWidget(open_);
    form->addRow(buttons);
    progress_ = new QProgressBar(box);
    progress_->setRange(0, 1000);
    status_ = new QLabel(tr("Choose a corpus and an output folder."), box);
    status_->setWordWrap(true);
    result_ = new QLabel(box);
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(progress_);
    form->addRow(status_);
    form->addRow(result_);

    connect(kind_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { kindChanged(); });
    kindChanged();
    connect(run_, &QPushButton::clicked, this, [this] { start(); });
    connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
    connect(open_, &QPushButton::clicked, this, [this] {
        if (!written_.isEmpty()) Q_EMIT openInLab(written_);
    });
}

void TokenizerBuildView::kindChanged() {
    const bool morph = kind_->currentData().toString() == QLatin1String("morph");
    lexicon_->setEnabled(morph);
    moreCorpora_->setEnabled(morph);
}

TokenizerBuildParams TokenizerBuildView::params() const {
    TokenizerBuildParams p;
    p.kind = kind_->currentData().toString();
    const QString first = corpus_->text().trimmed();
    if (!first.isEmpty()) p.corpora << first;
    if (p.kind == QLatin1String("morph"))
        for (const QString& c : moreCorpora_->text().split(QLatin1Char(';'), Qt::SkipEmptyParts))
            if (!c.trimmed().isEmpty()) p.corpora << c.trimmed();
    p.lexicon = lexicon_->text().trimmed();
    p.vocabSize = vocab_->value();
    p.outDir = out_->text().trimmed();
    p.replace = replace_->isChecked();
    return p;
}

void TokenizerBuildView::setParams(const TokenizerBuildParams& p) {
    const int k = kind_->findData(p.kind);
    kind_->setCurrentIndex(k < 0 ? 0 : k);
    corpus_->setText(p.corpora.value(0));
    moreCorpora_->setText(p.corpora.mid(1).join(QStringLiteral("; ")));
    lexicon_->setText(p.lexicon);
    vocab_->setValue(static_cast<int>(std::min<qint64>(std::max<qint64>(p.vocabSize, 260), 1000000)));
    out_->setText(p.outDir);
    replace_->setChecked(p.replace);
    kindChanged();
}

void TokenizerBuildView::setStatus(const QString& s) { status_->setText(s); }
QString TokenizerBuildView::statusText() const { return status_->text(); }
QString TokenizerBuildView::resultText() const { return result_->text(); }

void TokenizerBuildView::cancel() {
    if (running_ && job_) runner_->cancel(job_->id());
}

JobId TokenizerBuildView::start() {
    if (running_) return 0;
    const TokenizerBuildParams p = params();
    if (p.corpora.isEmpty() || p.outDir.isEmpty()) {
        setStatus(tr("Choose a corpus and an output folder."));
        return 0;
    }
    if (p.kind == QLatin1String("morph") && p.lexicon.isEmpty()) {
        setStatus(tr("Choose the lexicon folder (turkish_dictionary.txt and turkish_morphological_lexicon.txt, "
                     "installed by tools/install-data.sh into data/npm/nlptoolkit-dictionary)."));
        return 0;
    }
    if (p.kind == QLatin1String("morph") && p.vocabSize < 1000) {
        setStatus(tr("The morphology-aware tokenizer needs a vocabulary of at least 1,000."));
        return 0;
    }
    auto job = std::make_shared<TrainTokenizerJob>(p);
    job_ = runner_->submit(job, {}, JobLane::Long);
    running_ = true;
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    progress_->setValue(0);
    result_->clear();
    setStatus(tr("Building…"));
    connect(job_.get(), &JobHandle::progress, this, [this](double f, const QString& msg, double) {
        if (!running_) return;
        progress_->setValue(static_cast<int>(std::lround(1000 * f)));
        setStatus(msg);
    });
    connect(job_.get(), &JobHandle::succeeded, this, [this, job] {
        progress_->setValue(1000);
        written_ = job->written;
        open_->setEnabled(true);
        setStatus(tr("Written to %1 in %2 s.").arg(written_).arg(job->seconds, 0, 'f', 1));
        if (job->params().kind == QLatin1String("morph"))
            result_->setText(tr("%1 ids: %2 roots, %3 suffix groups, %4 BPE pieces; %5% of the corpus's %6 words "
                                "read as root + suffixes.")
                                 .arg(job->vocabSize)
                                 .arg(job->roots)
                                 .arg(job->suffixGroups)
                                 .arg(job->bpePieces)
                                 .arg(job->words > 0 ? 100.0 * double(job->wordsParsed) / double(job->words) : 0.0, 0,
                                      'f', 1)
                                 .arg(job->words));
        else
            result_->setText(tr("%1 ids from %2 records.").arg(job->vocabSize).arg(job->sentences));
        Q_EMIT built(written_);
    });
    connect(job_.get(), &JobHandle::failed, this, [this](const QString& m) {
        setStatus(tr("Failed: %1").arg(m));
        Q_EMIT buildFailed(m);
    });
    connect(job_.get(), &JobHandle::cancelled, this, [this] { setStatus(tr("Cancelled; nothing was written.")); });
    connect(job_.get(), &JobHandle::finished, this, [this] {
        running_ = false;
        run_->setEnabled(true);
        cancel_->setEnabled(false);
    });
    return job_->id();
}

QJsonObject TokenizerBuildView::saveSession() const {
    const TokenizerBuildParams p = params();
    return {{QStringLiteral("kind"), p.kind},
            {QStringLiteral("corpora"), QJsonArray::fromStringList(p.corpora)},
            {QStringLiteral("lexicon"), p.lexicon},
            {QStringLiteral("vocab_size"), p.vocabSize},
            {QStringLiteral("out"), p.outDir},
            {QStringLiteral("replace"), p.replace},
            {QStringLiteral("written"), written_}};
}

void TokenizerBuildView::restoreSession(const QJsonObject& st, SessionReport& report) {
    TokenizerBuildParams p;
    p.kind = st.value(QStringLiteral("kind")).toString(QStringLiteral("morph"));
    for (const auto& v : st.value(QStringLiteral("corpora")).toArray()) p.corpora << v.toString();
    p.lexicon = st.value(QStringLiteral("lexicon")).toString();
    p.vocabSize = st.value(QStringLiteral("vocab_size")).toInteger(32768);
    p.outDir = st.value(QStringLiteral("out")).toString();
    p.replace = st.value(QStringLiteral("replace")).toBool(false);
    setParams(p);
    written_ = st.value(QStringLiteral("written")).toString();
    if (!written_.isEmpty() && !QFileInfo::exists(written_)) {
        report.missing << written_;
        written_.clear();
    }
    open_->setEnabled(!written_.isEmpty());
    result_->clear();
    setStatus(written_.isEmpty() ? tr("Choose a corpus and an output folder.") : tr("Last written: %1").arg(written_));
}

}  // namespace embedlab
