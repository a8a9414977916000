#pragma once
// Checks on partial results that come from outside this rank's own memory
// (a checkpoint file, a peer over any transport) before they are used: a
// forged or corrupt list, pair or band is refused naming its source, never
// written out, and never sizes an allocation or a file.
//
// Scores are finite and within [-bound, bound]: cosines within [-1, 1] up to
// rounding (kScoreBound), dot scores within the largest squared row norm
// (Cauchy-Schwarz; the job passes dot_score_bound).
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include "common/errors.hpp"
#include "kernels/partition.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/topk.hpp"

namespace ringsim {

constexpr double kScoreBound = 1.0 + 1e-3;

// |x . y| <= |x| |y| <= the largest squared norm, with room for rounding
// (float32 sums of thousands of products).
inline double dot_score_bound(double largest_squared_norm) { return largest_squared_norm * kScoreBound + 1e-30; }

// Top-k lists of `ids.size() / k` rows: each slot a row id in [0, n) with a
// finite score in bounds, or empty (kEmptyId, score -inf).
template <class Scalar>
void check_topk_lists(std::span<const std::int64_t> ids, std::span<const Scalar> scores, std::int64_t n,
                      const std::string& source, double bound = kScoreBound) {
  RINGSIM_ENFORCE(ids.size() == scores.size(), "top-k ids and scores of different sizes");
  for (std::size_t s = 0; s < ids.size(); ++s) {
    if (ids[s] == TopKAccumulator<Scalar>::kEmptyId) {
      if (!(std::isinf(scores[s]) && scores[s] < 0))
        throw IoError(source + ": an empty top-k slot with a score; refused");
      continue;
    }
    if (ids[s] < 0 || ids[s] >= n)
      throw IoError(source + ": a top-k neighbour id " + std::to_string(ids[s]) + " outside [0, " + std::to_string(n) +
                    "); refused");
    if (!std::isfinite(scores[s]) || std::abs(static_cast<double>(scores[s])) > bound)
      throw IoError(source + ": a top-k score outside [-" + std::to_string(bound) + ", " + std::to_string(bound) +
                    "]; refused");
  }
}

// Which pairs a result can hold: all pairs within one matrix of n rows
// (0 <= i < j < n), or every (query i, corpus j) of queries x corpus.
struct PairSpace {
  std::int64_t rows_i = 0, rows_j = 0;
  bool across = false;  // i counts queries, j corpus rows
  // All pairs of n rows; implicit, so a row count reads as its pair space.
  PairSpace(std::int64_t n) : rows_i(n), rows_j(n) {}  // NOLINT(google-explicit-constructor)
  static PairSpace queries_by_corpus(std::int64_t queries, std::int64_t corpus) {
    PairSpace space(corpus);
    space.rows_i = queries;
    space.across = true;
    return space;
  }
  bool holds(std::int64_t i, std::int64_t j) const {
    return across ? i >= 0 && i < rows_i && j >= 0 && j < rows_j : i >= 0 && i < j && j < rows_j;
  }
  // How many pairs there are (what a peer may announce at most).
  std::int64_t pairs() const {
    if (across) return rows_i * rows_j;
    const std::int64_t n = rows_j;
    return n > 1 ? (n % 2 == 0 ? n / 2 * (n - 1) : (n - 1) / 2 * n) : 0;
  }
  std::string rule() const {
    return across ? "i < " + std::to_string(rows_i) + " queries, j < " + std::to_string(rows_j) + " corpus rows"
                  : "i < j < n = " + std::to_string(rows_j);
  }
};

// Threshold pairs (ScoredPair: i, j, score) that `space` holds, with a
// finite score in bounds at or above `threshold`, and with `sorted` in
// (i, j) order after `previous` (null: the first).
template <class Pair, class Scalar>
void check_pairs(std::span<const Pair> pairs, const PairSpace& space, Scalar threshold, const Pair* previous,
                 bool sorted, const std::string& source, double bound = kScoreBound) {
  for (const auto& pair : pairs) {
    if (!space.holds(pair.i, pair.j))
      throw IoError(source + ": a pair (" + std::to_string(pair.i) + ", " + std::to_string(pair.j) + ") that is not " +
                    space.rule() + "; refused");
    if (!std::isfinite(pair.score) || std::abs(static_cast<double>(pair.score)) > bound || pair.score < threshold)
      throw IoError(source + ": pair (" + std::to_string(pair.i) + ", " + std::to_string(pair.j) +
                    ") has a score outside [-bound, bound] or below the threshold; refused");
    if (sorted && previous && (pair.i < previous->i || (pair.i == previous->i && pair.j <= previous->j)))
      throw IoError(source + ": pairs out of (i, j) order; refused");
    previous = &pair;
  }
}

// A full-mode band: blocks of the partition, rows inside them, a diagonal
// band only on one block.
void check_band(const TileAssignment& band, const RowPartition& partition, const std::string& source);

}  // namespace ringsim
