// embedlab ui — the Embedding map panel: the OpenGL map, a toolbar (2D/3D, colour by, search, export
// PNG/SVG/PDF/CSV), a status line (points, excluded rows, selection, frame time) and the neighbours
// panel. Feed it MapData; wire NeighboursPanel's requests to the engine and hand the results back.
#pragma once

#include "ui/map/embedding_map_view.h"
#include "ui/map/neighbours_panel.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QSplitter;
class QToolButton;

namespace embedlab {

class MapPanel : public QWidget {
    Q_OBJECT
public:
    explicit MapPanel(QWidget* parent = nullptr);

    void setData(MapData data);
    const MapData& data() const { return view_->data(); }
    EmbeddingMapView* view() const { return view_; }
    NeighboursPanel* neighbours() const { return neighbours_; }
    // The export menu (PNG, SVG, PDF, CSV); add more actions (e.g. Projector TSV) to it.
    QMenu* exportMenu() const { return exportMenu_; }

    // Writes the map (.png/.svg/.pdf) or coordinates+labels (.csv) without a dialog.
    bool exportTo(const QString& path, QString* error = nullptr);

    // Colour-by choices: "none", "token type" (with a token-type column), then the column names.
    QStringList colorChoices() const;
    bool setColorBy(const QString& choice);
    QString colorChoice() const;  // the current colour-by choice
    void setSearchText(const QString& text);
    void set3D(bool on);
    QString statusText() const;

Q_SIGNALS:
    void exported(const QString& path);
    void exportFailed(const QString& message);

private:
    void refreshColorChoices();
    void refreshStatus();
    void exportWithDialog(const QString& ext);

    EmbeddingMapView* view_ = nullptr;
    NeighboursPanel* neighbours_ = nullptr;
    QToolButton* mode3d_ = nullptr;
    QComboBox* colorBy_ = nullptr;
    QLineEdit* search_ = nullptr;
    QToolButton* export_ = nullptr;
    QMenu* exportMenu_ = nullptr;
    QLabel* status_ = nullptr;
    QSplitter* splitter_ = nullptr;
    int matches_ = -1;
    double frameMs_ = 0;
    bool frameDensity_ = false;
};

}  // namespace embedlab
