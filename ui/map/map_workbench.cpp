#include "ui/map/map_workbench.h"

#include "ui/map/map_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonObject>
#include <QJsonArray>
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

#include <algorithm>
#include <cstring>

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
    trajectoryBox_ = new QComboBox(this);
    trajectoryBox_->setObjectName(QStringLiteral("mapTrajectory"));
    trajectoryBox_->setToolTip(tr("Hidden states of a text: draw a token's path through the layers (0 = the embeddings)"));
    trajectoryBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    row1->addWidget(new QLabel(tr("Follow:"), this));
    row1->addWidget(trajectoryBox_);
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
    fillTrajectoryBox();
    connect(trajectoryBox_, &QComboBox::activated, this,
            [this](int i) { setTrajectory(trajectoryBox_->itemData(i).toInt()); });

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
        showNeighbours(job);
    });
    connect(panel_->neighbours(), &NeighboursPanel::analogyRequested, this, [this](const AnalogyQuery& q) {
        if (!space_) {
            panel_->neighbours()->setError(tr("Load a source first."));
            return;
        }
        showNeighbours(NeighboursJob::analogy(space_, q.a, q.b, q.c, q.k, neighbourMetricName(q.metric)));
    });

}

void MapWorkbench::setModel(ModelSessionPtr session, const QString& name, const QString& path) {
    model_ = std::move(session);
    modelName_ = name;
    modelPath_ = path;
}

// Holds the workbench's handle on a job of its own while it runs.
void MapWorkbench::track(JobHandlePtr& slot, const JobHandlePtr& h) {
    slot = h;
    JobHandle* raw = h.get();
    connect(raw, &JobHandle::finished, this, [this, &slot, raw] {
        if (slot.get() == raw) slot.reset();
    });
}

template <class SpaceJob>
JobId MapWorkbench::loadSpace(std::shared_ptr<SpaceJob> job) {
    pendingTrajectory_ = kNoTrajectory;
    track(spaceJob_, runner_->submit(job, QStringLiteral("map-source")));
    connect(spaceJob_.get(), &JobHandle::succeeded, this, [this, job] { onSpace(job->space, job->info); });
    connect(spaceJob_.get(), &JobHandle::failed, this, [this](const QString& message) { quality_->setText(message); });
    return spaceJob_->id();
}

void MapWorkbench::showNeighbours(std::shared_ptr<NeighboursJob> job) {
    track(neighboursJob_, runner_->submit(job, QStringLiteral("map-neighbours")));
    connect(neighboursJob_.get(), &JobHandle::succeeded, this, [this, job] {
        QVector<NeighbourResult> rows;
        for (const auto& r : job->results) rows.push_back({panel_->data().rowOfSource(r.row), r.label, r.score});
        panel_->neighbours()->setResults(rows);
        Q_EMIT neighboursShown(rows.size());
    });
    connect(neighboursJob_.get(), &JobHandle::failed, this,
            [this](const QString& message) { panel_->neighbours()->setError(message); });
}

JobId MapWorkbench::openVectors(const QString& path) {
    sourceKind_ = Source::VectorsFile;
    sourcePath_ = path;
    // The source chooser says what is shown (a drop or a session opens files without it).
    source_->setCurrentIndex(std::max(0, source_->findData(int(Source::VectorsFile))));
    return loadSpace(std::make_shared<OpenVectorsJob>(path));
}

JobId MapWorkbench::loadSource(Source source, const QString& textOrPath) {
    if (source == Source::VectorsFile) return openVectors(textOrPath);
    if (!model_) {
        quality_->setText(tr("Load a model in the Models panel first."));
        return 0;
    }
    sourceKind_ = source;
    sourceText_ = textOrPath;
    sourceModelPath_ = modelPath_;
    source_->setCurrentIndex(std::max(0, source_->findData(int(source))));
    requestedAddSpecial_ = sourceAddSpecial_;
    if (source == Source::HiddenStates)
        return loadSpace(std::make_shared<HiddenStatesJob>(model_, textOrPath, sourceAddSpecial_));
    return loadSpace(std::make_shared<ModelMatrixJob>(
        model_, source == Source::LmHead ? ModelMatrixJob::Which::LmHead : ModelMatrixJob::Which::InputEmbeddings));
}

