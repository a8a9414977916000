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

#include "common/errors.hpp"
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
  // B, and its part for a pair's arithmetic (score_bound.hpp): without
  // row terms the pair part is B itself.
  explicit ExactRescore(double bound, double pair_bound = -1)
      : bound_(bound), pair_bound_(pair_bound < 0 ? bound : pair_bound) {}

  // B: |fast score - canonical score| never exceeds it.
  double bound() const { return bound_; }
  // Sharper, per pair: |fast - canonical| <= pair_bound() + the two rows'
  // terms (score_bound.hpp's row_term; none given: 0).
  double pair_bound() const { return pair_bound_; }
  void set_own(const RowMatrix<Scalar>& rows, std::vector<double> row_terms = {}) {
    own_ = &rows;
    canonical_norms(rows, own_norms_);
    counts_.assign(static_cast<std::size_t>(rows.rows()), 0);
    own_terms_.set(rows.rows(), std::move(row_terms));
  }
  void set_visiting(const RowMatrix<Scalar>& rows, std::vector<double> row_terms = {}) {
    visiting_ = &rows;
    canonical_norms(rows, visiting_norms_);
    visiting_terms_.set(rows.rows(), std::move(row_terms));
  }
  // Rows of the blocks set, and a row's term and the largest of its block's.
  std::int64_t own_rows() const { return own_ ? own_->rows() : 0; }
  std::int64_t visiting_rows() const { return visiting_ ? visiting_->rows() : 0; }
  double own_term(std::int64_t row) const { return own_terms_.of(row); }
  double visiting_term(std::int64_t row) const { return visiting_terms_.of(row); }
  double own_term_max() const { return own_terms_.max; }
  double visiting_term_max() const { return visiting_terms_.max; }

  // The canonical score of own row `own_local` and visiting row
  // `visiting_local` (local indices), counted at the own row.
  double score(std::int64_t own_local, std::int64_t visiting_local) {
    ++counts_[static_cast<std::size_t>(own_local)];
    const double own_norm = own_norms_[static_cast<std::size_t>(own_local)];
    const double visiting_norm = visiting_norms_[static_cast<std::size_t>(visiting_local)];
    // A zero row scores 0 with every row (canonical_from): no dot to take.
    if (own_norm == 0 || visiting_norm == 0) return 0;
    const double dot = canonical_dot(own_->row(own_local).data(), visiting_->row(visiting_local).data(), own_->cols());
    return canonical_from(dot, own_norm, visiting_norm);
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
  struct RowTerms {
    std::vector<double> terms;  // per row; empty: every term 0
    double max = 0;
    void set(std::int64_t rows, std::vector<double> given) {
      terms = std::move(given);
      RINGSIM_ENFORCE(terms.empty() || static_cast<std::int64_t>(terms.size()) == rows,
                      "row terms given for another block");
      max = terms.empty() ? 0 : *std::max_element(terms.begin(), terms.end());
    }
    double of(std::int64_t row) const { return terms.empty() ? 0 : terms[static_cast<std::size_t>(row)]; }
  };

  double bound_;
  double pair_bound_;
  RowTerms own_terms_, visiting_terms_;
  const RowMatrix<Scalar>* own_ = nullptr;
  const RowMatrix<Scalar>* visiting_ = nullptr;
  std::vector<double> own_norms_, visiting_norms_;  // canonical squared norms
  std::vector<std::int64_t> counts_;
};

}  // namespace ringsim
