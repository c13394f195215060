#include "engine/tokenizers/hf_postprocessors.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

namespace embedlab::hf {
namespace {

// Resolves ["[CLS]", 101] style pairs.
int32_t pairId(const Json& j, const char* key, const char* what) {
    const Json* p = jsonFind(j, key);
    if (!p || !p->is_array() || p->size() != 2 || !(*p)[1].is_number_integer())
        throw Error::badInput(std::string("tokenizer.json: ") + what + " needs \"" + key + "\": [token, id]");
    return (*p)[1].get<int32_t>();
}

class Wrap : public PostProcessor {  // BertProcessing / RobertaProcessing: CLS A SEP
public:
    Wrap(const Json& j, const char* what) : cls_(pairId(j, "cls", what)), sep_(pairId(j, "sep", what)) {}
    void process(std::vector<PieceToken>& toks) const override {
        toks.insert(toks.begin(), PieceToken{cls_, {}, true});
        toks.push_back(PieceToken{sep_, {}, true});
    }

private:
    int32_t cls_, sep_;
};

class Template : public PostProcessor {
public:
    Template(const Json& j, const std::function<std::optional<int32_t>(const std::string&)>& lookup) {
        const Json* single = jsonFind(j, "single");
        if (!single) throw Error::badInput("tokenizer.json: TemplateProcessing without \"single\"");
        std::vector<Json> items;
        if (single->is_string()) {  // "[CLS] $A [SEP]" form
            std::string s = single->get<std::string>(), w;
            for (size_t i = 0; i <= s.size(); ++i) {
                if (i == s.size() || s[i] == ' ') {
                    if (!w.empty()) {
                        if (w[0] == '$') items.push_back(Json{{"Sequence", {{"id", "A"}}}});
                        else items.push_back(Json{{"SpecialToken", {{"id", w.substr(0, w.find(':'))}}}});
                    }
                    w.clear();
                } else {
                    w += s[i];
                }
            }
        } else if (single->is_array()) {
            items.assign(single->begin(), single->end());
        } else {
            throw Error::badInput("tokenizer.json: TemplateProcessing \"single\" must be a list");
        }
        const Json* specials = jsonFind(j, "special_tokens");
        for (const auto& it : items) {
            if (it.contains("Sequence")) {
                parts_.push_back({});
                parts_.back().sequence = true;
                continue;
            }
            if (!it.contains("SpecialToken") || !it["SpecialToken"].contains("id"))
                throw Error::badInput("tokenizer.json: unsupported TemplateProcessing item " + it.dump());
            const std::string name = it["SpecialToken"]["id"].get<std::string>();
            Part p;
            if (specials && specials->contains(name) && (*specials)[name].contains("ids")) {
                for (const auto& id : (*specials)[name]["ids"]) p.ids.push_back(id.get<int32_t>());
            } else if (auto id = lookup(name)) {
                p.ids.push_back(*id);
            } else {
                throw Error::badInput("tokenizer.json: TemplateProcessing special token '" + name + "' is unknown");
            }
            parts_.push_back(std::move(p));
        }
    }
    void process(std::vector<PieceToken>& toks) const override {
        std::vector<PieceToken> r;
        r.reserve(toks.size() + 4);
        for (const auto& p : parts_) {
            if (p.sequence) r.insert(r.end(), toks.begin(), toks.end());
            else
                for (int32_t id : p.ids) r.push_back(PieceToken{id, {}, true});
        }
        toks = std::move(r);
    }

private:
    struct Part {
        bool sequence = false;
        std::vector<int32_t> ids;
    };
    std::vector<Part> parts_;
};

class Sequence : public PostProcessor {
public:
    explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> items) : items_(std::move(items)) {}
    void process(std::vector<PieceToken>& toks) const override {
        for (const auto& p : items_) p->process(toks);
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> items_;
};

class Identity : public PostProcessor {
public:
    void process(std::vector<PieceToken>&) const override {}
};

}  // namespace

std::unique_ptr<PostProcessor> makePostProcessor(
    const Json& j, const std::function<std::optional<int32_t>(const std::string&)>& lookup) {
    if (j.is_null()) return nullptr;
    const std::string t = jsonType(j, "post_processor");
    if (t == "TemplateProcessing") return std::make_unique<Template>(j, lookup);
    if (t == "BertProcessing") return std::make_unique<Wrap>(j, "BertProcessing");
    if (t == "RobertaProcessing") return std::make_unique<Wrap>(j, "RobertaProcessing");
    if (t == "ByteLevel") return std::make_unique<Identity>();  // only trims offsets in HF
    if (t == "Sequence") {
        const Json* list = jsonFind(j, "processors");
        if (!list || !list->is_array()) throw Error::badInput("tokenizer.json: Sequence post_processor without \"processors\"");
        std::vector<std::unique_ptr<PostProcessor>> items;
        for (const auto& p : *list)
            if (auto x = makePostProcessor(p, lookup)) items.push_back(std::move(x));
        return std::make_unique<Sequence>(std::move(items));
    }
    throw Error::badInput("tokenizer.json: unsupported post_processor type '" + t + "'");
}

}  // namespace embedlab::hf
