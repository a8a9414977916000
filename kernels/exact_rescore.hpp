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
// in double, in one fixed order (exact_rescore.cpp), then dot / sqrt(|a|^2 |b|^2). A row and its copy
// score exactly 1 (sqrt(fl(x * x)) == x in binary floating point); a zero
// row scores 0 with every row. Clamped to [-1, 1].
template <class Scalar>
double canonical_cosine(const Scalar* a, const Scalar* b, std::int64_t d);

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
    counts_.assign(static_cast<std::size_t>(rows.rows()), 0);
  }
  void set_visiting(const RowMatrix<Scalar>& rows) { visiting_ = &rows; }

  // The canonical score of own row `own_local` and visiting row
  // `visiting_local` (local indices), counted at the own row.
  double score(std::int64_t own_local, std::int64_t visiting_local) {
    ++counts_[static_cast<std::size_t>(own_local)];
    return canonical_cosine(own_->row(own_local).data(), visiting_->row(visiting_local).data(), own_->cols());
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
  double bound_;
  const RowMatrix<Scalar>* own_ = nullptr;
  const RowMatrix<Scalar>* visiting_ = nullptr;
  std::vector<std::int64_t> counts_;
};

}  // namespace ringsim
