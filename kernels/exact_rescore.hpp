#pragma once
// One decision rule for every precision: a tile's fast score only nominates
// a pair (it lies within B = score_bound() of the truth); what decides top-k
// membership, order and threshold pairs is the pair's canonical score,
// computed here from the rows as given, in one fixed order that no tile
// size, rank count or GEMM library changes. float32, bfloat16 and float64
// jobs therefore give bit-identical results (docs/precision.md).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/matrix.hpp"

namespace ringsim {

// cos(a, b) from the rows as given (not normalised): the products and sums
// in double, in one fixed order (canonical_dot), then
// dot / sqrt(|a|^2 |b|^2). A row and its copy score exactly 1
// (sqrt(fl(x * x)) == x in binary floating point); a zero row scores 0
// with every row. Clamped to [-1, 1].
template <class Scalar>
double canonical_cosine(const Scalar* a, const Scalar* b, std::int64_t d);
// Its parts: the fixed-order dot product (a row with itself: its squared
// norm), the score from a dot and two squared norms, and every row's
// squared norm of a block (kept per block, so a re-scored pair costs one dot).
template <class Scalar>
double canonical_dot(const Scalar* a, const Scalar* b, std::int64_t d);
double canonical_from(double dot, double norm_a, double norm_b);
template <class Scalar>
void canonical_norms(const RowMatrix<Scalar>& rows, std::vector<double>& norms);

// What candidates cost, for the report: pairs re-scored per own row.
struct RescoreStats {
  std::int64_t rows = 0;
  std::int64_t rescored = 0;       // pairs, each counted at its own-block row
  std::int64_t most_in_a_row = 0;  // the largest count of one row
};

// The blocks a backend's tiles come from, as given, so that a consumer can
// re-score the pairs its fast scores nominate. The backend sets both blocks
// at upload; the rows must stay alive and unchanged until the next upload.
template <class Scalar>
class ExactRescore {
 public:
  explicit ExactRescore(double bound) : bound_(bound) {}

  // B: |fast score - canonical score| never exceeds it.
  double bound() const { return bound_; }
  void set_own(const RowMatrix<Scalar>& rows) {
    own_ = &rows;
    canonical_norms(rows, own_norms_);
    counts_.assign(static_cast<std::size_t>(rows.rows()), 0);
  }
  void set_visiting(const RowMatrix<Scalar>& rows) {
    visiting_ = &rows;
    canonical_norms(rows, visiting_norms_);
  }

  // The canonical score of own row `own_local` and visiting row
  // `visiting_local` (local indices), counted at the own row.
  double score(std::int64_t own_local, std::int64_t visiting_local) {
    ++counts_[static_cast<std::size_t>(own_local)];
    const double dot = canonical_dot(own_->row(own_local).data(), visiting_->row(visiting_local).data(), own_->cols());
    return canonical_from(dot, own_norms_[static_cast<std::size_t>(own_local)],
                          visiting_norms_[static_cast<std::size_t>(visiting_local)]);
  }

  // Asks for the rows of a pair about to be scored: the visiting rows a
  // row's candidates name are scattered over the block, and fetching the
  // next while this one is summed hides most of the wait for memory.
  void prefetch(std::int64_t own_local, std::int64_t visiting_local) const {
    prefetch_row(own_->row(own_local).data());
    prefetch_row(visiting_->row(visiting_local).data());
  }

  RescoreStats stats() const {
    RescoreStats s;
    s.rows = static_cast<std::int64_t>(counts_.size());
    for (const std::int64_t c : counts_) {
      s.rescored += c;
      s.most_in_a_row = std::max(s.most_in_a_row, c);
    }
    return s;
  }

 private:
  void prefetch_row(const Scalar* row) const {
    const auto* bytes = reinterpret_cast<const char*>(row);
    const std::int64_t size = own_->cols() * static_cast<std::int64_t>(sizeof(Scalar));
    for (std::int64_t at = 0; at < size; at += 64) __builtin_prefetch(bytes + at);
  }

  double bound_;
  const RowMatrix<Scalar>* own_ = nullptr;
  const RowMatrix<Scalar>* visiting_ = nullptr;
  std::vector<double> own_norms_, visiting_norms_;  // canonical squared norms
  std::vector<std::int64_t> counts_;
};

}  // namespace ringsim
