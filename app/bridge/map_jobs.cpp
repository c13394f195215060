#include "app/bridge/map_jobs.h"

#include "app/bridge/model_session_p.h"

#include "engine/analysis/knn.h"
#include "engine/core/error.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "engine/io/vector_row_finder.h"
#include "engine/io/vectors.h"
#include "engine/models/model_config.h"
#include "engine/tasks/project.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstring>
#include <unordered_map>

namespace embedlab {

class VectorSpace {
public:
    VectorSet set;  // data [N, D] float32 CPU, labels, metadata
    std::vector<std::string> tokenTypes;
    std::unique_ptr<VectorRowFinder> finder;  // the CLI's rule for a query (engine/io/vector_row_finder.h)

    void index() { finder = std::make_unique<VectorRowFinder>(set); }
    int64_t rowOf(const QString& label) const { return finder->find(label.toStdString()); }
};

namespace {

VectorSpaceInfo describe(const VectorSpace& s, const std::string& name) {
    VectorSpaceInfo i;
    i.name = QString::fromStdString(name);
    i.rows = s.set.size();
    i.dim = s.set.dim();
    i.labels.reserve(static_cast<int>(i.rows));
    for (int64_t r = 0; r < i.rows; ++r) i.labels << QString::fromStdString(s.set.label(r));
    for (const auto& t : s.tokenTypes) i.tokenTypes << QString::fromStdString(t);
    for (size_t c = 0; c < s.set.metadataHeader.size(); ++c) {
        i.metadataColumns << QString::fromStdString(s.set.metadataHeader[c]);
        QStringList col;
        col.reserve(static_cast<int>(i.rows));
        for (const auto& row : s.set.metadata) col << (c < row.size() ? QString::fromStdString(row[c]) : QString());
        i.metadata << col;
    }
    return i;
}

Metric metricOf(const QString& m) { return parseMetric(m.toStdString()); }

}  // namespace

// ---------------------------------------------------------------- OpenVectorsJob

OpenVectorsJob::OpenVectorsJob(QString path, QString metadataPath)
    : path_(std::move(path)), metadata_(std::move(metadataPath)) {}

std::string OpenVectorsJob::name() const { return "Open vectors " + baseName(path_.toStdString()); }

void OpenVectorsJob::run(Progress& progress) {
    auto s = std::make_shared<VectorSpace>();
    VectorReadOptions o;
    o.metadataPath = metadata_.toStdString();
    VectorReadReport report;
    s->set = readVectors(path_.toStdString(), o, &report, progress);
    if (s->set.size() == 0) throw Error::badInput(path_.toStdString() + " holds no usable vectors");
    s->index();
    space = s;
    info = describe(*s, baseName(path_.toStdString()));
    info.excludedRows = report.nonFiniteRows;
    info.duplicateRows = report.duplicateRows;
    for (const auto& w : report.warnings) info.warnings << QString::fromStdString(w);
    if (report.nonFiniteRows > 0)
        info.warnings << QStringLiteral("%1 row(s) with NaN or Inf were excluded").arg(report.nonFiniteRows);
    progress.report(1.0, "opened");
}

// ---------------------------------------------------------------- ModelMatrixJob

ModelMatrixJob::ModelMatrixJob(ModelSessionPtr session, Which which) : session_(std::move(session)), which_(which) {}

std::string ModelMatrixJob::name() const {
    return which_ == Which::InputEmbeddings ? "Token embeddings" : "LM head";
}

void ModelMatrixJob::run(Progress& progress) {
    SessionLock lock(*session_);
    const Model& m = *session_->model;
    at::Tensor w = which_ == Which::InputEmbeddings ? m.inputEmbeddings() : m.lmHead();
    if (!w.defined()) throw Error::badInput("this model has no separate LM head (it is tied or absent)");
    auto s = std::make_shared<VectorSpace>();
    s->set.data = w.detach().to(at::kCPU, at::kFloat).contiguous().clone();
    const int64_t n = s->set.data.size(0);
    const Tokenizer* tok = session_->tokenizer.get();
    s->set.labels.resize(static_cast<size_t>(n));
    if (tok) s->tokenTypes.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        if (i % 4096 == 0) progress.report(double(i) / n, "labelling tokens");
        std::string label = tok ? tok->idToToken(i) : std::string();
        s->set.labels[static_cast<size_t>(i)] = label.empty() ? "#" + std::to_string(i) : label;
        if (tok) s->tokenTypes[static_cast<size_t>(i)] = tokenTypeName(tok->tokenType(i));
    }
    s->set.metadataHeader = {"id"};
    s->set.metadata.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) s->set.metadata[static_cast<size_t>(i)] = {std::to_string(i)};
    // NaN/Inf rows in weights would poison every projection: report and exclude them.
    const std::vector<int64_t> keep = finiteRows(s->set.data);
    int64_t excluded = n - static_cast<int64_t>(keep.size());
    if (excluded > 0) {
        at::Tensor idx = at::tensor(keep, at::kLong);
        s->set.data = s->set.data.index_select(0, idx).contiguous();
        VectorSet kept;
        kept.data = s->set.data;
        std::vector<std::string> types;
        for (int64_t r : keep) {
            kept.labels.push_back(s->set.labels[static_cast<size_t>(r)]);
            kept.metadata.push_back(s->set.metadata[static_cast<size_t>(r)]);
            if (!s->tokenTypes.empty()) types.push_back(s->tokenTypes[static_cast<size_t>(r)]);
        }
        kept.metadataHeader = s->set.metadataHeader;
        s->set = std::move(kept);
        s->tokenTypes = std::move(types);
    }
    s->index();
    space = s;
    info = describe(*s, baseName(session_->path) + (which_ == Which::InputEmbeddings ? " · input embeddings"
                                                                                      : " · LM head"));
    info.excludedRows = excluded;
    progress.report(1.0, "ready");
}

