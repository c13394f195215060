#include "map/map_workbench.h"

#include "map/map_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QVBoxLayout>

namespace embedlab {

MapWorkbench::MapWorkbench(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    setObjectName(QStringLiteral("mapWorkbench"));
    auto* l = new QVBoxLayout(this);
    l->setContentsMargins(2, 2, 2, 2);
    auto* row1 = new QHBoxLayout;
    source_ = new QComboBox(this);
    source_->setObjectName(QStringLiteral("mapSource"));
    source_->addItem(tr("Token embeddings"), int(Source::TokenEmbeddings));
    source_->addItem(tr("LM head (untied)"), int(Source::LmHead));
    source_->addItem(tr("Hidden states of a text"), int(Source::HiddenStates));
    source_->addItem(tr("Vectors file…"), int(Source::VectorsFile));
    text_ = new QLineEdit(this);
    text_->setPlaceholderText(tr("Text whose tokens are followed through every layer"));
    text_->setText(QStringLiteral("Kitabı masanın üzerine bıraktım."));
    auto* load = new QPushButton(tr("Load"), this);
    load->setObjectName(QStringLiteral("mapLoadSource"));
    row1->addWidget(new QLabel(tr("Source:"), this));
    row1->addWidget(source_);
    row1->addWidget(text_, 1);
    row1->addWidget(load);
    l->addLayout(row1);

    auto* row2 = new QHBoxLayout;
    method_ = new QComboBox(this);
    method_->setObjectName(QStringLiteral("mapMethod"));
    method_->addItem(QStringLiteral("PCA"), QStringLiteral("pca"));
    method_->addItem(QStringLiteral("t-SNE"), QStringLiteral("tsne"));
    method_->addItem(QStringLiteral("UMAP"), QStringLiteral("umap"));
    dims_ = new QComboBox(this);
    dims_->addItems({QStringLiteral("2D"), QStringLiteral("3D")});
    metric_ = new QComboBox(this);
    metric_->addItems({QStringLiteral("cosine"), QStringLiteral("euclidean")});
    perplexity_ = new QDoubleSpinBox(this);
    perplexity_->setRange(2, 500);
    perplexity_->setValue(30);
    neighbors_ = new QSpinBox(this);
    neighbors_->setRange(2, 200);
    neighbors_->setValue(15);
    minDist_ = new QDoubleSpinBox(this);
    minDist_->setRange(0.0, 1.0);
    minDist_->setSingleStep(0.05);
    minDist_->setValue(0.1);
    iterations_ = new QSpinBox(this);
    iterations_->setRange(50, 10000);
    iterations_->setValue(1000);
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 1 << 30);
    projectButton_ = new QPushButton(tr("Project"), this);
    projectButton_->setObjectName(QStringLiteral("mapProject"));
    for (auto [label, w] : std::initializer_list<std::pair<QString, QWidget*>>{
             {tr("Method"), method_},        {tr("Dims"), dims_},           {tr("Metric"), metric_},
             {tr("Perplexity"), perplexity_}, {tr("Neighbours"), neighbors_}, {tr("Min dist"), minDist_},
             {tr("Iterations"), iterations_}, {tr("Seed"), seed_}}) {
        row2->addWidget(new QLabel(label, this));
        row2->addWidget(w);
    }
    row2->addWidget(projectButton_);
    row2->addStretch(1);
    l->addLayout(row2);
    quality_ = new QLabel(tr("Load a source: a model's token embeddings, hidden states, or a vectors file."), this);
    quality_->setObjectName(QStringLiteral("mapQuality"));
    l->addWidget(quality_);
    panel_ = new MapPanel(this);
    l->addWidget(panel_, 1);

    // Vectors and metadata as TensorFlow Projector TSV (the other exports are the panel's own).
    QAction* tsv = panel_->exportMenu()->addAction(tr("Vectors + metadata (TF Projector TSV)…"));
    connect(tsv, &QAction::triggered, this, [this] {
        if (!space_) return;
        const QString f = QFileDialog::getSaveFileName(this, tr("Export vectors"), QStringLiteral("vectors.tsv"),
                                                       tr("TSV (*.tsv)"));
        if (f.isEmpty()) return;
        QString meta = f;
        meta.replace(QRegularExpression(QStringLiteral("\\.tsv$")), QString());
        runner_->submit(std::make_shared<ExportProjectorTsvJob>(space_, f, meta + QStringLiteral("_metadata.tsv")));
    });