void MapWorkbench::onSpace(VectorSpacePtr space, const VectorSpaceInfo& info) {
    space_ = std::move(space);
    info_ = info;
    quality_->setText(tr("%1: %2 vectors × %3 dimensions%4")
                          .arg(info_.name)
                          .arg(info_.rows)
                          .arg(info_.dim)
                          .arg(info_.excludedRows ? tr(", %1 excluded (NaN/Inf)").arg(info_.excludedRows) : QString()));
    output_ = ProjectionOutput();
    spacePath_ = sourceKind_ == Source::VectorsFile ? sourcePath_ : sourceModelPath_;
    loadedAddSpecial_ = requestedAddSpecial_;  // how this space was encoded (not a later failed load's)
    trajectory_ = kNoTrajectory;
    panel_->view()->setTrajectories({});
    fillTrajectoryBox();
    if (items_) {
        OpenItem item;
        item.kind = OpenItem::Kind::VectorSpace;
        item.path = spacePath_;
        item.summary = tr("%1: %2 × %3").arg(info_.name).arg(info_.rows).arg(info_.dim);
        item.space = space_;
        item.spaceInfo = info_;
        items_->hold(sessionKey(), item);
        items_->release(sessionKey(), OpenItem::Kind::Projection);
    }
    showSpace();
    if (pendingTrajectory_ != kNoTrajectory) {
        setTrajectory(pendingTrajectory_);
        pendingTrajectory_ = kNoTrajectory;
    }
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
    base_ = d;
    panel_->setData(std::move(d));
}

void MapWorkbench::applyCoords(const QVector<float>& coords, int dims) {
    if (coords.size() != static_cast<qsizetype>(info_.rows) * dims) return;
    MapData d = base_;
    d.dims = dims;
    d.coords.assign(coords.begin(), coords.end());
    panel_->setData(std::move(d));
    // Rows a projection left non-finite are dropped from the map: the path is recomputed on its rows.
    if (trajectory_ != kNoTrajectory) setTrajectory(trajectory_);
}

void MapWorkbench::fillTrajectoryBox() {
    QSignalBlocker block(trajectoryBox_);
    trajectoryBox_->clear();
    trajectoryBox_->addItem(tr("no trajectory"), kNoTrajectory);
    const int layerCol = info_.metadataColumns.indexOf(QStringLiteral("layer"));
    const int posCol = info_.metadataColumns.indexOf(QStringLiteral("position"));
    const int tokCol = info_.metadataColumns.indexOf(QStringLiteral("token"));
    const bool ok = layerCol >= 0 && posCol >= 0;
    trajectoryBox_->setEnabled(ok);
    if (ok) {
        trajectoryBox_->addItem(tr("every token"), kEveryToken);
        // One entry per position, named by its token (the rows of layer 0).
        const QStringList& layers = info_.metadata.value(layerCol);
        const QStringList& positions = info_.metadata.value(posCol);
        for (int r = 0; r < layers.size() && r < positions.size(); ++r)
            if (layers[r] == QLatin1String("0")) {
                const QString token = tokCol >= 0 ? info_.metadata.value(tokCol).value(r) : QString();
                trajectoryBox_->addItem(QStringLiteral("#%1 %2").arg(positions[r], token), positions[r].toInt());
            }
    }
    trajectoryBox_->setCurrentIndex(std::max(0, trajectoryBox_->findData(trajectory_)));
}

bool MapWorkbench::setTrajectory(int position) {
    const int layerCol = info_.metadataColumns.indexOf(QStringLiteral("layer"));
    const int posCol = info_.metadataColumns.indexOf(QStringLiteral("position"));
    QVector<QVector<int>> paths;
    bool ok = position == kNoTrajectory;
    if (position != kNoTrajectory && layerCol >= 0 && posCol >= 0) {
        // (position → [(layer, source row)]), then each path in layer order, in the map's rows.
        const QStringList& layers = info_.metadata.value(layerCol);
        const QStringList& positions = info_.metadata.value(posCol);
        QMap<int, QVector<QPair<int, int>>> byPosition;
        for (int r = 0; r < layers.size() && r < positions.size(); ++r) {
            const int p = positions[r].toInt();
            if (position == kEveryToken || p == position) byPosition[p].push_back({layers[r].toInt(), r});
        }
        const MapData& d = panel_->data();
        for (auto it = byPosition.begin(); it != byPosition.end(); ++it) {
            std::sort(it.value().begin(), it.value().end());
            QVector<int> path;
            for (const auto& [layer, row] : it.value()) {
                const int mapRow = d.rowOfSource(row);
                if (mapRow >= 0) path << mapRow;
            }
            if (!path.isEmpty()) paths << path;
        }
        ok = !paths.isEmpty();
    }
    trajectory_ = ok ? position : kNoTrajectory;
    panel_->view()->setTrajectories(ok ? paths : QVector<QVector<int>>());
    trajectoryBox_->setCurrentIndex(std::max(0, trajectoryBox_->findData(trajectory_)));
    return ok;
}

