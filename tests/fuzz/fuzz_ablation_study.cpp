// Ablation study files (`embedlab-cli ablate --study FILE`, the Ablations view's Load): readStudy, then
// for an accepted study the settings it sweeps on a fixed model shape.
// Invariants: an accepted study saves and reads back as itself (studyToJson ∘ parseStudy is a fixed
// point), and its settings are listable for a model with those layers and heads (or a clear error
// naming what is out of range).
#include "fuzz_common.h"
#include "engine/tasks/ablation_study.h"

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = fuzz::writeScratch("study.json", data, size);
    fuzz::expectResultOrError([&] {
        const tasks::AblationStudy s = tasks::readStudy(path);
        const nlohmann::json saved = tasks::studyToJson(s);
        const tasks::AblationStudy again = tasks::parseStudy(saved, "");
        FUZZ_CHECK(tasks::studyToJson(again) == saved);
        tasks::ModelShape shape;
        shape.layers = 6;
        shape.heads = 4;
        shape.hidden = 64;
        shape.vocab = 512;
        shape.causal = true;
        const std::vector<std::string> names = tasks::ablationSettingNames(s, shape);
        FUZZ_CHECK(names.size() < (1u << 24));
    });
    return 0;
}
