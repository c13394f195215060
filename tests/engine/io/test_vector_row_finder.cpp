// The one rule for a neighbour query (engine/io/vector_row_finder.h), shared by `embedlab-cli neighbors`
// and the app: exact label, else Turkish case folding, else a source row number; rows excluded for
// NaN/Inf and rows beyond the file are named.
#include "engine/core/error.h"
#include "engine/io/vector_row_finder.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

using namespace embedlab;

TEST(VectorRowFinder, LabelsThenFoldedLabelsThenSourceRows) {
    VectorSet set;
    set.data = at::zeros({4, 2});
    set.labels = {"İstanbul", "istanbul", "IRMAK", "7"};
    set.sourceRows = {0, 1, 3, 4};  // source row 2 held NaN
    const VectorRowFinder f(set);
    EXPECT_EQ(f.find("İstanbul"), 0);
    EXPECT_EQ(f.find("istanbul"), 1);   // an exact label wins over the folded one
    EXPECT_EQ(f.find("İSTANBUL"), 0);   // folded: İ → i, the first row with that folding
    EXPECT_EQ(f.find("ırmak"), 2);      // I → ı
    EXPECT_THROW(f.find("irmak"), Error);  // i is not ı: IRMAK folds to ırmak
    EXPECT_EQ(f.find("7"), 3);          // a label before a row number
    EXPECT_EQ(f.find("3"), 2);          // source row 3 is the set's row 2
    try {
        f.find("2");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("NaN or Inf"), std::string::npos);
    }
    try {
        f.find("9");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("out of range (the file has 5 rows)"), std::string::npos);
    }
    EXPECT_THROW(f.find("köpek"), Error);
    EXPECT_THROW(f.find(""), Error);
    EXPECT_THROW(f.find("-1"), Error);
}

TEST(VectorRowFinder, WithoutLabelsOrSourceRows) {
    VectorSet set;
    set.data = at::zeros({3, 2});
    const VectorRowFinder f(set);
    EXPECT_EQ(f.find("2"), 2);
    EXPECT_THROW(f.find("3"), Error);
    EXPECT_THROW(f.find("kedi"), Error);
}
