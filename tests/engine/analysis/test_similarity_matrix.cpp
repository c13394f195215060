// The Similarity panel's cosine matrix (engine/analysis/similarity_matrix.h) against LibTorch's float64
// composition (normalise, then X·Xᵀ): symmetric, ones on the diagonal, zero for a zero vector.
#include "engine/analysis/similarity_matrix.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

using namespace embedlab;

TEST(SimilarityMatrix, EqualsTheNormalisedGramMatrix) {
    at::manual_seed(3);
    at::Tensor x = at::randn({7, 13});
    x[4].zero_();
    std::vector<const float*> rows;
    for (int64_t i = 0; i < 7; ++i) rows.push_back(x.data_ptr<float>() + i * 13);
    const std::vector<float> sim = cosineSimilarityMatrix(rows, 13);
    at::Tensor d = x.to(at::kDouble);
    at::Tensor u = d / d.norm(2, {1}, true).clamp_min(1e-300);
    at::Tensor want = at::matmul(u, u.t());
    ASSERT_EQ(sim.size(), 49u);
    for (int64_t i = 0; i < 7; ++i)
        for (int64_t j = 0; j < 7; ++j) {
            EXPECT_NEAR(sim[size_t(i * 7 + j)], want[i][j].item<double>(), 1e-6) << i << "," << j;
            EXPECT_EQ(sim[size_t(i * 7 + j)], sim[size_t(j * 7 + i)]);
        }
    EXPECT_FLOAT_EQ(sim[0], 1.0f);
    EXPECT_EQ(sim[4 * 7 + 4], 0.0f);  // a zero vector is similar to nothing, itself included
}
