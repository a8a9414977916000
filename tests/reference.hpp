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
// The same of rows held in double precision (a CSV's decimal values as
// float64 reads them).
Dense reference_similarity(const Dense& x);
// Queries x corpus (--queries): row q, column c is the cosine of query q and corpus row c.
Dense reference_similarity(const Dense& queries, const Dense& corpus);

struct TopKResult {
  std::int64_t n = 0;
  int k = 0;
  std::vector<std::int64_t> ids;  // n x k
  std::vector<float> scores;      // n x k
};

// How far a score may be from the reference: `absolute` + `relative` x
// |reference|. A plain number is an absolute tolerance. The relative part
// is for float64 runs, whose scores are the float64 answer rounded to float32
// (about 6e-8 x |score|), so that a near-zero score must be right to far
// below float32 arithmetic's error.
struct Tolerance {
  Tolerance(double absolute_tolerance) : absolute(absolute_tolerance) {}  // NOLINT: a number is absolute
  Tolerance(double absolute_tolerance, double relative_tolerance)
      : absolute(absolute_tolerance), relative(relative_tolerance) {}
  double absolute = 0;
  double relative = 0;
};

// The one numeric comparison every check uses: true when both are finite and
// |got - want| <= tolerance. A NaN or an Inf on either side is a mismatch
// (`std::abs(got - want) > tol` alone is false for a NaN, so it would pass);
// the only NaN a result may hold is top-k padding, which check_topk tests
// for by itself.
bool close_enough(double got, double want, Tolerance tolerance);

// Which pairs a similarity matrix holds: all pairs within one matrix (a row
// is not its own neighbour, pairs i < j), or queries x corpus (every column
// a candidate for every row).
enum class Pairs { within, across };

// Returns "" when `result` is a correct top-k of `similarity`, else the first problem.
std::string check_topk(const Dense& similarity, const TopKResult& result, Tolerance tolerance, bool exact_ids,
                       Pairs pairs = Pairs::within);
std::string check_full(const Dense& similarity, const std::vector<float>& full, Tolerance tolerance);
struct Pair {
  std::int64_t i, j;
  double score;
};
// Every pair i < j with reference score >= threshold must be listed, and no
// other, except pairs whose reference lies within the tolerance of the
// threshold (either is right there). With a zero tolerance nothing is left
// open: a pair exactly at the threshold must be present (the contract is
// score >= threshold), one below it absent.
std::string check_threshold(const Dense& similarity, const std::vector<Pair>& pairs, double threshold,
                            Tolerance tolerance, Pairs space = Pairs::within);

// Reading ringsim's output files: a whole file's bytes ("" when missing), .npy, pairs.csv.
std::string file_bytes(const std::string& path);
template <class T>
std::vector<T> read_npy(const std::string& path, std::vector<std::int64_t>& shape);
std::vector<Pair> read_pairs_csv(const std::string& path);

// Test matrices.
RowMatrix<float> random_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed);
// Scaled unit vectors e_(r mod cols): every similarity is exactly 0 or 1,
// so ties are exact and their order is fully determined.
RowMatrix<float> tie_matrix(std::int64_t rows, std::int64_t cols);

}  // namespace ringsim::testing
