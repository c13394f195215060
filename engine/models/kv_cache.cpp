#include "engine/models/kv_cache.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace embedlab {

KVCache::KVCache(std::vector<int64_t> windows) {
    layers_.resize(windows.size());
    for (size_t i = 0; i < windows.size(); ++i) layers_[i].window = windows[i];
}

void KVCache::clear() {
    for (auto& s : layers_) {
        s.k = at::Tensor();
        s.v = at::Tensor();
        s.start = 0;
        s.used = 0;
    }
    length_ = 0;
    pads_.clear();
    batch_ = -1;
}

void KVCache::setLeftPadding(std::vector<int64_t> pads) {
    if (length_ > 0) throw Error::runtime("KV cache: padding must be set before the first token");
    for (int64_t p : pads)
        if (p < 0) throw Error::runtime("KV cache: negative padding");
    pads_ = std::move(pads);
}

void KVCache::checkPaddingRows(int64_t batch) const {
    if (!pads_.empty() && static_cast<int64_t>(pads_.size()) != batch)
        throw Error::runtime("KV cache padding has " + std::to_string(pads_.size()) + " rows, the batch " +
                             std::to_string(batch));
}

void KVCache::keepRows(const std::vector<int64_t>& rows) {
    int64_t batch = batch_ >= 0 ? batch_ : static_cast<int64_t>(pads_.size());
    for (size_t i = 0; i < rows.size(); ++i)
        if (rows[i] < 0 || rows[i] >= batch || (i > 0 && rows[i] <= rows[i - 1]))
            throw Error::runtime("KV cache: rows to keep must be ascending indices below " + std::to_string(batch));
    if (static_cast<int64_t>(rows.size()) == batch) return;
    for (auto& s : layers_) {
        if (!s.k.defined()) continue;
        const at::Tensor idx = at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(s.k.device());
        s.k = s.k.index_select(0, idx);
        s.v = s.v.index_select(0, idx);
    }
    if (!pads_.empty()) {
        std::vector<int64_t> kept;
        for (int64_t r : rows) kept.push_back(pads_[static_cast<size_t>(r)]);
        pads_ = std::move(kept);
    }
    if (batch_ >= 0) batch_ = static_cast<int64_t>(rows.size());
}

at::Tensor KVCache::validKeys(int64_t first, int64_t T, const at::Tensor& like) const {
    bool any = false;
    for (int64_t p : pads_) any = any || p > first;
    if (!any) return at::Tensor();
    auto opts = like.options().dtype(at::kLong);
    at::Tensor pos = at::arange(first, first + T, opts).unsqueeze(0);                     // [1, T]
    at::Tensor pads = at::tensor(pads_, at::TensorOptions().dtype(at::kLong)).to(like.device()).unsqueeze(1);  // [B, 1]
    return pos.ge(pads);
}

int64_t KVCache::bytes() const {
    int64_t b = 0;
    for (const auto& s : layers_)
        if (s.k.defined()) b += 2 * s.k.numel() * static_cast<int64_t>(s.k.element_size());
    return b;
}

KVCache::View KVCache::append(int64_t layer, const at::Tensor& k, const at::Tensor& v) {
    if (layer < 0 || layer >= numLayers()) throw Error::runtime("KV cache: layer index out of range");
    Slot& s = layers_[static_cast<size_t>(layer)];
    const int64_t n = k.size(2);
    if (s.start + s.used != length_) throw Error::runtime("KV cache: layers out of step");
    if (!s.k.defined() || s.k.size(0) != k.size(0) || s.k.scalar_type() != k.scalar_type() || s.k.device() != k.device()) {
        if (s.used > 0) throw Error::runtime("KV cache: batch, dtype or device changed mid-sequence");
        const int64_t cap = std::max<int64_t>(64, n);
        s.k = at::empty({k.size(0), k.size(1), cap, k.size(3)}, k.options());
        s.v = at::empty({v.size(0), v.size(1), cap, v.size(3)}, v.options());
        batch_ = k.size(0);
    }
    const int64_t cap = s.k.size(2);
    if (s.used + n > cap) {
        int64_t keep = s.used;
        if (s.window > 0) keep = std::min<int64_t>(s.used, s.window - 1);  // older keys are never needed again
        const int64_t drop = s.used - keep;
        if (keep + n <= cap && drop > 0) {
            // Compact in place (clone the tail first: the ranges may overlap).
            if (keep > 0) {
                s.k.narrow(2, 0, keep).copy_(s.k.narrow(2, drop, keep).clone());
                s.v.narrow(2, 0, keep).copy_(s.v.narrow(2, drop, keep).clone());
            }
        } else {
            const int64_t newCap = std::max<int64_t>(2 * cap, keep + n);
            at::Tensor nk = at::empty({s.k.size(0), s.k.size(1), newCap, s.k.size(3)}, s.k.options());
            at::Tensor nv = at::empty({s.v.size(0), s.v.size(1), newCap, s.v.size(3)}, s.v.options());
            if (keep > 0) {
                nk.narrow(2, 0, keep).copy_(s.k.narrow(2, drop, keep));
                nv.narrow(2, 0, keep).copy_(s.v.narrow(2, drop, keep));
            }
            s.k = nk;
            s.v = nv;
        }
        s.start += drop;
        s.used = keep;
    }
    s.k.narrow(2, s.used, n).copy_(k);
    s.v.narrow(2, s.used, n).copy_(v);
    s.used += n;
    View view;
    int64_t first = 0;
    if (s.window > 0) first = std::max<int64_t>(0, (s.used - n) - (s.window - 1));
    view.keys = s.k.narrow(2, first, s.used - first);
    view.values = s.v.narrow(2, first, s.used - first);
    view.firstPosition = s.start + first;
    return view;
}

}  // namespace embedlab
