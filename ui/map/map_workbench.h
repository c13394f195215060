// embedlab ui — the embedding-map workbench: choose a source (a model's token embeddings or LM head,
// the hidden states of a text at every layer, or an imported vectors file), project it (PCA, t-SNE,
// UMAP; 2-D/3-D) on the engine thread with live previews, read trustworthiness and kNN recall, and
// query neighbours and analogies. Changing a parameter while a projection runs restarts it.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/map_jobs.h"
#include "app/bridge/model_jobs.h"
#include "app/state/open_items.h"
#include "app/state/workspace_state.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QSpinBox;
class QLineEdit;
class QLabel;
class QPushButton;

namespace embedlab {

class MapPanel;

class MapWorkbench : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit MapWorkbench(JobRunner* runner, QWidget* parent = nullptr);

    enum class Source { TokenEmbeddings, LmHead, HiddenStates, VectorsFile };

    void setModel(ModelSessionPtr session, const QString& name, const QString& path = {});
    JobId openVectors(const QString& path);
    JobId loadSource(Source source, const QString& textOrPath = {});
    JobId project();  // with the current parameters; restarts a running projection

    void setProjectionParams(const ProjectionParams& p);
    ProjectionParams projectionParams() const;

    MapPanel* panel() const { return panel_; }
    const VectorSpaceInfo& spaceInfo() const { return info_; }
    const ProjectionOutput& lastProjection() const { return output_; }
    QString qualityText() const;
    int previewsSeen() const { return previews_; }

    // Session: the source, the projection's parameters and coordinates, the camera and the selection.
    // Restoring reopens the source and shows the saved coordinates (no projection is recomputed).
    // The workspace's list of open things: what this panel opens is added there (null: not listed).
    void setOpenItems(OpenItems* items) { items_ = items; }
    QString sessionKey() const override { return QStringLiteral("map"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void sourceReady();
    void projectionFinished(bool ok);
    void neighboursShown(int count);

private:
    OpenItems* items_ = nullptr;
    void holdProjection();
    void showSpace();
    void applyCoords(const QVector<float>& coords, int dims);
    void onSpace(VectorSpacePtr space, const VectorSpaceInfo& info);
    void track(JobHandlePtr& slot, const JobHandlePtr& h);
    template <class SpaceJob>
    JobId loadSpace(std::shared_ptr<SpaceJob> job);
    void showNeighbours(std::shared_ptr<NeighboursJob> job);

    JobRunner* runner_;
    MapPanel* panel_;
    QComboBox* source_;
    QLineEdit* text_;
    QComboBox* method_;
    QComboBox* dims_;
    QComboBox* metric_;
    QDoubleSpinBox* perplexity_;
    QSpinBox* neighbors_;
    QDoubleSpinBox* minDist_;
    QSpinBox* iterations_;
    QSpinBox* seed_;
    QPushButton* projectButton_;
    QLabel* quality_;
    ModelSessionPtr model_;
    QString modelName_, modelPath_;
    // What the current source is, for sessions.
    Source sourceKind_ = Source::VectorsFile;
    QString sourcePath_, sourceText_, sourceModelPath_;
    VectorSpacePtr space_;
    VectorSpaceInfo info_;
    ProjectionOutput output_;
    JobHandlePtr spaceJob_, projectJob_, neighboursJob_;
    int previews_ = 0;
    bool autoProject_ = true;
};

}  // namespace embedlab