    connect(load, &QPushButton::clicked, this, [this] {
        const auto s = static_cast<Source>(source_->currentData().toInt());
        if (s == Source::VectorsFile) {
            const QString f = QFileDialog::getOpenFileName(
                this, tr("Open vectors"), QString(),
                tr("Vectors (*.npy *.safetensors *.vec *.bin *.txt *.tsv);;All files (*)"));
            if (!f.isEmpty()) openVectors(f);
        } else {
            loadSource(s, text_->text());
        }
    });
    connect(projectButton_, &QPushButton::clicked, this, [this] { project(); });
    // A parameter change while a projection runs restarts it with the new parameters.
    auto restart = [this] {
        if (projectJob_ && space_) project();
    };
    connect(method_, &QComboBox::currentIndexChanged, this, restart);
    connect(dims_, &QComboBox::currentIndexChanged, this, restart);
    connect(metric_, &QComboBox::currentIndexChanged, this, restart);

    connect(panel_->neighbours(), &NeighboursPanel::neighboursRequested, this, [this](const NeighbourQuery& q) {
        if (!space_) {
            panel_->neighbours()->setError(tr("Load a source first."));
            return;
        }
        auto job = q.row >= 0 ? NeighboursJob::ofRow(space_, panel_->data().sourceRow(q.row), q.k,
                                                     neighbourMetricName(q.metric))
                              : NeighboursJob::ofLabel(space_, q.text, q.k, neighbourMetricName(q.metric));
        neighboursJob_ = runner_->submit(job, QStringLiteral("map-neighbours"));
    });
    connect(panel_->neighbours(), &NeighboursPanel::analogyRequested, this, [this](const AnalogyQuery& q) {
        if (!space_) {
            panel_->neighbours()->setError(tr("Load a source first."));
            return;
        }
        neighboursJob_ = runner_->submit(
            NeighboursJob::analogy(space_, q.a, q.b, q.c, q.k, neighbourMetricName(q.metric)),
            QStringLiteral("map-neighbours"));
    });

    connect(runner_, &JobRunner::jobSucceeded, this, [this](JobId id, JobPtr job) {
        if (id == spaceJob_) {
            spaceJob_ = 0;
            onSpaceJob(job);
        } else if (id == projectJob_) {
            projectJob_ = 0;
            output_ = static_cast<ProjectJob*>(job.get())->output;
            applyCoords(output_.coords, output_.dims);
            quality_->setText(qualityText());
            Q_EMIT projectionFinished(true);
        } else if (id == neighboursJob_) {
            neighboursJob_ = 0;
            QVector<NeighbourResult> rows;
            for (const auto& r : static_cast<NeighboursJob*>(job.get())->results)
                rows.push_back({panel_->data().rowOfSource(r.row), r.label, r.score});
            panel_->neighbours()->setResults(rows);
            Q_EMIT neighboursShown(rows.size());
        }
    });
    auto ended = [this](JobId id, const QString& message) {
        if (id == spaceJob_) {
            spaceJob_ = 0;
            quality_->setText(message);
        } else if (id == projectJob_) {
            projectJob_ = 0;
            if (!message.isEmpty()) quality_->setText(message);
            Q_EMIT projectionFinished(false);
        } else if (id == neighboursJob_) {
            neighboursJob_ = 0;
            if (!message.isEmpty()) panel_->neighbours()->setError(message);
        }
    };
    connect(runner_, &JobRunner::jobFailed, this,
            [ended](JobId id, const QString&, const QString& message) { ended(id, message); });
    connect(runner_, &JobRunner::jobCancelled, this, [ended](JobId id, const QString&) { ended(id, QString()); });
}

void MapWorkbench::setModel(ModelSessionPtr session, const QString& name) {
    model_ = std::move(session);
    modelName_ = name;
}

JobId MapWorkbench::openVectors(const QString& path) {
    spaceJob_ = runner_->submit(std::make_shared<OpenVectorsJob>(path), QStringLiteral("map-source"));
    return spaceJob_;
}

JobId MapWorkbench::loadSource(Source source, const QString& textOrPath) {
    if (source == Source::VectorsFile) return openVectors(textOrPath);
    if (!model_) {
        quality_->setText(tr("Load a model in the Models panel first."));
        return 0;
    }
    JobPtr job;
    if (source == Source::HiddenStates)
        job = std::make_shared<HiddenStatesJob>(model_, textOrPath);
    else
        job = std::make_shared<ModelMatrixJob>(
            model_, source == Source::LmHead ? ModelMatrixJob::Which::LmHead : ModelMatrixJob::Which::InputEmbeddings);
    spaceJob_ = runner_->submit(job, QStringLiteral("map-source"));
    return spaceJob_;
}

