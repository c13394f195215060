// The on-disk vector store: batches appended, committed atomically, reopened by memory mapping
// (numpy reads the same matrix from the documented layout), abort leaves nothing, corruption is refused.
#include "engine/core/error.h"
#include "engine/io/vector_store.h"
#include "test_paths.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

using namespace embedlab;

namespace {

std::string scratch(const std::string& name) {
    ::mkdir(test::tmpDir().c_str(), 0755);
    const std::string dir = test::tmpDir() + "/vstore";
    ::mkdir(dir.c_str(), 0755);
    return dir + "/" + name;
}

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

void rmStore(const std::string& p) {
    for (const char* f : {"vectors.bin", "labels.jsonl", "manifest.json"}) ::unlink((p + "/" + f).c_str());
    ::rmdir(p.c_str());
}

}  // namespace

TEST(VectorStore, WriteInBatchesReopenMappedAndReadWithNumpy) {
    const std::string p = scratch("a.vstore");
    rmStore(p);
    at::Tensor all = at::randn({1000, 24}, at::kFloat);
    {
        VectorStoreWriter w(p, 24, {{"model", "bert_tiny"}, {"pooling", "mean"}});
        for (int64_t b = 0; b < 1000; b += 128) {
            const int64_t e = std::min<int64_t>(1000, b + 128);
            std::vector<std::string> labels;
            std::vector<nlohmann::json> meta;
            for (int64_t i = b; i < e; ++i) {
                labels.push_back("cümle " + std::to_string(i) + (i == 3 ? "\ttab\nnewline" : ""));
                meta.push_back({{"line", i + 1}});
            }
            w.append(all.slice(0, b, e), labels, meta);
            EXPECT_FALSE(exists(p)) << "nothing is published before commit";
        }
        EXPECT_EQ(w.count(), 1000);
        w.commit();
    }
    ASSERT_TRUE(isVectorStore(p));
    VectorStore s = VectorStore::open(p);
    EXPECT_EQ(s.size(), 1000);
    EXPECT_EQ(s.dim(), 24);
    EXPECT_TRUE(at::equal(s.tensor(), all));
    EXPECT_EQ(s.row(999)[23], all[999][23].item<float>());
    EXPECT_EQ(s.manifest()["metadata"]["model"], "bert_tiny");
    ASSERT_EQ(s.labels().size(), 1000u);
    EXPECT_EQ(s.labels()[3], "cümle 3\ttab\nnewline");
    EXPECT_EQ(s.metadataRows()[10]["line"], 11);
    // the documented layout, read independently
    const std::string out = scratch("a_ref.json");
    const std::string cmd = test::referencePython() +
                            " -c \"import numpy as np, json, sys; b=open(sys.argv[1]+'/vectors.bin','rb').read(); "
                            "assert b[:8]==b'ELVSTORE'; n=int.from_bytes(b[16:24],'little'); d=int.from_bytes(b[24:32],'little'); "
                            "m=np.frombuffer(b[64:],dtype='<f4').reshape(n,d); "
                            "json.dump({'n':n,'d':d,'sum':float(m.astype(np.float64).sum()),'x':float(m[500,7])}, open(sys.argv[2],'w'))\" " +
                            p + " " + out;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream f(out);
    auto j = nlohmann::json::parse(f);
    EXPECT_EQ(j["n"], 1000);
    EXPECT_EQ(j["d"], 24);
    EXPECT_NEAR(j["sum"].get<double>(), all.to(at::kDouble).sum().item<double>(), 1e-6);
    EXPECT_EQ(j["x"].get<double>(), static_cast<double>(all[500][7].item<float>()));
}

TEST(VectorStore, AbortLeavesNoStoreAndKeepsTheOldOne) {
    const std::string p = scratch("b.vstore");
    rmStore(p);
    {
        VectorStoreWriter w(p, 4);
        float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        w.append(v, 2);
        // destroyed without commit (a cancelled embedding run)
    }
    EXPECT_FALSE(exists(p));
    EXPECT_FALSE(exists(p + ".tmp-" + std::to_string(::getpid())));
    {
        VectorStoreWriter w(p, 4);
        float v[4] = {1, 2, 3, 4};
        w.append(v, 1, {"old"});
        w.commit();
    }
    {
        VectorStoreWriter w(p, 4);
        float v[4] = {9, 9, 9, 9};
        w.append(v, 1, {"new"});
        w.abort();
    }
    VectorStore s = VectorStore::open(p);
    EXPECT_EQ(s.size(), 1);
    EXPECT_EQ(s.labels()[0], "old");
    {  // replacing on commit
        VectorStoreWriter w(p, 2);
        float v[6] = {1, 2, 3, 4, 5, 6};
        w.append(v, 3);
        w.commit();
    }
    VectorStore s2 = VectorStore::open(p);
    EXPECT_EQ(s2.size(), 3);
    EXPECT_EQ(s2.dim(), 2);
    EXPECT_EQ(s2.labels()[2], "");
    EXPECT_EQ(s.size(), 1) << "an open store keeps its mapping";
}

TEST(VectorStore, RefusesCorruptStoresAndForeignPaths) {
    const std::string p = scratch("c.vstore");
    rmStore(p);
    {
        VectorStoreWriter w(p, 3);
        float v[6] = {1, 2, 3, 4, 5, 6};
        w.append(v, 2);
        w.commit();
    }
    ASSERT_EQ(::truncate((p + "/vectors.bin").c_str(), 64 + 4 * 5), 0);
    try {
        VectorStore::open(p);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("truncated or corrupt"), std::string::npos) << e.what();
    }
    EXPECT_THROW(VectorStore::open(scratch("missing.vstore")), Error);
    const std::string foreign = scratch("foreign");
    ::mkdir(foreign.c_str(), 0755);
    EXPECT_THROW(VectorStoreWriter(foreign, 3), Error);
    EXPECT_THROW(VectorStore::open(foreign), Error);
}
