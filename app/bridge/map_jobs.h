// embedlab app — engine jobs for the embedding map: vector spaces (imported vectors, a model's token
// embeddings or LM head, the hidden states of a text at every layer), projections (PCA, t-SNE,
// UMAP with live previews and quality figures) and neighbour/analogy queries. Torch-free header:
// a VectorSpace is opaque to the UI and used only on the engine thread.
#pragma once

#include "app/bridge/model_jobs.h"
#include "engine/jobs/job.h"

#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>
#include <memory>

namespace embedlab {

class VectorSpace;
using VectorSpacePtr = std::shared_ptr<VectorSpace>;

struct VectorSpaceInfo {
    QString name;             // e.g. "gemma3_tiny · input embeddings"
    qint64 rows = 0, dim = 0;
    qint64 excludedRows = 0;  // NaN/Inf rows left out (imported vectors)
    qint64 duplicateRows = 0;
    QStringList warnings;
    QStringList labels;                     // one per row
    QStringList tokenTypes;                 // one per row ("root", "suffix", "bpe", ...) or empty
    QStringList metadataColumns;            // names
    QVector<QStringList> metadata;          // per column, one value per row
};

// Imported vectors: word2vec text/binary, GloVe, fastText .vec, TF Projector TSV, .npy, safetensors.
class OpenVectorsJob : public Job {
public:
    explicit OpenVectorsJob(QString path, QString metadataPath = {});
    std::string name() const override;
    void run(Progress& progress) override;
    VectorSpacePtr space;
    VectorSpaceInfo info;

private:
    QString path_, metadata_;
};

// A loaded model's input token-embedding matrix (or its untied LM head / MLM decoder).
class ModelMatrixJob : public Job {
public:
    enum class Which { InputEmbeddings, LmHead };
    ModelMatrixJob(ModelSessionPtr session, Which which);
    std::string name() const override;
    void run(Progress& progress) override;
    VectorSpacePtr space;
    VectorSpaceInfo info;

private:
    ModelSessionPtr session_;
    Which which_;
};

// Every token of `text` at every layer (hidden_states 0…L): rows are (layer, position); the
// metadata columns "layer", "position" and "token" let the map draw each token's trajectory. `addSpecial`
// as the tokenizer's (false: the positions of the Logit lens, which encodes the bare prompt).
class HiddenStatesJob : public Job {
public:
    HiddenStatesJob(ModelSessionPtr session, QString text, bool addSpecial = true);
    std::string name() const override;
    void run(Progress& progress) override;
    VectorSpacePtr space;
    VectorSpaceInfo info;

private:
    ModelSessionPtr session_;
    QString text_;
    bool addSpecial_ = true;
};

struct ProjectionParams {
    QString method = QStringLiteral("pca");  // pca, tsne, umap
    int dims = 2;
    quint64 seed = 0;
    QString metric = QStringLiteral("euclidean");  // euclidean, cosine
    double perplexity = 30, learningRate = 0;       // t-SNE (learning rate ≤ 0: auto)
    int iterations = 1000;
    double earlyExaggeration = 12;
    int neighbors = 15;                              // UMAP
    double minDist = 0.1;
    int qualityK = 10;
    int previewEvery = 25;                           // iterations/epochs between live previews
};

struct ProjectionOutput {
    QVector<float> coords;  // rows × dims
    int dims = 2;
    double trustworthiness = 0, knnRecall = 0;
    int k = 0;
    qint64 sampleSize = 0;
    bool sampled = false;
    double seconds = 0;
};

class ProjectJob : public Job {
public:
    // `preview` runs on the engine thread with intermediate coordinates (rows × dims).
    ProjectJob(VectorSpacePtr space, ProjectionParams params,
               std::function<void(const QVector<float>& coords, int iteration, int total)> preview = {});
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;
    ProjectionOutput output;

private:
    VectorSpacePtr space_;
    ProjectionParams params_;
    std::function<void(const QVector<float>&, int, int)> preview_;
};

struct NeighbourRow {
    qint64 row = 0;
    QString label;
    double score = 0;
};

// k nearest rows to a row, to a label (Turkish-case-insensitive exact match of the label), or to
// a − b + c (an analogy of three labels or rows).
class NeighboursJob : public Job {
public:
    static std::shared_ptr<NeighboursJob> ofRow(VectorSpacePtr s, qint64 row, int k, QString metric);
    static std::shared_ptr<NeighboursJob> ofLabel(VectorSpacePtr s, QString label, int k, QString metric);
    static std::shared_ptr<NeighboursJob> analogy(VectorSpacePtr s, QString a, QString b, QString c, int k,
                                                  QString metric);
    std::string name() const override { return "Neighbours"; }
    void run(Progress& progress) override;
    QVector<NeighbourRow> results;
    qint64 queryRow = -1;

private:
    NeighboursJob() = default;
    VectorSpacePtr space_;
    qint64 row_ = -1;
    QStringList labels_;
    int k_ = 10;
    QString metric_;
};

// Writes the space's vectors and metadata as TensorFlow Projector TSV files.
class ExportProjectorTsvJob : public Job {
public:
    ExportProjectorTsvJob(VectorSpacePtr space, QString vectorsPath, QString metadataPath)
        : space_(std::move(space)), vectors_(std::move(vectorsPath)), metadata_(std::move(metadataPath)) {}
    std::string name() const override { return "Export TF Projector TSV"; }
    void run(Progress& progress) override;

private:
    VectorSpacePtr space_;
    QString vectors_, metadata_;
};

}  // namespace embedlab