JobId MapWorkbench::followToken(const QString& text, int position, bool addSpecial) {
    text_->setText(text);
    sourceAddSpecial_ = addSpecial;
    const JobId id = loadSource(Source::HiddenStates, text);
    sourceAddSpecial_ = true;  // the Load button encodes as the tokenizer does
    if (id) pendingTrajectory_ = position;
    return id;
}

void MapWorkbench::holdProjection(const ProjectionParams& params) {
    if (!items_) return;
    OpenItem item;
    item.kind = OpenItem::Kind::Projection;
    item.path = spacePath_;
    item.projectionParams = params;
    item.projection = output_;
    item.summary = tr("%1 %2-D of %3 points; trustworthiness %4")
                       .arg(item.projectionParams.method.toUpper())
                       .arg(output_.dims)
                       .arg(info_.rows)
                       .arg(output_.trustworthiness, 0, 'f', 3);
    items_->hold(sessionKey(), item);
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
    track(projectJob_, runner_->submit(job, QStringLiteral("map-projection")));
    JobHandle* raw = projectJob_.get();
    connect(raw, &JobHandle::succeeded, this, [this, job, p] {
        output_ = job->output;
        applyCoords(output_.coords, output_.dims);
        holdProjection(p);
        quality_->setText(qualityText());
        Q_EMIT projectionFinished(true);
    });
    connect(raw, &JobHandle::failed, this, [this](const QString& message) {
        quality_->setText(message);
        Q_EMIT projectionFinished(false);
    });
    connect(raw, &JobHandle::cancelled, this, [this] { Q_EMIT projectionFinished(false); });
    quality_->setText(tr("projecting %1 points with %2…").arg(info_.rows).arg(method_->currentText()));
    return projectJob_->id();
}

namespace {

const char* sourceKey(MapWorkbench::Source s) {
    switch (s) {
    case MapWorkbench::Source::TokenEmbeddings: return "token_embeddings";
    case MapWorkbench::Source::LmHead: return "lm_head";
    case MapWorkbench::Source::HiddenStates: return "hidden_states";
    case MapWorkbench::Source::VectorsFile: break;
    }
    return "vectors";
}

QJsonObject paramsToJson(const ProjectionParams& p) {
    return {{QStringLiteral("method"), p.method},         {QStringLiteral("dims"), p.dims},
            {QStringLiteral("seed"), QString::number(p.seed)}, {QStringLiteral("metric"), p.metric},
            {QStringLiteral("perplexity"), p.perplexity}, {QStringLiteral("iterations"), p.iterations},
            {QStringLiteral("neighbors"), p.neighbors},   {QStringLiteral("min_dist"), p.minDist}};
}

ProjectionParams paramsFromJson(const QJsonObject& o, ProjectionParams p) {
    p.method = o.value(QStringLiteral("method")).toString(p.method);
    p.dims = o.value(QStringLiteral("dims")).toInt(p.dims) == 3 ? 3 : 2;
    p.seed = o.value(QStringLiteral("seed")).toString().toULongLong();
    p.metric = o.value(QStringLiteral("metric")).toString(p.metric);
    p.perplexity = o.value(QStringLiteral("perplexity")).toDouble(p.perplexity);
    p.iterations = o.value(QStringLiteral("iterations")).toInt(p.iterations);
    p.neighbors = o.value(QStringLiteral("neighbors")).toInt(p.neighbors);
    p.minDist = o.value(QStringLiteral("min_dist")).toDouble(p.minDist);
    return p;
}

QString floatsToBase64(const QVector<float>& v) {
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char*>(v.constData()), v.size() * qsizetype(sizeof(float))).toBase64());
}

