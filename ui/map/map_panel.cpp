#include "ui/map/map_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

namespace embedlab {

MapPanel::MapPanel(QWidget* parent) : QWidget(parent) {
    view_ = new EmbeddingMapView(this);
    neighbours_ = new NeighboursPanel(this);

    mode3d_ = new QToolButton(this);
    mode3d_->setText(QStringLiteral("3D"));
    mode3d_->setCheckable(true);
    mode3d_->setToolTip(tr("3-D mode: drag orbits, right-drag pans, the wheel zooms"));
    mode3d_->setObjectName(QStringLiteral("map3D"));
    colorBy_ = new QComboBox(this);
    colorBy_->setObjectName(QStringLiteral("mapColorBy"));
    colorBy_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    search_ = new QLineEdit(this);
    search_->setObjectName(QStringLiteral("mapSearch"));
    search_->setPlaceholderText(tr("Search labels (Turkish case folding)"));
    search_->setClearButtonEnabled(true);
    export_ = new QToolButton(this);
    export_->setText(tr("Export"));
    export_->setPopupMode(QToolButton::InstantPopup);
    export_->setObjectName(QStringLiteral("mapExport"));
    exportMenu_ = new QMenu(export_);
    exportMenu_->addAction(tr("Map as PNG…"), this, [this] { exportWithDialog(QStringLiteral("png")); });
    exportMenu_->addAction(tr("Map as SVG…"), this, [this] { exportWithDialog(QStringLiteral("svg")); });
    exportMenu_->addAction(tr("Map as PDF…"), this, [this] { exportWithDialog(QStringLiteral("pdf")); });
    exportMenu_->addAction(tr("Coordinates and labels (CSV)…"), this, [this] { exportWithDialog(QStringLiteral("csv")); });
    export_->setMenu(exportMenu_);
    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("mapStatus"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(mode3d_);
    bar->addWidget(new QLabel(tr("Colour by"), this));
    bar->addWidget(colorBy_);
    bar->addWidget(search_, 1);
    bar->addWidget(export_);

    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->addWidget(view_);
    splitter_->addWidget(neighbours_);
    splitter_->setStretchFactor(0, 3);
    splitter_->setStretchFactor(1, 1);

    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(2, 2, 2, 2);
    v->addLayout(bar);
    v->addWidget(splitter_, 1);
    v->addWidget(status_);

    connect(mode3d_, &QToolButton::toggled, view_, &EmbeddingMapView::set3D);
    connect(colorBy_, &QComboBox::currentTextChanged, this, [this](const QString& c) { setColorBy(c); });
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& t) {
        matches_ = t.trimmed().isEmpty() ? -1 : view_->setSearchText(t);
        if (matches_ < 0) view_->setSearchText(QString());
        refreshStatus();
    });
    connect(view_, &EmbeddingMapView::selectionChanged, this, [this](int) { refreshStatus(); });
    connect(view_, &EmbeddingMapView::frameRendered, this, [this](double ms, bool density) {
        frameMs_ = ms;
        frameDensity_ = density;
        refreshStatus();
    });
    connect(view_, &EmbeddingMapView::pointClicked, this, [this](int row) {
        neighbours_->setSelectedPoint(row, row >= 0 ? view_->data().label(row) : QString());
    });
    connect(neighbours_, &NeighboursPanel::highlightRequested, view_, &EmbeddingMapView::setHighlightedRows);
    connect(neighbours_, &NeighboursPanel::rowActivated, this, [this](int row) {
        view_->setSelection({row});
        neighbours_->setSelectedPoint(row, view_->data().label(row));
    });
    refreshColorChoices();
    refreshStatus();
}

void MapPanel::setData(MapData data) {
    view_->setData(std::move(data));
    refreshColorChoices();
    if (!search_->text().trimmed().isEmpty()) matches_ = view_->setSearchText(search_->text());
    neighbours_->setSelectedPoint(-1, QString());
    neighbours_->clearResults();
    refreshStatus();
}

QStringList MapPanel::colorChoices() const {
    QStringList c{QStringLiteral("none")};
    if (!view_->data().tokenTypes.empty()) c << QStringLiteral("token type");
    for (const MetaColumn& col : view_->data().columns) c << col.name;
    return c;
}

void MapPanel::refreshColorChoices() {
    const QString current = colorBy_->currentText();
    const QSignalBlocker block(colorBy_);
    colorBy_->clear();
    colorBy_->addItems(colorChoices());
    int idx = colorBy_->findText(current);
    if (idx < 0 && !view_->data().tokenTypes.empty()) idx = colorBy_->findText(QStringLiteral("token type"));
    // Static word vectors written with a part-of-speech column (train static --gold) open coloured by it.
    if (idx <= 0 && view_->data().tokenTypes.empty()) {
        const int pos = colorBy_->findText(QStringLiteral("pos"));
        if (pos >= 0) idx = pos;
    }
    colorBy_->setCurrentIndex(std::max(0, idx));
    setColorBy(colorBy_->currentText());
}

bool MapPanel::setColorBy(const QString& choice) {
    bool ok = true;
    if (choice.isEmpty() || choice == QLatin1String("none")) view_->setColorByNone();
    else if (choice == QLatin1String("token type") && !view_->data().tokenTypes.empty()) ok = view_->setColorByTokenType();
    else ok = view_->setColorByColumn(choice);
    if (ok && colorBy_->currentText() != choice) {
        const QSignalBlocker block(colorBy_);
        colorBy_->setCurrentIndex(std::max(0, colorBy_->findText(choice)));
    }
    return ok;
}

QString MapPanel::colorChoice() const { return colorBy_->currentText(); }

void MapPanel::setSearchText(const QString& text) { search_->setText(text); }

void MapPanel::set3D(bool on) { mode3d_->setChecked(on); }

QString MapPanel::statusText() const { return status_->text(); }

void MapPanel::refreshStatus() {
    const MapData& d = view_->data();
    QStringList parts;
    parts << tr("%L1 points").arg(d.size());
    if (d.excluded > 0) parts << tr("%L1 excluded (NaN/Inf)").arg(d.excluded);
    parts << tr("%L1 selected").arg(view_->selection().size());
    if (matches_ >= 0) parts << tr("%L1 matches").arg(matches_);
    if (frameMs_ > 0)
        parts << tr("%1 ms/frame%2").arg(frameMs_, 0, 'f', 1).arg(frameDensity_ ? tr(" (density)") : QString());
    status_->setText(parts.join(QStringLiteral(" · ")));
}

bool MapPanel::exportTo(const QString& path, QString* error) {
    QString err;
    const bool ok = view_->exportTo(path, &err);
    if (ok) Q_EMIT exported(path);
    else Q_EMIT exportFailed(err);
    if (error) *error = err;
    return ok;
}

void MapPanel::exportWithDialog(const QString& ext) {
    const QString filter = ext == QLatin1String("csv") ? tr("CSV (*.csv)") : tr("%1 (*.%2)").arg(ext.toUpper(), ext);
    QString path = QFileDialog::getSaveFileName(this, tr("Export map"), QStringLiteral("map.%1").arg(ext), filter);
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1Char('.') + ext, Qt::CaseInsensitive)) path += QLatin1Char('.') + ext;
    exportTo(path);
}

}  // namespace embedlab
