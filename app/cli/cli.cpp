#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/device/device.h"
#include "engine/dist/process_group.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

namespace embedlab::cli {

const std::set<std::string> kCommonValueFlags = {"device", "dtype", "threads", "progress"};
const std::set<std::string> kDistValueFlags = {"world-size", "rank", "master", "dist-timeout"};

std::unique_ptr<Collective> joinJobFromArgs(const Args& a, const std::string& device) {
    std::optional<DistOptions> o;
    if (a.has("world-size") || a.has("rank") || a.has("master")) {
        if (!a.has("world-size") || !a.has("rank") || !a.has("master"))
            throw UsageError("a data-parallel rank needs all of --world-size N, --rank R and --master ADDR:PORT");
        DistOptions d;
        const long long w = a.getInt("world-size", 1), r = a.getInt("rank", 0);
        if (w < 1 || w > 65536) throw UsageError("--world-size must be between 1 and 65536");
        if (r < 0 || r >= w) throw UsageError("--rank must be between 0 and --world-size − 1");
        d.worldSize = static_cast<int>(w);
        d.rank = d.localRank = static_cast<int>(r);
        parseMasterAddress(a.get("master"), d);
        o = d;
    } else {
        o = distOptionsFromEnvironment();
    }
    if (!o || o->worldSize == 1) return nullptr;
    if (a.has("dist-timeout")) {
        const double t = a.getDouble("dist-timeout", 1800);
        if (!(t >= 1 && t <= 86400)) throw UsageError("--dist-timeout must be between 1 and 86400 seconds");
        o->timeoutSeconds = t;
    }
    o->device = device.empty() ? "cpu" : device;
    return joinProcessGroup(*o);
}

std::string rankLabel(const Collective* g) {
    return g ? " [rank " + std::to_string(g->rank()) + "/" + std::to_string(g->worldSize()) + "]" : std::string();
}

std::map<std::string, Command>& registry() {
    static std::map<std::string, Command> r;
    return r;
}

std::string Args::get(const std::string& flag, const std::string& def) const {
    auto it = values_.find(flag);
    return it == values_.end() || it->second.empty() ? def : it->second.back();
}

std::string Args::require(const std::string& flag) const {
    if (!has(flag)) throw UsageError("missing --" + flag);
    return get(flag);
}

std::vector<std::string> Args::getAll(const std::string& flag) const {
    auto it = values_.find(flag);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

long long Args::getInt(const std::string& flag, long long def) const {
    if (!has(flag)) return def;
    const std::string v = get(flag);
    try {
        size_t pos = 0;
        long long x = std::stoll(v, &pos);
        if (pos != v.size()) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + flag + " expects a whole number, got '" + v + "'");
    }
}

double Args::getDouble(const std::string& flag, double def) const {
    if (!has(flag)) return def;
    const std::string v = get(flag);
    try {
        size_t pos = 0;
        double x = std::stod(v, &pos);
        if (pos != v.size() || !std::isfinite(x)) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + flag + " expects a number, got '" + v + "'");
    }
}

void Args::parse(int argc, char** argv, int first, const std::set<std::string>& booleanFlags,
                 const std::set<std::string>& valueFlags) {
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            rest.assign(argv + i + 1, argv + argc);
            break;
        }
        if (a.rfind("--", 0) != 0) {
            positional.push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        bool hasValue = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            hasValue = true;
        }
        if (booleanFlags.count(name)) {
            if (hasValue) throw UsageError("--" + name + " takes no value");
            values_[name].push_back("1");
        } else if (valueFlags.count(name) || kCommonValueFlags.count(name)) {
            if (!hasValue) {
                if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
                value = argv[++i];
            }
            values_[name].push_back(value);
        } else {
            throw UsageError("unknown option --" + name);
        }
    }
}

void printJson(const nlohmann::json& j) {
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout.flush();
}

StderrProgress::StderrProgress(const Args& a, std::string label, const Collective* group)
    : label_(std::move(label)), tty_(::isatty(2) != 0), human_(true) {
    const std::string mode = a.get("progress", "human");
    if (mode == "none") {
        human_ = false;
        return;
    }
    if (mode == "json") {
        human_ = false;
        const int rank = group ? group->rank() : -1;
        auto line = [rank](nlohmann::json j) {
            if (rank >= 0) j["rank"] = rank;
            // One write per line (stderr is unbuffered; a line under PIPE_BUF is atomic on a pipe, so
            // ranks that share the stream never interleave within a line).
            const std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
            std::fwrite(s.data(), 1, s.size(), stderr);
            std::fflush(stderr);
        };
        setListener(
            [line](const ProgressSnapshot& s) {
                nlohmann::json j = {{"progress", s.fraction}, {"message", s.message}};
                j["eta"] = s.etaSeconds >= 0 ? nlohmann::json(s.etaSeconds) : nlohmann::json(nullptr);
                line(j);
            },
            200);
        setMetricListener([line](const MetricPoint& m) {
            line({{"metric", m.name}, {"step", m.step}, {"value", m.value}});
        });
        setLogListener([line](const std::string& l) { line({{"log", l}}); });
        return;
    }
    if (mode != "human") throw UsageError("--progress must be human, json or none, got '" + mode + "'");
    setListener(
        [this](const ProgressSnapshot& s) {
            const int pct = s.fraction < 0 ? -1 : static_cast<int>(std::lround(s.fraction * 100));
            std::string eta = s.etaSeconds >= 0 ? " ETA " + std::to_string(static_cast<int>(s.etaSeconds)) + "s" : "";
            if (tty_) {
                std::fprintf(stderr, "\r%s: %3d%% %s%s\033[K", label_.c_str(), pct < 0 ? 0 : pct, s.message.c_str(),
                             eta.c_str());
            } else {
                std::fprintf(stderr, "%s: %d%% %s%s\n", label_.c_str(), pct < 0 ? 0 : pct, s.message.c_str(),
                             eta.c_str());
            }
            std::fflush(stderr);
        },
        tty_ ? 100 : 1000);
    setLogListener([this](const std::string& l) {
        std::fprintf(stderr, "%s%s: %s\n", tty_ ? "\r\033[K" : "", label_.c_str(), l.c_str());
        std::fflush(stderr);
    });
}

StderrProgress::~StderrProgress() {
    if (tty_ && human_) std::fprintf(stderr, "\n");
}

std::string deviceFromArgs(const Args& a) { return resolveDevice(a.get("device", "")); }

std::string dtypeFromArgs(const Args& a) {
    std::string d = a.get("dtype", "f32");
    if (d == "f32" || d == "float32" || d == "fp32") return "f32";
    if (d == "bf16" || d == "bfloat16") return "bf16";
    throw UsageError("--dtype must be f32 or bf16, got '" + d + "'");
}

}  // namespace embedlab::cli