QVector<float> floatsFromBase64(const QString& s) {
    const QByteArray b = QByteArray::fromBase64(s.toLatin1());
    QVector<float> v(b.size() / qsizetype(sizeof(float)));
    if (!v.isEmpty()) std::memcpy(v.data(), b.constData(), size_t(v.size()) * sizeof(float));
    return v;
}

}  // namespace

QJsonObject MapWorkbench::saveSession() const {
    if (!space_) return {};
    QJsonObject o;
    o[QStringLiteral("source")] = QString::fromLatin1(sourceKey(sourceKind_));
    if (sourceKind_ == Source::VectorsFile) o[QStringLiteral("path")] = sourcePath_;
    else o[QStringLiteral("model")] = sourceModelPath_;
    if (sourceKind_ == Source::HiddenStates) {
        o[QStringLiteral("text")] = sourceText_;
        if (!loadedAddSpecial_) o[QStringLiteral("add_special")] = false;
    }
    o[QStringLiteral("params")] = paramsToJson(projectionParams());
    o[QStringLiteral("rows")] = info_.rows;
    if (!output_.coords.isEmpty()) {
        o[QStringLiteral("projection")] = QJsonObject{{QStringLiteral("dims"), output_.dims},
                                                      {QStringLiteral("coords_f32_base64"), floatsToBase64(output_.coords)},
                                                      {QStringLiteral("trustworthiness"), output_.trustworthiness},
                                                      {QStringLiteral("knn_recall"), output_.knnRecall},
                                                      {QStringLiteral("k"), output_.k},
                                                      {QStringLiteral("sample_size"), output_.sampleSize},
                                                      {QStringLiteral("sampled"), output_.sampled},
                                                      {QStringLiteral("seconds"), output_.seconds}};
    }
    const MapScene::Camera c = panel_->view()->camera();
    o[QStringLiteral("camera")] = QJsonObject{{QStringLiteral("is3d"), c.is3d},
                                              {QStringLiteral("center"), QJsonArray{c.center.x(), c.center.y()}},
                                              {QStringLiteral("scale"), c.scale},
                                              {QStringLiteral("target"), QJsonArray{c.target.x(), c.target.y(), c.target.z()}},
                                              {QStringLiteral("yaw"), c.yaw},
                                              {QStringLiteral("pitch"), c.pitch},
                                              {QStringLiteral("distance"), c.distance},
                                              {QStringLiteral("user_moved"), panel_->view()->userCamera()}};
    QJsonArray sel;
    for (int r : panel_->view()->selection()) sel.append(r);
    o[QStringLiteral("selection")] = sel;
    if (trajectory_ != kNoTrajectory) o[QStringLiteral("trajectory")] = trajectory_;
    return o;
}

