// safetensors: the header, offsets and dtypes of one file (SafeTensorsFile::open, every tensor viewed
// and summed), and a folder's model.safetensors.index.json shard index (SafeTensorsCollection).
// The first input byte picks which.
#include "fuzz_common.h"
#include "engine/io/safetensors.h"

#include <ATen/ATen.h>

#include <sys/stat.h>

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    if (data[0] & 1) {
        const std::string path = fuzz::writeScratch("f.safetensors", data + 1, size - 1);
        fuzz::expectResultOrError([&] {
            auto f = SafeTensorsFile::open(path);
            for (const auto& t : f->tensors()) {
                FUZZ_CHECK(t.begin <= t.end && f->fileSize() >= t.end);  // every tensor lies inside the file
                at::Tensor v = f->tensor(t.name);
                if (v.numel() > 0 && v.is_floating_point()) (void)v.to(at::kFloat).sum().item<double>();
            }
        });
    } else {
        const std::string dir = fuzz::scratchDir() + "/folder";
        ::mkdir(dir.c_str(), 0755);
        fuzz::writeScratch("folder/model.safetensors.index.json", data + 1, size - 1);
        fuzz::expectResultOrError([&] {
            auto c = SafeTensorsCollection::openFolder(dir);
            for (const auto& n : c.names()) (void)c.info(n);
        });
    }
    return 0;
}