// ---------------------------------------------------------------- HiddenStatesJob

HiddenStatesJob::HiddenStatesJob(ModelSessionPtr session, QString text, bool addSpecial)
    : session_(std::move(session)), text_(std::move(text)), addSpecial_(addSpecial) {}

std::string HiddenStatesJob::name() const { return "Hidden states"; }

void HiddenStatesJob::run(Progress& progress) {
    SessionLock lock(*session_);
    Model& m = *session_->model;
    const Tokenizer* tok = session_->tokenizer.get();
    if (!tok) throw Error::badInput("this model folder has no tokenizer, so the text cannot be encoded");
    const Encoding enc = tok->encode(text_.toStdString(), addSpecial_);
    if (enc.ids.empty()) throw Error::badInput("the text encodes to no tokens");
    const int64_t L = static_cast<int64_t>(enc.ids.size());
    if (m.config().maxPositions > 0 && L > m.config().maxPositions)
        throw Error::badInput("the text has " + std::to_string(L) + " tokens; the model takes at most " +
                              std::to_string(m.config().maxPositions));
    progress.report(0.1, "forward pass");
    at::Tensor ids = at::tensor(enc.ids, at::kLong).unsqueeze(0);
    ForwardOptions fo;
    fo.hiddenStates = true;
    fo.logits = false;
    ForwardOutput out = m.forward(ids, at::ones_like(ids), at::Tensor(), fo);
    auto s = std::make_shared<VectorSpace>();
    std::vector<at::Tensor> rows;
    s->set.metadataHeader = {"layer", "position", "token"};
    for (size_t layer = 0; layer < out.hiddenStates.size(); ++layer) {
        rows.push_back(out.hiddenStates[layer][0].to(at::kCPU, at::kFloat));
        for (int64_t p = 0; p < L; ++p) {
            const std::string t = enc.tokens[static_cast<size_t>(p)];
            s->set.labels.push_back("L" + std::to_string(layer) + ":" + t);
            s->set.metadata.push_back({std::to_string(layer), std::to_string(p), t});
            s->tokenTypes.push_back(tokenTypeName(enc.types[static_cast<size_t>(p)]));
        }
    }
    s->set.data = at::cat(rows, 0).contiguous();
    s->index();
    space = s;
    info = describe(*s, baseName(session_->path) + " · hidden states");
    progress.report(1.0, "ready");
}

// ---------------------------------------------------------------- ProjectJob

ProjectJob::ProjectJob(VectorSpacePtr space, ProjectionParams params,
                       std::function<void(const QVector<float>&, int, int)> preview)
    : space_(std::move(space)), params_(std::move(params)), preview_(std::move(preview)) {}

std::string ProjectJob::name() const { return "Project (" + params_.method.toStdString() + ")"; }

