#include "engine/tokenizers/hf_json.h"

#include "engine/core/error.h"

#include <cmath>

namespace embedlab::hf {
namespace {

class Sax : public nlohmann::json_sax<Json> {
public:
    explicit Sax(LoadedTokenizerJson& out) : out_(out) {}
    std::string error;

    bool null() override { return value(Json()); }
    bool boolean(bool v) override { return value(Json(v)); }
    bool number_integer(number_integer_t v) override { return inMode() ? specialNumber(static_cast<double>(v), v) : value(Json(v)); }
    bool number_unsigned(number_unsigned_t v) override {
        return inMode() ? specialNumber(static_cast<double>(v), v <= uint64_t(INT64_MAX) ? static_cast<int64_t>(v) : INT64_MIN)
                        : value(Json(v));
    }
    bool number_float(number_float_t v, const string_t&) override {
        // A whole number within int64 (the cast is undefined beyond it: UBSan float-cast-overflow).
        if (inMode())
            return specialNumber(v, std::nearbyint(v) == v && std::fabs(v) < 9.2e18 ? static_cast<int64_t>(v) : INT64_MIN);
        return value(Json(v));
    }
    bool string(string_t& s) override {
        if (inMode()) return specialString(s);
        return value(Json(std::move(s)));
    }
    bool binary(binary_t&) override { return fail("unexpected binary value"); }
    bool start_object(std::size_t) override {
        if (inMode()) {
            if (mode_ == Mode::VocabObj && sdepth_ == 0) return fail("model.vocab: nested objects are not allowed");
            return fail("model." + modeName() + " has an unexpected object");
        }
        if (enterSpecial(true)) return true;
        return push(Json::object());
    }
    bool end_object() override {
        if (inMode()) {
            mode_ = Mode::None;  // only VocabObj can be closed by an object end at its own level
            return true;
        }
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        if (inMode()) {
            if (sdepth_ != 0 || mode_ == Mode::VocabObj) return fail("model." + modeName() + " is malformed (too deeply nested)");
            sdepth_ = 1;
            parts_.clear();
            score_ = NAN;
            return true;
        }
        if (enterSpecial(false)) return true;
        return push(Json::array());
    }
    bool end_array() override {
        if (inMode()) {
            if (sdepth_ == 1) {
                sdepth_ = 0;
                if (mode_ == Mode::Merges) {
                    if (parts_.size() != 2) return fail("model.merges: an entry is not a pair of tokens");
                    out_.model.merges.emplace_back(std::move(parts_[0]), std::move(parts_[1]));
                } else {
                    if (parts_.size() != 1 || std::isnan(score_))
                        return fail("model.vocab: a Unigram entry is not [piece, score]");
                    out_.model.unigramVocab.emplace_back(std::move(parts_[0]), score_);
                }
                return true;
            }
            mode_ = Mode::None;
            return true;
        }
        stack_.pop_back();
        return true;
    }
    bool key(string_t& k) override {
        if (inMode()) {
            if (mode_ != Mode::VocabObj) return fail("model." + modeName() + " is malformed");
            key_ = std::move(k);
            return true;
        }
        key_ = std::move(k);
        return true;
    }
    bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
        error = "tokenizer.json is not valid JSON (byte " + std::to_string(pos) + "): " + ex.what();
        return false;
    }

private:
    enum class Mode { None = 0, VocabObj, VocabArr, Merges };
    LoadedTokenizerJson& out_;
    std::vector<Json*> stack_;
    std::string key_;
    Mode mode_ = Mode::None;
    int sdepth_ = 0;
    std::vector<std::string> parts_;
    double score_ = NAN;

    bool inMode() const { return mode_ != Mode::None; }
    std::string modeName() const { return mode_ == Mode::Merges ? "merges" : "vocab"; }
    bool fail(const std::string& m) {
        if (error.empty()) error = "tokenizer.json: " + m;
        return false;
    }
    // Are we at root.model.<vocab|merges>? (stack: root, model)
    bool atModelField() const { return stack_.size() == 2 && stack_[0]->contains("model") && &(*stack_[0])["model"] == stack_[1]; }
    bool enterSpecial(bool isObject) {
        if (!atModelField() || !stack_[1]->is_object()) return false;
        if (key_ == "vocab") {
            out_.model.vocabSeen = true;
            mode_ = isObject ? Mode::VocabObj : Mode::VocabArr;
        } else if (key_ == "merges" && !isObject) {
            out_.model.mergesSeen = true;
            mode_ = Mode::Merges;
        } else {
            return false;
        }
        sdepth_ = 0;
        return true;
    }
    bool specialNumber(double d, int64_t i) {
        if (mode_ == Mode::VocabObj) {
            if (i == INT64_MIN) return fail("model.vocab: the id of '" + key_ + "' is not a whole number");
            out_.model.vocab.emplace_back(std::move(key_), i);
            return true;
        }
        if (mode_ == Mode::VocabArr && sdepth_ == 1) {
            score_ = d;
            return true;
        }
        return fail("model." + modeName() + " has an unexpected number");
    }
    bool specialString(std::string& s) {
        if (mode_ == Mode::Merges && sdepth_ == 0) {
            const size_t sp = s.find(' ');
            if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
                return fail("model.merges: entry '" + s + "' is not two tokens separated by one space");
            out_.model.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
            return true;
        }
        if (sdepth_ == 1 && (mode_ == Mode::Merges || mode_ == Mode::VocabArr)) {
            parts_.push_back(std::move(s));
            return true;
        }
        return fail("model." + modeName() + " has an unexpected string");
    }
    Json* place(Json&& v) {
        if (stack_.empty()) {
            out_.root = std::move(v);
            return &out_.root;
        }
        Json* top = stack_.back();
        if (top->is_object()) {
            Json& slot = (*top)[key_];
            slot = std::move(v);
            return &slot;
        }
        top->push_back(std::move(v));
        return &top->back();
    }
    bool value(Json&& v) {
        place(std::move(v));
        return true;
    }
    bool push(Json&& v) {
        stack_.push_back(place(std::move(v)));
        return true;
    }
};

}  // namespace

LoadedTokenizerJson parseTokenizerJson(const std::string& text) {
    LoadedTokenizerJson out;
    Sax sax(out);
    bool ok = false;
    try {
        ok = Json::sax_parse(text, &sax);
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(std::string("tokenizer.json is not valid JSON: ") + e.what());
    }
    if (!ok) throw Error::badInput(sax.error.empty() ? "tokenizer.json is not valid JSON" : sax.error);
    if (!out.root.is_object()) throw Error::badInput("tokenizer.json: the top level is not an object");
    return out;
}

}  // namespace embedlab::hf
