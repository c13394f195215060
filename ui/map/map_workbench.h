// embedlab ui — the embedding-map workbench: choose a source (a model's token embeddings or LM head,
// the hidden states of a text at every layer, or an imported vectors file), project it (PCA, t-SNE,
// UMAP; 2-D/3-D) on the engine thread with live previews, read trustworthiness and kNN recall, and
// query neighbours and analogies. Changing a parameter while a projection runs restarts it.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/map_jobs.h"
#include "app/bridge/model_jobs.h"
#include "app/state/open_items.h"
#include "ui/map/map_data.h"
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

    // Trajectories (hidden-states sources: rows carry "layer" and "position"): a token's hidden state
    // layer by layer, drawn as a path over the points. kNoTrajectory clears, kEveryToken draws one path
    // per position, p ≥ 0 the token at position p. False (and nothing drawn) when the source has no
    // layers and positions or p is beyond its tokens.
    static constexpr int kNoTrajectory = -1, kEveryToken = -2;
    bool setTrajectory(int position);
    int trajectory() const { return trajectory_; }
    // Hidden states of `text` on the current model, then the trajectory of the token at `position`
    // (the Logit lens view's "Trajectory on the map"). Returns the source job's id (0: nothing started).
    // `addSpecial` as the lens encoded the prompt (its positions are the lens's columns).
    JobId followToken(const QString& text, int position, bool addSpecial = false);

    // The workspace's list of open things: what this panel opens is added there (null: not listed).
    void setOpenItems(OpenItems* items) { items_ = items; }

    // Session: the source, the projection's parameters and coordinates, the camera, the selection and
    // the trajectory. Restoring reopens the source and shows the saved coordinates (no projection is
    // recomputed).
    QString sessionKey() const override { return QStringLiteral("map"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void sourceReady();
    void projectionFinished(bool ok);
    void neighboursShown(int count);

private:
    OpenItems* items_ = nullptr;
    void holdProjection(const ProjectionParams& params);
    QString spacePath_;  // what the current space was read from (a file, or the model's folder)
    MapData base_;       // the space's rows (labels, columns, types) before any coordinates: every
                         // projection starts from it, so rows a projection drops never shift the next
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
    QComboBox* trajectoryBox_;
    int trajectory_ = kNoTrajectory;
    int pendingTrajectory_ = kNoTrajectory;  // applied when the source being loaded is ready
    void fillTrajectoryBox();
    QLabel* quality_;
    ModelSessionPtr model_;
    QString modelName_, modelPath_;
    // What the current source is, for sessions.
    Source sourceKind_ = Source::VectorsFile;
    QString sourcePath_, sourceText_, sourceModelPath_;
    bool sourceAddSpecial_ = true;  // hidden states: the next load encodes with the tokenizer's special tokens
    bool requestedAddSpecial_ = true;  // ... the load under way
    bool loadedAddSpecial_ = true;     // ... and how the current source was encoded (for sessions)
    VectorSpacePtr space_;
    VectorSpaceInfo info_;
    ProjectionOutput output_;
    JobHandlePtr spaceJob_, projectJob_, neighboursJob_;
    int previews_ = 0;
    bool autoProject_ = true;
};

}  // namespace embedlab
