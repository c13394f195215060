// `embedlab-cli ablate --study FILE.json --out DIR`: an ablation sweep (engine/tasks/ablation_study.h).
// Progress (and each finished setting's main metrics as metric points) on stderr; DIR/results.json,
// DIR/results.csv and the charts are rewritten after every setting, so an interrupted sweep keeps
// what it finished. Prints a summary.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/tasks/ablation_study.h"

#include <cstdio>

namespace embedlab::cli {

namespace {

int runAblate(Args& a) {
    const std::string studyPath = a.require("study");
    const std::string out = a.require("out");
    tasks::AblationStudy study = tasks::readStudy(studyPath);
    if (a.has("device")) study.device = deviceFromArgs(a);
    if (a.has("dtype")) study.dtype = dtypeFromArgs(a);
    StderrProgress progress(a, "ablate");
    std::vector<std::string> files;
    const tasks::AblationResult r =
        tasks::runAblation(study, progress, [&](const tasks::AblationRow& row, const tasks::AblationResult& partial) {
            for (const auto& key : partial.mainKeys) progress.metric(key, double(row.index), row.metric(key, 0.0));
            files = tasks::writeAblationOutputs(partial, out);
        });
    files = tasks::writeAblationOutputs(r, out);
    printJson({{"type", study.type},
               {"settings", static_cast<int64_t>(r.rows.size()) - 1},
               {"rows", r.rows.size()},
               {"main_metrics", r.mainKeys},
               {"baseline", tasks::toJson(r.rows.front(), r)["metrics"]},
               {"out", out},
               {"files", files},
               {"seconds", r.seconds}});
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "ablate",
    "ablate --study FILE.json --out DIR [--device D] [--dtype f32|bf16]\n"
    "  a sweep over one kind of change (dimensions, precision, layers, heads, tokens, vocabulary) with the\n"
    "  study's metrics per setting; DIR/results.json, results.csv, chart.svg | heads_heatmap.svg (docs/ablation.md)",
    {},
    {"study", "out", "device", "dtype"},
    runAblate});

}  // namespace embedlab::cli
