// embedlab ui — the Similarity panel: a corpus (dropped or opened; .csv/.tsv/.jsonl column or field
// choosers; the detected encoding with an override; units lines/paragraphs/sentences) is embedded
// with the selected model (pooling, layer, normalize) into a vector store under the cache folder
// (reopened instantly the next time), then explored three ways: a sentence × sentence cosine heatmap
// of a subset (first N, random N or the selected sentences; input, sorted or clustered order; hover
// shows both texts; export PNG/SVG/CSV), semantic search (query → top-k with scores) and a pair
// scorer. See docs/similarity.md.
#pragma once

#include "app/bridge/eval_jobs.h"
#include "app/bridge/job_runner.h"
#include "app/bridge/model_jobs.h"
#include "app/state/open_items.h"
#include "app/state/workspace_state.h"

#include <functional>

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace embedlab {

class HeatmapView;

class SimilarityPanel : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    enum class Subset { First, Random, Selection };

    explicit SimilarityPanel(JobRunner* runner, QWidget* parent = nullptr);

    // The model used to embed, search and score (from the Models panel); null clears it.
    void setModel(ModelSessionPtr session, const ModelInfo& info);
    ModelSessionPtr model() const { return session_; }

    // Reads the corpus with the current column / encoding / unit choices (a job; corpusReady follows).
    JobId openCorpus(const QString& path);
    QString corpusPath() const { return corpusPath_; }
    const CorpusSummary& corpus() const { return corpus_; }
    // Choosers (each re-reads the corpus when one is open). "" = automatic.
    void setTextColumn(const QString& column);
    void setLabelColumn(const QString& column);
    void setEncodingOverride(const QString& encoding);  // "" = auto (detected)
    void setUnit(const QString& unit);                  // lines, paragraphs, sentences
    void setDedupe(bool on);                            // drop exact repeats
    CorpusParams corpusParams() const;

    void setEmbedParams(const EmbedParams& p);
    EmbedParams embedParams() const;
    // Embeds the corpus into its cache store, or reopens the store when it already exists (unless force).
    JobId embed(bool force = false);
    void cancelEmbedding();
    QString storePathFor(const QString& corpusPath) const;
    static QString cacheFolder();
    bool hasStore() const { return static_cast<bool>(store_); }
    const StoreInfo& storeInfo() const { return storeInfo_; }
    // Opens an existing vector store folder directly.
    JobId openStore(const QString& path);

    void setSubset(Subset s, int n, quint64 seed = 1);
    void setOrder(MatrixOrder order);
    // Rows of the store for the current subset choice (selection = the selected sentences).
    QVector<qint64> subsetRows() const;
    JobId computeHeatmap();
    HeatmapView* heatmap() const { return heatmap_; }
    QListWidget* sentenceList() const { return sentences_; }
    bool exportHeatmap(const QString& path, QString* error = nullptr);      // .png / .svg / .pdf
    bool exportHeatmapCsv(const QString& path, QString* error = nullptr);

    JobId search(const QString& query, int k);
    const QVector<SearchHit>& searchHits() const { return hits_; }
    QTableWidget* searchTable() const { return results_; }

    JobId scorePair(const QString& a, const QString& b);
    double pairScore() const { return pairScore_; }
    QString pairText() const;

    QString statusText() const;
    QTabWidget* tabs() const { return tabs_; }

    // Session: the corpus and its reading choices, the vector store (reopened, memory-mapped), the
    // heatmap's numbers, the search and its hits, the pair and its score, the tab shown.
    // The workspace's list of open things: what this panel opens is added there (null: not listed).
    void setOpenItems(OpenItems* items) { items_ = items; }
    QString sessionKey() const override { return QStringLiteral("similarity"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void corpusReady();
    void storeReady();
    void heatmapReady();
    void searchReady();
    void pairScored(double cosine);
    void failed(const QString& message);

private:
    void reopenCorpus();
    void showCorpus(const CorpusSummary& s);
    void showStore(EmbeddingStorePtr store, const StoreInfo& info);
    void showMatrix(const SimilarityMatrixJob& m);
    void showHits(const QVector<SearchHit>& hits);
    void track(JobHandlePtr& slot, const JobHandlePtr& h, const QString& failWhat);
    void trackEmbedding(const JobHandlePtr& h, std::function<void()> onSuccess);
    void setStatus(const QString& text, bool error = false);
    void updateButtons();

    JobRunner* runner_;
    ModelSessionPtr session_;
    ModelInfo modelInfo_;
    OpenItems* items_ = nullptr;
    QString corpusPath_;
    CorpusSummary corpus_;
    EmbeddingStorePtr store_;
    StoreInfo storeInfo_;
    QVector<SearchHit> hits_;
    double pairScore_ = 0;
    bool updatingCombos_ = false;

    JobHandlePtr corpusJob_, embedJob_, matrixJob_, searchJob_, pairJob_;

    QLabel* corpusLabel_;
    QComboBox* textColumn_;
    QComboBox* labelColumn_;
    QComboBox* encoding_;
    QComboBox* unit_;
    QCheckBox* dedupe_;
    QLabel* corpusStats_;
    QLabel* modelLabel_;
    QComboBox* pooling_;
    QSpinBox* layer_;
    QCheckBox* normalize_;
    QPushButton* embedButton_;
    QPushButton* cancelButton_;
    QProgressBar* progress_;
    QLabel* eta_;
    QListWidget* sentences_;
    QTabWidget* tabs_;
    QComboBox* subset_;
    QSpinBox* subsetN_;
    QSpinBox* seed_;
    QComboBox* order_;
    QPushButton* showButton_;
    HeatmapView* heatmap_;
    QLabel* hoverLabel_;
    QLineEdit* query_;
    QSpinBox* k_;
    QPushButton* searchButton_;
    QTableWidget* results_;
    QPlainTextEdit* pairA_;
    QPlainTextEdit* pairB_;
    QPushButton* pairButton_;
    QLabel* pairLabel_;
    QLabel* status_;
};

}  // namespace embedlab
