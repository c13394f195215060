// Vectors I/O (engine/io/vectors): every reader, the writers, and bad input.
#include "analysis_test_util.h"
#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "engine/io/npy.h"
#include "engine/io/vectors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

using namespace embedlab;
using embedlab::test::analysisTmp;

namespace {

void writeText(const std::string& path, const std::string& s) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << s;
}

template <class F>
std::string badInputMessage(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "expected Error(BadInput)";
    return {};
}

}  // namespace

TEST(Vectors, Word2VecTextAndFastText) {
    const std::string p = analysisTmp("w2v.txt");
    writeText(p, "3 2\nkedi 1 2\nköpek -0.5 3e-1\nkuş 1e+2 4\n");
    VectorReadReport rep;
    VectorSet s = readVectors(p, {}, &rep);
    EXPECT_EQ(rep.format, VectorFormat::Word2VecText);
    ASSERT_EQ(s.size(), 3);
    ASSERT_EQ(s.dim(), 2);
    EXPECT_EQ(s.labels[1], "köpek");
    EXPECT_FLOAT_EQ(s.data[1][1].item<float>(), 0.3f);
    EXPECT_FLOAT_EQ(s.data[2][0].item<float>(), 100.f);
    const std::string v = analysisTmp("ft.vec");
    writeText(v, "2 3\r\nev 1 2 3 \r\nyol 4 5 6\r\n");
    s = readVectors(v, {}, &rep);
    EXPECT_EQ(rep.format, VectorFormat::FastTextVec);
    EXPECT_EQ(s.labels[0], "ev");
    EXPECT_FLOAT_EQ(s.data[1][2].item<float>(), 6.f);
}

TEST(Vectors, GloveTextAndLabelsWithSpaces) {
    const std::string p = analysisTmp("glove.txt");
    writeText(p, "the 0.1 0.2 0.3\n, 1 2 3\nat name@x.com 4 5 6\n");
    VectorReadReport rep;
    VectorSet s = readVectors(p, {}, &rep);
    EXPECT_EQ(rep.format, VectorFormat::GloveText);
    ASSERT_EQ(s.size(), 3);
    EXPECT_EQ(s.labels[1], ",");
    EXPECT_EQ(s.labels[2], "at name@x.com");
    EXPECT_FLOAT_EQ(s.data[2][2].item<float>(), 6.f);
}

TEST(Vectors, Word2VecBinary) {
    const std::string p = analysisTmp("w2v.bin");
    std::string bytes = "2 3\n";
    const float a[3] = {1.f, -2.f, 0.5f}, b[3] = {3.f, 4.f, 5.f};
    bytes += "ağaç ";
    bytes.append(reinterpret_cast<const char*>(a), 12);
    bytes += "\nsu ";
    bytes.append(reinterpret_cast<const char*>(b), 12);
    bytes += "\n";
    writeText(p, bytes);
    VectorReadReport rep;
    VectorSet s = readVectors(p, {}, &rep);
    EXPECT_EQ(rep.format, VectorFormat::Word2VecBinary);
    ASSERT_EQ(s.size(), 2);
    EXPECT_EQ(s.labels[0], "ağaç");
    EXPECT_EQ(s.labels[1], "su");
    EXPECT_FLOAT_EQ(s.data[0][1].item<float>(), -2.f);
    EXPECT_FLOAT_EQ(s.data[1][2].item<float>(), 5.f);
    // truncated
    writeText(p, bytes.substr(0, bytes.size() - 6));
    EXPECT_NE(badInputMessage([&] { readVectors(p); }).find("truncated"), std::string::npos);
}

TEST(Vectors, NpyFloat32AndFloat64AndOneD) {
    at::Tensor x = at::randn({7, 5}, at::kDouble);
    const std::string p64 = analysisTmp("x64.npy"), p32 = analysisTmp("x32.npy"), p1 = analysisTmp("x1.npy");
    test::saveNpy(p64, x);
    test::saveNpy(p32, x.to(at::kFloat));
    VectorSet a = readVectors(p64), b = readVectors(p32);
    EXPECT_TRUE(at::allclose(a.data, x.to(at::kFloat)));
    EXPECT_TRUE(at::equal(b.data, x.to(at::kFloat)));
    EXPECT_TRUE(a.labels.empty());
    EXPECT_EQ(a.label(3), "3");
    test::saveNpy(p1, at::randn({9}));
    EXPECT_NE(badInputMessage([&] { readVectors(p1); }).find("1-D"), std::string::npos);
}

