// embedlab engine — rank and linear correlation exactly as scipy.stats computes them.
#pragma once

#include <vector>

namespace embedlab::eval {

// scipy.stats.rankdata(x, method="average"): 1-based ranks, ties get the mean of their ranks.
std::vector<double> averageRanks(const std::vector<double>& x);

// scipy.stats.pearsonr(x, y)[0]: centred, normalised dot product, clipped to [-1, 1].
// NaN when either input is constant or has fewer than 2 values (scipy warns and returns nan).
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// scipy.stats.spearmanr(x, y).correlation: pearson of the average ranks.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace embedlab::eval
