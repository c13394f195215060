#include "app/state/open_items.h"

namespace embedlab {

QString OpenItem::kindName(Kind k) {
    switch (k) {
    case Kind::Tokenizer: return QStringLiteral("tokenizer");
    case Kind::Corpus: return QStringLiteral("corpus");
    case Kind::VectorStore: return QStringLiteral("vector store");
    case Kind::VectorSpace: return QStringLiteral("vector space");
    case Kind::Projection: return QStringLiteral("projection");
    }
    return {};
}

QVector<OpenItem> OpenItems::ofKind(OpenItem::Kind kind) const {
    QVector<OpenItem> out;
    for (const OpenItem& i : items_)
        if (i.kind == kind) out << i;
    return out;
}

const OpenItem* OpenItems::held(const QString& owner, OpenItem::Kind kind) const {
    for (const OpenItem& i : items_)
        if (i.owner == owner && i.kind == kind) return &i;
    return nullptr;
}

int OpenItems::add(OpenItem item) {
    item.id = nextId_++;
    items_.push_back(item);
    Q_EMIT itemAdded(item.id);
    return item.id;
}

int OpenItems::hold(const QString& owner, OpenItem item) {
    item.owner = owner;
    for (OpenItem& i : items_)
        if (i.owner == owner && i.kind == item.kind) {
            item.id = i.id;
            i = item;
            Q_EMIT itemChanged(item.id);
            return item.id;
        }
    return add(item);
}

void OpenItems::release(const QString& owner, OpenItem::Kind kind) {
    while (const OpenItem* i = held(owner, kind)) remove(i->id);
}

void OpenItems::remove(int id) {
    for (int i = 0; i < items_.size(); ++i)
        if (items_[i].id == id) {
            const OpenItem::Kind kind = items_[i].kind;
            items_.remove(i);
            Q_EMIT itemRemoved(id, kind);
            return;
        }
}

void OpenItems::clear() {
    items_.clear();
    Q_EMIT itemsCleared();
}

}  // namespace embedlab
