// `embedlab-cli version` and `embedlab-cli devices`.
#include "app/cli/cli.h"

#include "engine/core/cpu_isa.h"
#include "engine/device/blas_setup.h"
#include "engine/device/device.h"

namespace embedlab::cli {
namespace {

nlohmann::json devicesJson() {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : listDevices()) {
        nlohmann::json j = {{"name", d.name}, {"available", d.available}, {"description", d.description}};
        if (d.name == "cpu") j["threads"] = threadCount();
        if (d.totalMemoryBytes >= 0) j["total_memory_bytes"] = d.totalMemoryBytes;
        if (d.freeMemoryBytes >= 0) j["free_memory_bytes"] = d.freeMemoryBytes;
        arr.push_back(j);
    }
    return arr;
}

int runVersion(Args&) {
    nlohmann::json j = {{"version", embedlabVersion()}, {"torch", torchVersion()}, {"devices", nlohmann::json::array()}};
    for (const auto& d : listDevices()) j["devices"].push_back(d.name);
    const std::string blas = blasDescription();
    if (!blas.empty()) j["blas"] = blas;
    if (*blasCoreName()) j["blas_core"] = blasCoreName();
    const std::string thp = transparentHugePageMode();
    if (!thp.empty()) j["transparent_huge_pages"] = thp;
    j["malloc_huge_pages"] = mallocUsesHugePages();
    j["cpu_isa"] = cpuIsaName(cpuIsa());  // the hand-written kernels' path (EMBEDLAB_CPU_ISA caps it)
    printJson(j);
    return 0;
}

int runDevices(Args&) {
    printJson(devicesJson());
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"version", "version", {}, {}, runVersion});
EMBEDLAB_CLI_COMMAND(Command{"devices", "devices", {}, {}, runDevices});

}  // namespace embedlab::cli
