// embedlab engine — average-linkage (UPGMA) agglomerative clustering of a similarity matrix, and the
// display orders of the Similarity panel's matrix (docs/similarity.md).
//
// The distance of two items is 1 − similarity; the distance of two clusters is the mean distance of
// their members (SciPy's linkage(method="average")). The leaf order keeps every cluster contiguous,
// joining each pair at the ends that are most similar, so similar sentences sit in blocks.
#pragma once

#include "engine/jobs/progress.h"

#include <vector>

namespace embedlab {

struct DendrogramMerge {
    int a = 0, b = 0;     // the clusters joined: 0..n-1 are items, n+k is the k-th merge (SciPy's numbering)
    double height = 0.0;  // their average-linkage distance
    int size = 0;         // items in the new cluster
};

struct Dendrogram {
    std::vector<DendrogramMerge> merges;  // n − 1 merges, in the order made (heights non-decreasing)
    std::vector<int> leafOrder;           // a permutation of 0..n-1
};

// `sim` is n × n row-major and symmetric. O(n³) time, O(n²) memory; reports as it merges.
Dendrogram averageLinkage(const std::vector<float>& sim, int n, Progress& progress = nullProgress());

// Items by their mean similarity to the others, highest first (stable for ties).
std::vector<int> meanSimilarityOrder(const std::vector<float>& sim, int n);

}  // namespace embedlab
