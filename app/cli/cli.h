// embedlab-cli — shared pieces of the headless front end (no Qt). Each command lives in its own
// cmd_<name>.cpp and registers itself with EMBEDLAB_CLI_COMMAND. The contract is
// ../shared/design/cli.md: JSON on stdout, progress on stderr, `error: ...` and exit codes 2/3/4.
#pragma once

#include "engine/jobs/progress.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace embedlab {
class Collective;
class Tokenizer;
}

namespace embedlab::cli {

// Bad usage: exit code 2 with the command's usage.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
public:
    std::string command;
    std::vector<std::string> positional;
    std::vector<std::string> rest;  // what follows a lone "--" (launch's command), unparsed

    bool has(const std::string& flag) const { return values_.count(flag) > 0; }
    // The last value given for a flag, or `def`.
    std::string get(const std::string& flag, const std::string& def = {}) const;
    std::string require(const std::string& flag) const;
    std::vector<std::string> getAll(const std::string& flag) const;
    long long getInt(const std::string& flag, long long def) const;
    double getDouble(const std::string& flag, double def) const;

    // Parses argv[first..]; booleanFlags take no value. Throws UsageError for an unknown flag.
    void parse(int argc, char** argv, int first, const std::set<std::string>& booleanFlags,
               const std::set<std::string>& valueFlags);

private:
    std::map<std::string, std::vector<std::string>> values_;
};

struct Command {
    std::string name;
    std::string usage;  // one or more lines, without the program name
    std::set<std::string> booleanFlags;
    std::set<std::string> valueFlags;
    std::function<int(Args&)> run;
};

std::map<std::string, Command>& registry();

struct Registrar {
    explicit Registrar(Command c) { registry()[c.name] = std::move(c); }
};

// Flags every command accepts.
extern const std::set<std::string> kCommonValueFlags;  // --device --dtype --threads --progress

// Data parallel (train, embed): --world-size N --rank R --master ADDR:PORT [--dist-timeout S], or
// torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) when no flag is given.
extern const std::set<std::string> kDistValueFlags;
// Joins the job those say this process is a rank of (engine/dist/process_group.h); null for one
// process (neither given, or a world size of 1). `device` picks the backend.
std::unique_ptr<Collective> joinJobFromArgs(const Args& a, const std::string& device);
// " [rank R/W]" for a progress label ("" for one process).
std::string rankLabel(const Collective* group);

// Prints one JSON value (one line) to stdout.
void printJson(const nlohmann::json& j);

// A Progress that prints to stderr, as `--progress` asks:
//   human (default): a redrawn bar on a TTY, plain lines otherwise; log lines as they come;
//   json: one JSON object per line — {"progress":f,"message":..,"eta":s}, {"metric":name,"step":..,
//         "value":..} for every metric point, {"log":line} (shared/design/cli.md); a rank of a
//         data-parallel job (`group`) adds "rank":R to each, so that a launcher or the app can tell
//         the ranks' lines apart on one stream;
//   none: nothing.
class StderrProgress : public Progress {
public:
    StderrProgress(const Args& a, std::string label, const Collective* group = nullptr);
    ~StderrProgress() override;

private:
    std::string label_;
    bool tty_;
    bool human_;
};

// --device value validated against what LibTorch offers ("" → best available).
std::string deviceFromArgs(const Args& a);
// --dtype value: "f32" or "bf16" (also accepts float32/bfloat16). Throws UsageError otherwise.
std::string dtypeFromArgs(const Args& a);

// "1,2,3;4,5" → {{1,2,3},{4,5}} (cmd_forward.cpp). Throws UsageError.
std::vector<std::vector<int64_t>> parseIdList(const std::string& s);

// The prompt of generate / lens: --prompt TEXT, encoded by the model folder's tokenizer (with its special
// tokens under --add-special), or --ids "1,2,3" (one sequence). `tok` receives the folder's tokenizer when it
// has one (for token strings; with --ids a tokenizer that does not load is ignored). Throws UsageError for
// neither or both, Error(BadInput) for a --prompt without a tokenizer or one that encodes to nothing.
std::vector<int64_t> promptIdsFromArgs(const Args& a, const std::string& modelDir, std::unique_ptr<Tokenizer>& tok,
                                       const std::string& command);

}  // namespace embedlab::cli

#define EMBEDLAB_CLI_CONCAT2(a, b) a##b
#define EMBEDLAB_CLI_CONCAT(a, b) EMBEDLAB_CLI_CONCAT2(a, b)
#define EMBEDLAB_CLI_COMMAND(...) \
    static ::embedlab::cli::Registrar EMBEDLAB_CLI_CONCAT(embedlab_cli_registrar_, __LINE__)(__VA_ARGS__)