// Found by fuzz_vectors: a shape with a 19+-digit dimension threw std::out_of_range from std::stoll
// (not a clear error), and dimensions whose product overflows 64 bits slipped past the size check.
TEST(Vectors, NpyHeadersThatLieAboutTheirShapeAreBadInput) {
    auto npyWithShape = [](const std::string& name, const std::string& shape) {
        std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
        while ((10 + h.size() + 1) % 64) h += ' ';
        h += '\n';
        const std::string path = analysisTmp(name);
        std::ofstream f(path, std::ios::binary);
        f.write("\x93NUMPY\x01\x00", 8);
        f.put(static_cast<char>(h.size() & 0xff));
        f.put(static_cast<char>(h.size() >> 8));
        f << h << std::string(64, '\0');
        return path;
    };
    for (const char* shape : {"1, 3999999999999999999999", "4611686018427387904, 4", "2, 2305843009213693953"}) {
        SCOPED_TRACE(shape);
        const std::string p = npyWithShape("lying.npy", shape);
        try {
            readVectors(p);
            ADD_FAILURE() << "expected Error";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        }
        EXPECT_THROW(readNpy(p), Error);
    }
    // A dimension larger than the file (found by fuzz_vectors: a row buffer of 2.7 GB for 200 bytes).
    const std::string zeroRows = npyWithShape("zero_rows.npy", "0, 1000000000000");
    EXPECT_THROW(readVectors(zeroRows), Error);
    const std::string w2v = analysisTmp("lying.bin");
    std::ofstream(w2v, std::ios::binary) << "0 666666661\n";
    try {
        readVectors(w2v);
        ADD_FAILURE() << "expected Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("larger than the file"), std::string::npos) << e.what();
    }
    // A shape that fits the data still reads.
    const std::string ok = npyWithShape("fits.npy", "4, 4");
    EXPECT_EQ(readVectors(ok).data.size(0), 4);
}

TEST(Vectors, SafeTensorsNamedOrOnly2D) {
    const std::string p = analysisTmp("v.safetensors");
    at::Tensor w = at::randn({6, 4});
    saveSafeTensors(p, {{"emb", w}, {"bias", at::randn({4})}});
    VectorSet s = readVectors(p);
    EXPECT_TRUE(at::equal(s.data, w));
    saveSafeTensors(p, {{"emb", w}, {"head", at::randn({3, 4}).to(at::kBFloat16)}});
    EXPECT_NE(badInputMessage([&] { readVectors(p); }).find("several 2-D"), std::string::npos);
    VectorReadOptions o;
    o.tensorName = "head";
    EXPECT_EQ(readVectors(p, o).size(), 3);
    o.tensorName = "nope";
    badInputMessage([&] { readVectors(p, o); });
}

TEST(Vectors, ProjectorTsvRoundTripWithEscapedLabels) {
    VectorSet s;
    s.data = at::randn({4, 3});
    s.labels = {"düz", "sekme\tli", "yeni\nsatır", "ters\\bölü"};
    const std::string vp = analysisTmp("rt_vectors.tsv"), mp = analysisTmp("rt_metadata.tsv");
    writeProjectorTsv(s, vp, mp);
    // Each label takes exactly one line.
    std::ifstream f(mp);
    int lines = 0;
    for (std::string l; std::getline(f, l);) ++lines;
    EXPECT_EQ(lines, 4);
    VectorReadOptions o;
    o.metadataPath = mp;
    VectorSet r = readVectors(vp, o);
    EXPECT_TRUE(at::equal(r.data, s.data));  // shortest round-trip float formatting
    EXPECT_EQ(r.labels, s.labels);
    // The metadata file next to "…vectors.tsv" is found on its own.
    EXPECT_EQ(readVectors(vp).labels, s.labels);
    // Several metadata columns: a header line.
    s.metadataHeader = {"token", "type"};
    s.metadata = {{"düz", "root"}, {"sekme\tli", "suffix"}, {"yeni\nsatır", "bpe"}, {"ters\\bölü", "special"}};
    writeProjectorTsv(s, vp, mp);
    r = readVectors(vp, o);
    EXPECT_EQ(r.metadataHeader, s.metadataHeader);
    EXPECT_EQ(r.metadata, s.metadata);
    EXPECT_EQ(r.labels, s.labels);
}

TEST(Vectors, RaggedTsvNamesTheLine) {
    const std::string p = analysisTmp("ragged.tsv");
    writeText(p, "1\t2\t3\n4\t5\t6\n7\t8\n");
    const std::string m = badInputMessage([&] { readVectors(p); });
    EXPECT_NE(m.find(":3:"), std::string::npos) << m;
    EXPECT_NE(m.find("ragged"), std::string::npos) << m;
    const std::string w = analysisTmp("ragged.txt");
    writeText(w, "2 3\na 1 2 3\nb 1 2\n");
    EXPECT_NE(badInputMessage([&] { readVectors(w); }).find(":3:"), std::string::npos);
    const std::string bad = analysisTmp("nan_word.tsv");
    writeText(bad, "1\t2\n3\tx\n");
    EXPECT_NE(badInputMessage([&] { readVectors(bad); }).find(":2:"), std::string::npos);
}

