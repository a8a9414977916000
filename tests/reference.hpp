#pragma once
// A plain single-process reference (double precision, brute force) and the
// checks that compare ringsim's outputs against it. Scores are compared with
// a tolerance; neighbour ids must match the reference except where two
// reference scores are within that tolerance of each other (a near-tie the
// float32 kernel may order either way), and exactly when ties are exact.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/matrix.hpp"

namespace ringsim::testing {

using Dense = RowMatrix<double>;

// Row-normalised copy (zero rows stay zero) and all-pairs similarity.
Dense reference_similarity(const RowMatrix<float>& x);

struct TopKResult {
  std::int64_t n = 0;
  int k = 0;
  std::vector<std::int64_t> ids;  // n x k
  std::vector<float> scores;      // n x k
};

// Returns "" when `result` is a correct top-k of `similarity`, else the first problem.
std::string check_topk(const Dense& similarity, const TopKResult& result, double tolerance, bool exact_ids);
std::string check_full(const Dense& similarity, const std::vector<float>& full, double tolerance);
struct Pair {
  std::int64_t i, j;
  double score;
};
std::string check_threshold(const Dense& similarity, const std::vector<Pair>& pairs, double threshold,
                            double tolerance);

// Reading ringsim's output files.
template <class T>
std::vector<T> read_npy(const std::string& path, std::vector<std::int64_t>& shape);
std::vector<Pair> read_pairs_csv(const std::string& path);

// Test matrices.
RowMatrix<float> random_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed);
// Scaled unit vectors e_(r mod cols): every similarity is exactly 0 or 1,
// so ties are exact and their order is fully determined.
RowMatrix<float> tie_matrix(std::int64_t rows, std::int64_t cols);

}  // namespace ringsim::testing
