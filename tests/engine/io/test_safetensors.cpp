// safetensors reading (validation, zero-copy, sharding) and writing, checked against an independent
// reader written in plain Python (struct + json, no numpy needed).
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "test_paths.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <random>

using namespace embedlab;
using nlohmann::json;

namespace {

std::string scratch(const std::string& name) {
    const std::string dir = test::tmpDir() + "/safetensors";
    ::mkdir(test::tmpDir().c_str(), 0755);
    ::mkdir(dir.c_str(), 0755);
    const std::string p = dir + "/" + name;
    ::mkdir(p.c_str(), 0755);
    return p;
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string u64le(uint64_t n) {
    std::string s(8, '\0');
    std::memcpy(s.data(), &n, 8);
    return s;
}

// A file with the given header text and `dataBytes` bytes of data.
std::string rawFile(const std::string& header, size_t dataBytes) {
    return u64le(header.size()) + header + std::string(dataBytes, '\x01');
}

// Expects open() to throw Error(BadInput) whose message contains every fragment.
void expectBad(const std::string& path, const std::vector<std::string>& fragments) {
    try {
        SafeTensorsFile::open(path);
        ADD_FAILURE() << path << " was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput) << e.what();
        const std::string msg = e.what();
        for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
    }
}

std::vector<std::string> fixtureModels() {
    std::vector<std::string> out;
    const std::string dir = test::fixture("models");
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != ".." && isRegularFile(dir + "/" + n + "/model.safetensors")) out.push_back(dir + "/" + n);
        }
        ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The independent reader: prints {name: {"dtype", "shape", "sum", "first"}} for a safetensors file.
const char* kPythonReader = R"PY(
import json, struct, sys
path, out = sys.argv[1], sys.argv[2]
raw = open(path, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n].decode('utf-8'))
data = raw[8 + n:]
fmt = {'F64': ('d', 8), 'F32': ('f', 4), 'F16': ('e', 2), 'I64': ('q', 8), 'I32': ('i', 4), 'I16': ('h', 2),
       'I8': ('b', 1), 'U8': ('B', 1), 'BOOL': ('?', 1)}