// The Qt adaptation of the engine task (engine/tasks/project.h), which `embedlab-cli project` runs too.
void ProjectJob::run(Progress& progress) {
    auto toVec = [](const at::Tensor& c) {
        at::Tensor t = c.to(at::kCPU, at::kFloat).contiguous();
        QVector<float> v(static_cast<int>(t.numel()));
        std::memcpy(v.data(), t.data_ptr<float>(), sizeof(float) * static_cast<size_t>(t.numel()));
        return v;
    };
    tasks::ProjectOptions o;
    o.method = params_.method.toStdString();
    o.dims = params_.dims;
    o.seed = params_.seed;
    o.metric = metricOf(params_.metric);
    o.perplexity = params_.perplexity;
    o.learningRate = params_.learningRate;
    o.iterations = params_.iterations;
    o.earlyExaggeration = params_.earlyExaggeration;
    o.neighbors = params_.neighbors;
    o.minDist = params_.minDist;
    o.qualityK = params_.qualityK;
    if (preview_) {
        o.previewEvery = params_.previewEvery;
        o.preview = [this, &toVec](const at::Tensor& coords, int it, int total) { preview_(toVec(coords), it, total); };
    }
    const tasks::ProjectResult r = tasks::project(space_->set.data, o, progress);
    output.coords = toVec(r.coords);
    output.dims = params_.dims;
    output.trustworthiness = r.quality.trustworthiness;
    output.knnRecall = r.quality.knnRecall;
    output.k = static_cast<int>(r.quality.k);
    output.sampleSize = r.quality.sampleSize;
    output.sampled = r.quality.sampled;
    output.seconds = r.seconds + r.qualitySeconds;
}

std::string ProjectJob::summary() const {
    return "trustworthiness " + std::to_string(output.trustworthiness).substr(0, 5) + ", kNN recall " +
           std::to_string(output.knnRecall).substr(0, 5);
}

// ---------------------------------------------------------------- NeighboursJob

std::shared_ptr<NeighboursJob> NeighboursJob::ofRow(VectorSpacePtr s, qint64 row, int k, QString metric) {
    std::shared_ptr<NeighboursJob> j(new NeighboursJob);
    j->space_ = std::move(s);
    j->row_ = row;
    j->k_ = k;
    j->metric_ = std::move(metric);
    return j;
}

std::shared_ptr<NeighboursJob> NeighboursJob::ofLabel(VectorSpacePtr s, QString label, int k, QString metric) {
    std::shared_ptr<NeighboursJob> j(new NeighboursJob);
    j->space_ = std::move(s);
    j->labels_ = {std::move(label)};
    j->k_ = k;
    j->metric_ = std::move(metric);
    return j;
}

std::shared_ptr<NeighboursJob> NeighboursJob::analogy(VectorSpacePtr s, QString a, QString b, QString c, int k,
                                                      QString metric) {
    std::shared_ptr<NeighboursJob> j(new NeighboursJob);
    j->space_ = std::move(s);
    j->labels_ = {std::move(a), std::move(b), std::move(c)};
    j->k_ = k;
    j->metric_ = std::move(metric);
    return j;
}

void NeighboursJob::run(Progress& progress) {
    const at::Tensor& x = space_->set.data;
    const Metric metric = metricOf(metric_);
    if (k_ <= 0) throw Error::badInput("k must be at least 1");
    std::vector<Neighbor> found;
    if (labels_.size() == 3) {
        const int64_t a = space_->rowOf(labels_[0]), b = space_->rowOf(labels_[1]), c = space_->rowOf(labels_[2]);
        found = embedlab::analogy(x, a, b, c, k_, metric);
    } else {
        const int64_t row = labels_.size() == 1 ? space_->rowOf(labels_[0]) : row_;
        if (row < 0 || row >= x.size(0))
            throw Error::badInput("row " + std::to_string(row) + " is outside 0…" + std::to_string(x.size(0) - 1));
        queryRow = row;
        found = nearestToRow(x, row, k_, metric);
    }
    for (const auto& n : found)
        results.push_back({n.row, QString::fromStdString(space_->set.label(n.row)), n.score});
    progress.report(1.0, "done");
}

void ExportProjectorTsvJob::run(Progress& progress) {
    progress.report(0.1, "writing");
    writeProjectorTsv(space_->set, vectors_.toStdString(), metadata_.toStdString());
    progress.report(1.0, "written");
}

}  // namespace embedlab
