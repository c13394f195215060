// embedlab app — what a workspace has open besides its models and results: tokenizers, corpora,
// vector stores (embedded corpora), the map's vector space and its projection. Each item is the loaded
// object itself (shared with the panel that shows it: the tokenizer, the store, the space, the
// projected coordinates, the corpus summary), its path, the panel that opened it and a one-line
// summary. WorkspaceState owns the list; a panel that opens something adds it here and takes it away
// when it lets go, and every part of the app can see what is open without asking a panel (the
// Workspace panel lists it). Sessions reopen items
// through the panels that show them (their participant objects).
//
// Torch-free: ui/ includes it.
#pragma once

#include "app/bridge/eval_jobs.h"
#include "app/bridge/map_jobs.h"
#include "app/bridge/tokenizer_jobs.h"

#include <QObject>
#include <QString>
#include <QVector>

namespace embedlab {

struct OpenItem {
    enum class Kind { Tokenizer, Corpus, VectorStore, VectorSpace, Projection };
    int id = 0;
    Kind kind = Kind::Corpus;
    QString path;     // file or folder; for a model-derived space, the model's folder
    QString owner;    // the session key of the panel that opened it ("similarity", "map", ...)
    QString summary;  // "900 records, 14,674 words, utf-8" ...
    // The object, by kind.
    TokenizerPtr tokenizer;
    CorpusSummary corpus;
    EmbeddingStorePtr store;
    StoreInfo storeInfo;
    VectorSpacePtr space;
    VectorSpaceInfo spaceInfo;
    ProjectionParams projectionParams;
    ProjectionOutput projection;

    static QString kindName(Kind k);  // "tokenizer", "corpus", "vector store", "vector space", "projection"
};

class OpenItems : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    int count() const { return items_.size(); }
    const OpenItem& at(int i) const { return items_.at(i); }
    QVector<OpenItem> ofKind(OpenItem::Kind kind) const;
    // The item `owner` holds of `kind` (panels hold one corpus, one store ... each), or null.
    const OpenItem* held(const QString& owner, OpenItem::Kind kind) const;

    // Adds an item; returns its id.
    int add(OpenItem item);
    // Sets what `owner` holds of `kind`: replaces its item (same id) or adds one; returns the id.
    int hold(const QString& owner, OpenItem item);
    // Lets go of everything `owner` holds of `kind` (nothing when it holds none).
    void release(const QString& owner, OpenItem::Kind kind);
    void remove(int id);
    void clear();

Q_SIGNALS:
    void itemAdded(int id);
    void itemChanged(int id);
    void itemRemoved(int id, embedlab::OpenItem::Kind kind);
    void itemsCleared();

private:
    QVector<OpenItem> items_;
    int nextId_ = 1;
};

}  // namespace embedlab