res = {}
for k, v in h.items():
    if k == '__metadata__':
        continue
    b, e = v['data_offsets']
    buf = data[b:e]
    if v['dtype'] == 'BF16':
        cnt = len(buf) // 2
        vals = [struct.unpack('<f', struct.pack('<I', x << 16))[0] for x in struct.unpack('<%dH' % cnt, buf)]
    else:
        c, s = fmt[v['dtype']]
        vals = list(struct.unpack('<%d%s' % (len(buf) // s, c), buf))
    vals = [float(x) for x in vals]
    res[k] = {'dtype': v['dtype'], 'shape': v['shape'], 'sum': sum(vals), 'abs': sum(abs(x) for x in vals),
              'first': vals[:4]}
json.dump(res, open(out, 'w'))
)PY";

json pythonReference(const std::string& file) {
    const std::string dir = scratch("python");
    const std::string script = dir + "/reader.py";
    writeBytes(script, kPythonReader);
    const std::string out = dir + "/reference.json";
    ::unlink(out.c_str());
    const std::string cmd = test::referencePython() + " " + script + " '" + file + "' " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return json::parse(readFile(out));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

TEST(SafeTensors, FixturesMatchAnIndependentReader) {
    const auto models = fixtureModels();
    ASSERT_GE(models.size(), 5u) << "fixtures not found under " << test::fixture("models");
    for (const auto& dir : models) {
        SCOPED_TRACE(dir);
        const std::string file = dir + "/model.safetensors";
        auto f = SafeTensorsFile::open(file);
        const json ref = pythonReference(file);
        ASSERT_EQ(f->tensors().size(), ref.size());
        EXPECT_EQ(f->metadata().at("format"), "pt");
        for (const auto& info : f->tensors()) {
            SCOPED_TRACE(info.name);
            ASSERT_TRUE(ref.contains(info.name));
            const auto& r = ref[info.name];
            EXPECT_EQ(info.dtype, r["dtype"].get<std::string>());
            EXPECT_EQ(info.shape, r["shape"].get<std::vector<int64_t>>());
            at::Tensor t = f->tensor(info.name);
            EXPECT_EQ(t.sizes().vec(), info.shape);
            at::Tensor d = t.to(at::kDouble).flatten();
            const double sum = d.sum().item<double>();
            const double tol = 1e-9 * (1.0 + r["abs"].get<double>());
            EXPECT_NEAR(sum, r["sum"].get<double>(), tol);
            const auto first = r["first"].get<std::vector<double>>();
            for (size_t i = 0; i < first.size(); ++i)
                EXPECT_EQ(d[static_cast<int64_t>(i)].item<double>(), first[i]) << "element " << i;
        }
        // The collection sees the same tensors.
        auto c = SafeTensorsCollection::openFolder(dir);
        EXPECT_EQ(c.names().size(), f->tensors().size());
        uint64_t bytes = 0;
        for (const auto& i : f->tensors()) bytes += i.end - i.begin;
        EXPECT_EQ(c.totalBytes(), bytes);
    }
}

TEST(SafeTensors, Bf16FixtureEqualsF32Fixture) {
    auto a = SafeTensorsCollection::openFolder(test::fixture("models/gemma3_tiny"));
    auto b = SafeTensorsCollection::openFolder(test::fixture("models/gemma3_tiny_bf16"));
    ASSERT_EQ(a.names(), b.names());
    for (const auto& n : a.names()) {
        EXPECT_EQ(b.info(n).dtype, "BF16");
        EXPECT_TRUE(at::equal(a.tensor(n), b.tensor(n).to(at::kFloat))) << n;
    }
}

TEST(SafeTensors, TensorsAreZeroCopyViewsThatOutliveTheFile) {
    const std::string file = test::fixture("models/gemma3_tiny/model.safetensors");
    auto f = SafeTensorsFile::open(file);
    const auto& infos = f->tensors();
    ASSERT_GE(infos.size(), 2u);
    const SafeTensorInfo& a = infos[0];
    const SafeTensorInfo& b = infos[1];
    ASSERT_EQ(a.dtype, "F32");
    at::Tensor ta = f->tensor(a.name);
    at::Tensor tb = f->tensor(b.name);
    // Two views of one mapping: the same address each time, offsets as in the header.
    EXPECT_EQ(f->tensor(a.name).data_ptr(), ta.data_ptr());
    const auto* pa = static_cast<const uint8_t*>(ta.data_ptr());
    const auto* pb = static_cast<const uint8_t*>(tb.data_ptr());
    EXPECT_EQ(pb - pa, static_cast<std::ptrdiff_t>(b.begin) - static_cast<std::ptrdiff_t>(a.begin));
    // The data lies at 8 + header length + begin within the file's bytes.
    const std::string bytes = readFile(file);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(std::memcmp(pa, bytes.data() + 8 + n + a.begin, a.end - a.begin), 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pa) % 4, 0u);

    const at::Tensor copy = ta.clone();
    f.reset();  // the mapping must stay alive through the views
    EXPECT_TRUE(at::equal(ta, copy));
}

TEST(SafeTensors, InPlaceWritesArePrivate) {
    const std::string dir = scratch("cow");
    const std::string file = dir + "/w.safetensors";
    saveSafeTensors(file, {{"w", at::arange(16, at::kFloat)}});
    {
        auto f = SafeTensorsFile::open(file);
        at::Tensor t = f->tensor("w");
        t.mul_(10);  // copy-on-write: affects only this process's page
        EXPECT_EQ(t[3].item<float>(), 30.0f);
        EXPECT_EQ(f->tensor("w")[3].item<float>(), 30.0f);  // the same private mapping
    }
    auto g = SafeTensorsFile::open(file);
    EXPECT_EQ(g->tensor("w")[3].item<float>(), 3.0f);  // the file is untouched
}

TEST(SafeTensors, RoundTripAllDtypes) {
    const std::string file = scratch("roundtrip") + "/all.safetensors";
    auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
    std::vector<std::pair<std::string, at::Tensor>> in = {
        {"z.f32", at::randn({3, 5}, gen, at::kFloat)},
        {"a.bf16", at::randn({4, 3}, gen, at::kFloat).to(at::kBFloat16)},
        {"m.i64", at::arange(-5, 7, at::kLong).reshape({3, 4})},
        {"f16", at::randn({7}, gen, at::kFloat).to(at::kHalf)},
        {"f64", at::randn({2, 2, 2}, gen, at::kDouble)},
        {"i32", at::arange(-3, 3, at::kInt)},
        {"i16", at::arange(-3, 3, at::kShort)},
        {"i8", at::arange(-3, 3, at::kChar)},
        {"u8", at::arange(0, 250, 7, at::kByte)},
        {"bool", at::arange(0, 9, at::kLong).remainder(2).eq(0)},
        {"scalar", at::scalar_tensor(2.5, at::kFloat)},
        {"empty", at::empty({0, 4}, at::kFloat)},
        {"strided", at::randn({6, 4}, gen, at::kFloat).t()},  // non-contiguous
    };
    saveSafeTensors(file, in, {{"format", "pt"}, {"note", "héllo"}});
    auto f = SafeTensorsFile::open(file);
    EXPECT_EQ(f->metadata().at("note"), "héllo");
    EXPECT_EQ(f->tensors().size(), in.size());
    for (const auto& [name, t] : in) {
        SCOPED_TRACE(name);
        at::Tensor r = f->tensor(name);
        EXPECT_EQ(r.scalar_type(), t.scalar_type());
        EXPECT_EQ(r.sizes(), t.sizes());
        EXPECT_TRUE(at::equal(r, t));
    }
    EXPECT_EQ(f->find("bf16"), nullptr);
    EXPECT_EQ(f->find("a.bf16")->dtype, "BF16");
    EXPECT_EQ(f->find("m.i64")->dtype, "I64");
    // Header padded to 8 bytes; data laid out in sorted name order, contiguously.
    const std::string bytes = readFile(file);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);
    EXPECT_EQ(f->fileSize(), bytes.size());
    std::vector<SafeTensorInfo> infos = f->tensors();
    std::sort(infos.begin(), infos.end(), [](auto& a, auto& b) { return a.name < b.name; });
    uint64_t off = 0;
    for (const auto& i : infos) {
        EXPECT_EQ(i.begin, off) << i.name;
        off = i.end;
    }
    EXPECT_EQ(8 + n + off, bytes.size());
    // Python agrees (F32 etc.; it has no BF16 type but our reference reader decodes it).
    const json ref = pythonReference(file);
    EXPECT_EQ(ref["a.bf16"]["shape"], json::array({4, 3}));
    EXPECT_NEAR(ref["z.f32"]["sum"].get<double>(), in[0].second.sum().item<double>(), 1e-5);
    EXPECT_NEAR(ref["a.bf16"]["sum"].get<double>(), in[1].second.to(at::kDouble).sum().item<double>(), 1e-9);
    EXPECT_EQ(ref["m.i64"]["sum"].get<double>(), 6.0);
}

TEST(SafeTensors, SaveRejectsBadInputAndKeepsOldFile) {
    const std::string file = scratch("savebad") + "/x.safetensors";
    saveSafeTensors(file, {{"a", at::ones({2})}});
    EXPECT_THROW(saveSafeTensors(file, {{"a", at::ones({2})}, {"a", at::ones({3})}}), Error);
    EXPECT_THROW(saveSafeTensors(file, {{"c", at::ones({2}, at::kComplexFloat)}}), Error);
    EXPECT_THROW(saveSafeTensors(file, {{"u", at::Tensor()}}), Error);
    EXPECT_EQ(SafeTensorsFile::open(file)->tensor("a").numel(), 2);
    EXPECT_THROW(saveSafeTensors("/nonexistent-dir/x.safetensors", {{"a", at::ones({2})}}), Error);
}

TEST(SafeTensors, StreamingWriterCallsProducerInFileOrder) {
    const std::string file = scratch("stream") + "/s.safetensors";
    std::vector<std::string> order;
    writeSafeTensorsStreaming(file, {{"b", "F32", {2, 3}}, {"a", "BF16", {4}}}, [&](const SafeTensorSpec& s) {
        order.push_back(s.name);
        return s.name == "a" ? at::full({4}, 1.5, at::kBFloat16) : at::full({2, 3}, 2.0, at::kFloat);
    });
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
    auto f = SafeTensorsFile::open(file);
    EXPECT_EQ(f->tensor("b").sum().item<float>(), 12.0f);
    EXPECT_THROW(writeSafeTensorsStreaming(file, {{"a", "F32", {2}}}, [](const SafeTensorSpec&) { return at::ones({3}); }),
                 Error);
    EXPECT_EQ(SafeTensorsFile::open(file)->tensors().size(), 2u);  // the failed write left the file alone
}

// ---------------------------------------------------------------------------------------------------

TEST(SafeTensors, ShardedFolder) {
    const std::string dir = scratch("sharded");
    ::unlink((dir + "/model.safetensors").c_str());
    saveSafeTensors(dir + "/model-00001-of-00002.safetensors", {{"a", at::arange(4, at::kFloat)}, {"b", at::ones({2, 2})}});
    saveSafeTensors(dir + "/model-00002-of-00002.safetensors", {{"c", at::arange(3, at::kLong)}});
    json idx = {{"metadata", {{"total_size", 40}}},
                {"weight_map",
                 {{"a", "model-00001-of-00002.safetensors"},
                  {"b", "model-00001-of-00002.safetensors"},
                  {"c", "model-00002-of-00002.safetensors"}}}};
    writeBytes(dir + "/model.safetensors.index.json", idx.dump());
    auto c = SafeTensorsCollection::openFolder(dir);
    EXPECT_EQ(c.names(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(c.contains("c"));
    EXPECT_FALSE(c.contains("d"));
    EXPECT_EQ(c.info("c").dtype, "I64");
    EXPECT_EQ(c.tensor("a")[3].item<float>(), 3.0f);
    EXPECT_EQ(c.tensor("c")[2].item<int64_t>(), 2);
    EXPECT_EQ(c.totalBytes(), 16u + 16u + 24u);
    EXPECT_THROW(c.tensor("d"), Error);
    EXPECT_THROW(c.info("d"), Error);

    // A tensor listed in the index but absent from its shard.
    idx["weight_map"]["d"] = "model-00002-of-00002.safetensors";
    writeBytes(dir + "/model.safetensors.index.json", idx.dump());
    try {
        SafeTensorsCollection::openFolder(dir);
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'d'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("model-00002-of-00002.safetensors"), std::string::npos) << e.what();
    }
    // A missing shard.
    idx["weight_map"].erase("d");
    idx["weight_map"]["e"] = "model-00003-of-00003.safetensors";
    writeBytes(dir + "/model.safetensors.index.json", idx.dump());
    try {
        SafeTensorsCollection::openFolder(dir);
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("model-00003-of-00003.safetensors"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
    }
    // A shard name that escapes the folder; an index that is not JSON.
    idx["weight_map"]["e"] = "../model-00001-of-00002.safetensors";
    writeBytes(dir + "/model.safetensors.index.json", idx.dump());
    EXPECT_THROW(SafeTensorsCollection::openFolder(dir), Error);
    writeBytes(dir + "/model.safetensors.index.json", "{not json");
    EXPECT_THROW(SafeTensorsCollection::openFolder(dir), Error);
}

TEST(SafeTensors, FolderWithoutWeights) {
    const std::string dir = scratch("noweights");
    try {
        SafeTensorsCollection::openFolder(dir);
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
    }
    EXPECT_THROW(SafeTensorsCollection::openFolder(dir + "/does-not-exist"), Error);
}

// ---------------------------------------------------------------------------------------------------

TEST(SafeTensors, RejectsMalformedFiles) {
    const std::string dir = scratch("bad");
    auto file = [&](const std::string& name, const std::string& bytes) {
        const std::string p = dir + "/" + name;
        writeBytes(p, bytes);
        return p;
    };
    const std::string okEntry = R"("x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";

    expectBad(dir + "/missing.safetensors", {"missing.safetensors"});
    expectBad(dir, {"folder"});
    expectBad(file("empty.safetensors", ""), {"empty.safetensors", "0 bytes"});
    expectBad(file("four.safetensors", "abcd"), {"four.safetensors", "4 bytes"});
    expectBad(file("beyond.safetensors", u64le(1000) + "{}"), {"beyond.safetensors", "header length 1000"});
    expectBad(file("huge.safetensors", u64le(~0ull) + "{}"), {"huge.safetensors", "header length"});
    expectBad(file("notjson.safetensors", rawFile("{hello", 0)), {"notjson.safetensors", "JSON"});
    expectBad(file("array.safetensors", rawFile("[1,2,3]", 0)), {"array.safetensors", "JSON object"});
    expectBad(file("string.safetensors", rawFile("\"{}\"", 0)), {"string.safetensors", "JSON object"});
    expectBad(file("trailing.safetensors", rawFile("{} x", 0)), {"trailing.safetensors", "JSON"});
    expectBad(file("utf8.safetensors", rawFile("{\"\xff\xfe\":{}}", 0)), {"utf8.safetensors", "JSON"});
    expectBad(file("entry.safetensors", rawFile(R"({"x":[1,2]})", 0)), {"'x'"});
    expectBad(file("nodtype.safetensors", rawFile(R"({"x":{"shape":[1],"data_offsets":[0,4]}})", 4)), {"'x'", "dtype"});
    expectBad(file("dtypeint.safetensors", rawFile(R"({"x":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", 4)),
              {"'x'", "dtype"});
    expectBad(file("noshape.safetensors", rawFile(R"({"x":{"dtype":"F32","data_offsets":[0,4]}})", 4)), {"'x'", "shape"});
    expectBad(file("nooffsets.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[1]}})", 4)), {"'x'", "data_offsets"});
    expectBad(file("offsets3.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", 8)),
              {"'x'", "data_offsets"});
    expectBad(file("offsetneg.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8)),
              {"'x'", "data_offsets"});
    expectBad(file("offsetfloat.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})", 8)),
              {"'x'", "data_offsets"});
    expectBad(file("dtype.safetensors", rawFile(R"({"x":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}})", 4)),
              {"dtype.safetensors", "'x'", "F31"});
    expectBad(file("f8.safetensors", rawFile(R"({"x":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", 4)),
              {"'x'", "F8_E4M3", "not support"});
    expectBad(file("negdim.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}})", 16)),
              {"'x'", "negative"});
    expectBad(file("floatdim.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4)),
              {"'x'", "shape"});
    expectBad(file("size.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})", 16)),
              {"size.safetensors", "'x'", "24 bytes", "[0,16]"});
    expectBad(file("overflow.safetensors",
                   rawFile(R"({"x":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0)),
              {"'x'", "overflow"});
    expectBad(file("bigdim.safetensors",
                   rawFile(R"({"x":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}})", 0)),
              {"'x'", "too large"});
    expectBad(file("range.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}})", 16)),
              {"range.safetensors", "'x'", "[8,24]", "outside the data section (16 bytes)"});
    expectBad(file("reversed.safetensors", rawFile(R"({"x":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 16)),
              {"'x'", "reversed"});
    expectBad(file("overlap.safetensors",
                   rawFile("{" + okEntry + R"(,"y":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)),
              {"overlap.safetensors", "overlap", "'x'", "'y'"});
    expectBad(file("truncated.safetensors", rawFile("{" + okEntry + "}", 10)),
              {"truncated.safetensors", "'x'", "outside the data section (10 bytes)"});
    expectBad(file("meta.safetensors", rawFile(R"({"__metadata__":{"a":1}})", 0)), {"__metadata__", "'a'"});
    expectBad(file("meta2.safetensors", rawFile(R"({"__metadata__":"pt"})", 0)), {"__metadata__"});
    expectBad(file("dup.safetensors", rawFile("{" + okEntry + "," + okEntry + "}", 16)), {"'x'", "twice"});

    // Accepted edge cases: an empty header object, trailing padding spaces, zero-size tensors, gaps.
    EXPECT_EQ(SafeTensorsFile::open(file("emptyobj.safetensors", rawFile("{}", 0)))->tensors().size(), 0u);
    EXPECT_EQ(SafeTensorsFile::open(file("padded.safetensors", rawFile("{" + okEntry + "}      ", 16)))
                  ->tensor("x")
                  .numel(),
              4);
    auto z = SafeTensorsFile::open(file(
        "zero.safetensors", rawFile("{" + okEntry + R"(,"z":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}})", 16)));
    EXPECT_EQ(z->tensor("z").sizes().vec(), (std::vector<int64_t>{0, 3}));
    EXPECT_THROW(z->tensor("nope"), Error);
}

TEST(SafeTensors, MisalignedDataIsCopiedAndBoolIsNormalised) {
    const std::string dir = scratch("misaligned");
    // Header of 3 bytes → data starts at offset 11: F32 data is not 4-byte aligned.
    std::string data(4 * 3 + 2, '\0');
    const float v[3] = {1.5f, -2.0f, 3.25f};
    std::memcpy(data.data(), v, sizeof v);
    data[12] = 1;
    data[13] = 7;  // a bool byte other than 0/1
    const std::string header = R"({"f":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"BOOL","shape":[2],"data_offsets":[12,14]}})";
    const std::string p = dir + "/m.safetensors";
    writeBytes(p, u64le(header.size()) + header + data);
    auto f = SafeTensorsFile::open(p);
    at::Tensor t = f->tensor("f");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 4, 0u);
    EXPECT_EQ(t[2].item<float>(), 3.25f);
    at::Tensor b = f->tensor("b");
    EXPECT_TRUE(b[0].item<bool>());
    EXPECT_TRUE(b[1].item<bool>());
    EXPECT_EQ(b.to(at::kByte).sum().item<int64_t>(), 2);
}

TEST(SafeTensors, FuzzedHeadersNeverCrash) {
    const std::string dir = scratch("fuzz");
    const std::string src = readFile(test::fixture("models/gpt2_tiny/model.safetensors"));
    uint64_t n = 0;
    std::memcpy(&n, src.data(), 8);
    std::mt19937_64 rng(12345);
    int accepted = 0, rejected = 0;
    const std::string p = dir + "/f.safetensors";
    for (int iter = 0; iter < 500; ++iter) {
        std::string bytes = src;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            // Mostly inside the JSON header; sometimes the length prefix itself.
            const uint64_t pos = (rng() % 10 == 0) ? rng() % 8 : 8 + rng() % n;
            bytes[pos] = static_cast<char>(rng() & 0xff);
        }
        writeBytes(p, bytes);
        try {
            auto f = SafeTensorsFile::open(p);
            for (const auto& i : f->tensors()) {
                at::Tensor t = f->tensor(i.name);
                if (t.numel()) (void)t.to(at::kDouble).sum().item<double>();
            }
            ++accepted;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput);
            ++rejected;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "iteration " << iter << ": non-Error exception: " << e.what();
        }
    }
    EXPECT_EQ(accepted + rejected, 500);
    EXPECT_GT(rejected, 100);
}