void MapWorkbench::onSpaceJob(JobPtr job) {
    if (auto* j = dynamic_cast<OpenVectorsJob*>(job.get())) {
        space_ = j->space;
        info_ = j->info;
    } else if (auto* j = dynamic_cast<ModelMatrixJob*>(job.get())) {
        space_ = j->space;
        info_ = j->info;
    } else if (auto* j = dynamic_cast<HiddenStatesJob*>(job.get())) {
        space_ = j->space;
        info_ = j->info;
    }
    quality_->setText(tr("%1: %2 vectors × %3 dimensions%4")
                          .arg(info_.name)
                          .arg(info_.rows)
                          .arg(info_.dim)
                          .arg(info_.excludedRows ? tr(", %1 excluded (NaN/Inf)").arg(info_.excludedRows) : QString()));
    output_ = ProjectionOutput();
    showSpace();
    Q_EMIT sourceReady();
    if (autoProject_) project();
}

void MapWorkbench::showSpace() {
    // Until a projection arrives, every point sits at the origin (the map stays empty-looking).
    MapData d;
    d.dims = 2;
    d.coords.assign(static_cast<size_t>(info_.rows) * 2, 0.f);
    d.labels = LabelStore::fromList(info_.labels);
    for (int c = 0; c < info_.metadataColumns.size(); ++c)
        d.columns.push_back(MetaColumn::guess(info_.metadataColumns[c], info_.metadata.value(c)));
    for (const QString& t : info_.tokenTypes) d.tokenTypes.push_back(pointTypeFromName(t));
    d.excluded = static_cast<int>(info_.excludedRows);
    panel_->setData(std::move(d));
}

void MapWorkbench::applyCoords(const QVector<float>& coords, int dims) {
    MapData d = panel_->data();
    if (coords.size() != static_cast<qsizetype>(info_.rows) * dims) return;
    d.dims = dims;
    d.coords.assign(coords.begin(), coords.end());
    panel_->setData(std::move(d));
}

ProjectionParams MapWorkbench::projectionParams() const {
    ProjectionParams p;
    p.method = method_->currentData().toString();
    p.dims = dims_->currentIndex() == 1 ? 3 : 2;
    p.metric = metric_->currentText();
    p.perplexity = perplexity_->value();
    p.neighbors = neighbors_->value();
    p.minDist = minDist_->value();
    p.iterations = iterations_->value();
    p.seed = static_cast<quint64>(seed_->value());
    return p;
}

void MapWorkbench::setProjectionParams(const ProjectionParams& p) {
    const bool autoWas = autoProject_;
    autoProject_ = false;
    QSignalBlocker b1(method_), b2(dims_), b3(metric_);
    method_->setCurrentIndex(std::max(0, method_->findData(p.method)));
    dims_->setCurrentIndex(p.dims == 3 ? 1 : 0);
    metric_->setCurrentIndex(std::max(0, metric_->findText(p.metric)));
    perplexity_->setValue(p.perplexity);
    neighbors_->setValue(p.neighbors);
    minDist_->setValue(p.minDist);
    iterations_->setValue(p.iterations);
    seed_->setValue(static_cast<int>(p.seed));
    autoProject_ = autoWas;
}

JobId MapWorkbench::project() {
    if (!space_) {
        quality_->setText(tr("Load a source first."));
        return 0;
    }
    QPointer<MapWorkbench> self(this);
    const ProjectionParams p = projectionParams();
    const int dims = p.dims;
    auto job = std::make_shared<ProjectJob>(space_, p, [self, dims](const QVector<float>& coords, int, int) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, coords, dims] {
                if (!self || !self->projectJob_) return;
                ++self->previews_;
                self->applyCoords(coords, dims);
            },
            Qt::QueuedConnection);
    });
    projectJob_ = runner_->submit(job, QStringLiteral("map-projection"));
    quality_->setText(tr("projecting %1 points with %2…").arg(info_.rows).arg(method_->currentText()));
    return projectJob_;
}

QString MapWorkbench::qualityText() const {
    return tr("%1 · %2 points · trustworthiness %3 · kNN recall@%4 %5 · %6%7 · %8 s")
        .arg(info_.name)
        .arg(info_.rows)
        .arg(output_.trustworthiness, 0, 'f', 3)
        .arg(output_.k)
        .arg(output_.knnRecall, 0, 'f', 3)
        .arg(output_.sampled ? tr("measured on a sample of %1").arg(output_.sampleSize) : tr("measured on all points"))
        .arg(info_.excludedRows ? tr(" · %1 excluded (NaN/Inf)").arg(info_.excludedRows) : QString())
        .arg(output_.seconds, 0, 'f', 2);
}

}  // namespace embedlab