void MapWorkbench::restoreSession(const QJsonObject& state, SessionReport& report) {
    if (spaceJob_) spaceJob_->cancel();
    if (projectJob_) projectJob_->cancel();
    space_.reset();
    info_ = VectorSpaceInfo();
    base_ = MapData();
    trajectory_ = pendingTrajectory_ = kNoTrajectory;
    panel_->view()->setTrajectories({});
    fillTrajectoryBox();
    if (items_) {
        items_->release(sessionKey(), OpenItem::Kind::VectorSpace);
        items_->release(sessionKey(), OpenItem::Kind::Projection);
    }
    output_ = ProjectionOutput();
    panel_->setData(MapData());
    quality_->clear();
    if (state.isEmpty()) return;
    setProjectionParams(paramsFromJson(state.value(QStringLiteral("params")).toObject(), projectionParams()));
    const QString kind = state.value(QStringLiteral("source")).toString();
    const bool autoWas = autoProject_;
    autoProject_ = false;
    if (kind == QLatin1String("vectors")) {
        const QString path = state.value(QStringLiteral("path")).toString();
        if (!QFileInfo::exists(path)) {
            report.missing << tr("map vectors %1").arg(path);
            autoProject_ = autoWas;
            return;
        }
        openVectors(path);
    } else {
        const QString mp = state.value(QStringLiteral("model")).toString();
        const ModelSessionPtr m = report.modelByPath ? report.modelByPath(mp) : nullptr;
        if (!m) {
            report.missing << tr("map source: the model %1 is not open").arg(mp);
            autoProject_ = autoWas;
            return;
        }
        const ModelSessionPtr keep = model_;
        const QString keepPath = modelPath_;
        model_ = m;
        modelPath_ = mp;
        const Source s = kind == QLatin1String("lm_head")         ? Source::LmHead
                         : kind == QLatin1String("hidden_states") ? Source::HiddenStates
                                                                  : Source::TokenEmbeddings;
        sourceAddSpecial_ = state.value(QStringLiteral("add_special")).toBool(true);
        loadSource(s, state.value(QStringLiteral("text")).toString());
        sourceAddSpecial_ = true;
        model_ = keep;
        modelPath_ = keepPath;
    }
    if (!spaceJob_) {
        autoProject_ = autoWas;
        return;
    }
    // After the source is back (and onSpace has shown it): the saved coordinates, camera, selection.
    const QJsonObject proj = state.value(QStringLiteral("projection")).toObject();
    const QJsonObject cam = state.value(QStringLiteral("camera")).toObject();
    const QJsonArray sel = state.value(QStringLiteral("selection")).toArray();
    const qint64 rows = state.value(QStringLiteral("rows")).toInteger(-1);
    const int trajectory = state.value(QStringLiteral("trajectory")).toInt(kNoTrajectory);
    connect(spaceJob_.get(), &JobHandle::finished, this, [this, proj, cam, sel, rows, autoWas, trajectory] {
        autoProject_ = autoWas;
        if (!space_) return;
        if (rows >= 0 && rows != info_.rows) {
            quality_->setText(tr("The source now has %1 rows (the session had %2): project it again.").arg(info_.rows).arg(rows));
            return;
        }
        if (!proj.isEmpty()) {
            ProjectionOutput out;
            out.dims = proj.value(QStringLiteral("dims")).toInt(2) == 3 ? 3 : 2;
            out.coords = floatsFromBase64(proj.value(QStringLiteral("coords_f32_base64")).toString());
            out.trustworthiness = proj.value(QStringLiteral("trustworthiness")).toDouble();
            out.knnRecall = proj.value(QStringLiteral("knn_recall")).toDouble();
            out.k = proj.value(QStringLiteral("k")).toInt();
            out.sampleSize = proj.value(QStringLiteral("sample_size")).toInteger();
            out.sampled = proj.value(QStringLiteral("sampled")).toBool();
            out.seconds = proj.value(QStringLiteral("seconds")).toDouble();
            if (out.coords.size() == static_cast<qsizetype>(info_.rows) * out.dims) {
                output_ = out;
                applyCoords(output_.coords, output_.dims);
                holdProjection(projectionParams());
                quality_->setText(qualityText());
            }
        }
        if (!cam.isEmpty()) {
            MapScene::Camera c;
            c.is3d = cam.value(QStringLiteral("is3d")).toBool();
            const QJsonArray ce = cam.value(QStringLiteral("center")).toArray();
            c.center = QPointF(ce.at(0).toDouble(), ce.at(1).toDouble());
            c.scale = cam.value(QStringLiteral("scale")).toDouble(1.0);
            const QJsonArray t = cam.value(QStringLiteral("target")).toArray();
            c.target = QVector3D(float(t.at(0).toDouble()), float(t.at(1).toDouble()), float(t.at(2).toDouble()));
            c.yaw = cam.value(QStringLiteral("yaw")).toDouble(30.0);
            c.pitch = cam.value(QStringLiteral("pitch")).toDouble(20.0);
            c.distance = cam.value(QStringLiteral("distance")).toDouble(3.0);
            panel_->view()->setCamera(c, cam.value(QStringLiteral("user_moved")).toBool());
        }
        QVector<int> rowsSel;
        for (const QJsonValue& v : sel)
            if (v.toInt(-1) >= 0 && v.toInt() < info_.rows) rowsSel << v.toInt();
        if (!rowsSel.isEmpty()) panel_->view()->setSelection(rowsSel);
        if (trajectory != kNoTrajectory) setTrajectory(trajectory);
    });
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