TEST(Vectors, NonFiniteRowsExcludedAndReported) {
    at::Tensor x = at::randn({6, 3});
    x[1][2] = std::nanf("");
    x[4][0] = INFINITY;
    const std::string p = analysisTmp("nan.npy");
    test::saveNpy(p, x);
    VectorReadReport rep;
    VectorSet s = readVectors(p, {}, &rep);
    EXPECT_EQ(s.size(), 4);
    EXPECT_EQ(rep.rowsRead, 6);
    EXPECT_EQ(rep.rowsKept, 4);
    EXPECT_EQ(rep.nonFiniteRows, 2);
    EXPECT_EQ(rep.nonFiniteSourceRows, (std::vector<int64_t>{1, 4}));
    EXPECT_EQ(s.sourceRows, (std::vector<int64_t>{0, 2, 3, 5}));
    EXPECT_TRUE(at::equal(s.data[1], x[2]));
    EXPECT_FALSE(rep.warnings.empty());
    // Text formats too, and "nan" spelled out.
    const std::string t = analysisTmp("nan.txt");
    writeText(t, "a 1 2\nb nan 2\nc 3 inf\nd 5 6\n");
    s = readVectors(t, {}, &rep);
    EXPECT_EQ(rep.nonFiniteRows, 2);
    EXPECT_EQ(s.labels, (std::vector<std::string>{"a", "d"}));
    // Strict mode refuses instead.
    VectorReadOptions strict;
    strict.dropNonFinite = false;
    badInputMessage([&] { readVectors(t, strict); });
    // Every row bad.
    writeText(t, "a nan 2\n");
    EXPECT_NE(badInputMessage([&] { readVectors(t); }).find("NaN"), std::string::npos);
    // safetensors
    const std::string st = analysisTmp("nan.safetensors");
    saveSafeTensors(st, {{"e", x}});
    s = readVectors(st, {}, &rep);
    EXPECT_EQ(rep.nonFiniteRows, 2);
    EXPECT_EQ(s.size(), 4);
}

TEST(Vectors, DuplicatesCounted) {
    at::Tensor x = at::randn({5, 3});
    x[3] = x[1];
    x[4] = x[1];
    const std::string p = analysisTmp("dup.npy");
    test::saveNpy(p, x);
    VectorReadReport rep;
    VectorSet s = readVectors(p, {}, &rep);
    EXPECT_EQ(s.size(), 5);
    EXPECT_EQ(rep.duplicateRows, 2);
}

TEST(Vectors, TooLargeIsRefusedWithAMessage) {
    const std::string p = analysisTmp("big.npy");
    test::saveNpy(p, at::randn({1000, 64}));
    VectorReadOptions o;
    o.maxMatrixBytes = 100000;  // the matrix needs 256,000 bytes
    std::string m = badInputMessage([&] { readVectors(p, o); });
    EXPECT_NE(m.find("GB"), std::string::npos) << m;
    // A text file without a row count: refused while streaming, not after.
    const std::string t = analysisTmp("big.txt");
    {
        std::ofstream f(t);
        for (int i = 0; i < 5000; ++i) f << "w" << i << " 1 2 3 4 5 6 7 8\n";
    }
    m = badInputMessage([&] { readVectors(t, o); });
    EXPECT_NE(m.find("GB"), std::string::npos) << m;
    // A header that promises more than fits.
    const std::string w = analysisTmp("bighdr.txt");
    std::string row = "a";
    for (int j = 0; j < 300; ++j) row += " 1";
    writeText(w, "100000000 300\n" + row + "\n");  // one real row: the dimension fits the file
    m = badInputMessage([&] { readVectors(w); });
    EXPECT_NE(m.find("GB"), std::string::npos) << m;
}

TEST(Vectors, EmptyAndMissingFiles) {
    const std::string p = analysisTmp("empty.txt");
    writeText(p, "");
    badInputMessage([&] { readVectors(p); });
    badInputMessage([&] { readVectors(analysisTmp("does-not-exist.npy")); });
    const std::string one = analysisTmp("oned.txt");
    writeText(one, "a\nb\n");
    EXPECT_NE(badInputMessage([&] { readVectors(one); }).find("1-D"), std::string::npos);
}

TEST(Vectors, CoordinatesCsv) {
    const std::string p = analysisTmp("coords.csv");
    at::Tensor c = at::tensor({1.5f, -2.f, 0.25f, 3.f}).view({2, 2});
    writeCoordinatesCsv(p, c, {"a,b", "say \"hi\""});
    std::ifstream f(p);
    std::string l0, l1, l2;
    std::getline(f, l0);
    std::getline(f, l1);
    std::getline(f, l2);
    EXPECT_EQ(l0, "row,label,x,y");
    EXPECT_EQ(l1, "0,\"a,b\",1.5,-2");
    EXPECT_EQ(l2, "1,\"say \"\"hi\"\"\",0.25,3");
}
