#include "kernels/tile_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/errors.hpp"
#include "kernels/score_bound.hpp"
#include "kernels/tile_backend.hpp"

namespace ringsim {

template <class Scalar>
std::int64_t compute_assignment(const RowMatrix<Scalar>& own, std::int64_t own_global0,
                                const RowMatrix<Scalar>& visiting, std::int64_t visiting_global0,
                                const TileAssignment& assignment, const TileGrid& grid, TileConsumer<Scalar>& consumer,
                                const std::function<void(std::int64_t)>& after_tile) {
  CpuTileBackend<Scalar> backend;
  backend.upload_own(own);
  backend.upload_visiting(visiting);
  return compute_assignment(backend, own_global0, visiting_global0, assignment, grid, consumer, after_tile);
}

namespace {

// Whether any score in [0, n) could enter a list: scores[i] >= row_kth[i]
// (the own row's k-th best) or >= column_kth (the visiting row's). Branch-free
// so it vectorises; compiled for AVX-512, AVX2 and baseline, picked at run
// time, so the portable build still uses the wide units.
template <class Scalar>
__attribute__((target_clones("avx512f", "avx2", "default"))) bool any_candidate(const Scalar* scores,
                                                                                const Scalar* row_kth, std::int64_t n,
                                                                                Scalar column_kth) {
  int hits = 0;
  for (std::int64_t i = 0; i < n; ++i) hits |= (scores[i] >= row_kth[i]) | (scores[i] >= column_kth);
  return hits != 0;
}

// Offers every score of `tile` to the row side's and the column side's
// lists. tile(i, j) = similarity of row-side row (row_local + i) and
// column-side row (column_local + j); ids are global.
template <class Scalar>
void select_topk(const ColMatrix<Scalar>& tile, std::int64_t row_local, std::int64_t row_global0,
                 std::int64_t column_local, std::int64_t column_global0, bool diagonal, TopKAccumulator<Scalar>& rows,
                 TopKAccumulator<Scalar>& columns) {
  // Rows are scanned in blocks: a vectorised test rejects a whole block
  // when no score in it can enter either list, which after the first few
  // tiles is almost always; only blocks with a candidate take the scalar path.
  constexpr std::int64_t kBlock = 64;
  const std::int64_t m = tile.rows();
  const std::int64_t row_id0 = row_global0 + row_local;
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t col_local = column_local + j;
    const std::int64_t col_id = column_global0 + col_local;
    // On the diagonal only row-side rows before the column-side row count (i < j globally).
    const std::int64_t i_end = diagonal ? std::clamp<std::int64_t>(col_local - row_local, 0, m) : m;
    const Scalar* column = tile.col(j).data();
    const Scalar* row_kth = rows.kth_scores() + row_local;
    Scalar col_kth = columns.kth_score(col_local);
    for (std::int64_t block = 0; block < i_end; block += kBlock) {
      const std::int64_t block_end = std::min(block + kBlock, i_end);
      if (!any_candidate(column + block, row_kth + block, block_end - block, col_kth)) continue;
      for (std::int64_t i = block; i < block_end; ++i) {
        const Scalar s = column[i];
        if (s >= row_kth[i]) rows.offer(row_local + i, s, col_id);
        if (s >= col_kth) {
          columns.offer(col_local, s, row_id0 + i);
          col_kth = columns.kth_score(col_local);
        }
      }
    }
  }
}

}  // namespace

template <class Scalar>
TopKConsumer<Scalar>::TopKConsumer(TopKAccumulator<Scalar>& own, TopKAccumulator<Scalar>& visiting)
    : own_(own), visiting_(visiting) {}

template <class Scalar>
TopKConsumer<Scalar>::~TopKConsumer() = default;

template <class Scalar>
ExactTopKCandidates<Scalar>& TopKConsumer<Scalar>::candidates() {
  if (!candidates_) candidates_ = std::make_unique<ExactTopKCandidates<Scalar>>(own_.k());
  return *candidates_;
}

template <class Scalar>
void TopKConsumer<Scalar>::consume(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  if (this->rescore_) {
    candidates().scan(tile, place, false, own_, visiting_, *this->rescore_);
    return;
  }
  select_topk(tile, place.own_local, place.own_global0, place.visiting_local, place.visiting_global0, place.diagonal,
              own_, visiting_);
}

template <class Scalar>
void TopKConsumer<Scalar>::consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  if (this->rescore_) {
    candidates().scan(tile, place, true, own_, visiting_, *this->rescore_);
    return;
  }
  select_topk(tile, place.visiting_local, place.visiting_global0, place.own_local, place.own_global0, place.diagonal,
              visiting_, own_);
}

template <class Scalar>
void TopKConsumer<Scalar>::end_assignment() {
  if (candidates_ && this->rescore_) candidates_->settle(*this->rescore_);
}

template <class Scalar>
void TopKConsumer<Scalar>::offer_rescored(std::int64_t own_local, std::int64_t visiting_local, const TilePlace& place,
                                          bool to_own) {
  const double score = this->rescore_->score(own_local, visiting_local);
  const Scalar rounded = static_cast<Scalar>(static_cast<float>(score));  // as exact_topk.cpp's settle
  if (to_own)
    own_.offer(own_local, rounded, place.visiting_global0 + visiting_local);
  else
    visiting_.offer(visiting_local, rounded, place.own_global0 + own_local);
}

// A pair is a candidate when its fast score s >= T - B (rounded down to
// Scalar): a canonical score c >= T has s >= c - B >= T - B. It is kept when
// c >= T, with c as its score (written rounded to float32).
namespace {
// Whether any scores[i] + slack[i] in [0, n) reaches `bar`; branch-free so
// it vectorises, compiled for AVX-512, AVX2 and baseline.
template <class Scalar>
__attribute__((target_clones("avx512f", "avx2", "default"))) bool any_reaches(const Scalar* scores, const Scalar* slack,
                                                                              std::int64_t n, Scalar bar) {
  int hits = 0;
  for (std::int64_t i = 0; i < n; ++i) hits |= scores[i] + slack[i] >= bar;
  return hits != 0;
}

// The largest Scalar at or below `value`.
template <class Scalar>
Scalar rounded_down(double value) {
  Scalar rounded = static_cast<Scalar>(value);
  if (static_cast<double>(rounded) > value) rounded = std::nextafter(rounded, -std::numeric_limits<Scalar>::infinity());
  return rounded;
}
}  // namespace

template <class Scalar>
Scalar ThresholdConsumer<Scalar>::exact_bar() const {
  return rounded_down<Scalar>(exact_threshold_ - this->rescore_->bound());
}

template <class Scalar>
void ThresholdConsumer<Scalar>::add_rescored(std::int64_t own_local, std::int64_t visiting_local,
                                             const TilePlace& place) {
  const double c = this->rescore_->score(own_local, visiting_local);
  if (c >= exact_threshold_)
    add(place.own_global0 + own_local, place.visiting_global0 + visiting_local, static_cast<Scalar>(c));
}

// Per pair the bar is sharper: T - (pair part + both rows' terms), so a
// tile's column has the bar T - pair part - its own term (rounded down)
// and a row's score reaches it with the row's term (plus rounding) added.
template <class Scalar>
void ThresholdConsumer<Scalar>::consume_exact(const ColMatrix<Scalar>& tile, const TilePlace& place, bool transposed) {
  const ExactRescore<Scalar>& rescore = *this->rescore_;
  const std::int64_t row_local = transposed ? place.visiting_local : place.own_local;
  const std::int64_t column_local = transposed ? place.own_local : place.visiting_local;
  const std::int64_t m = tile.rows();
  // The row side's terms, with the rounding of the float comparison.
  row_slack_.resize(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < m; ++i) {
    const double term = transposed ? rescore.visiting_term(row_local + i) : rescore.own_term(row_local + i);
    row_slack_[static_cast<std::size_t>(i)] = static_cast<Scalar>(term + kCandidateRoundingSlack);
  }
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t col_local = column_local + j;
    const double column_term = transposed ? rescore.own_term(col_local) : rescore.visiting_term(col_local);
    const Scalar bar = rounded_down<Scalar>(exact_threshold_ - rescore.pair_bound() - column_term);
    const std::int64_t i_end = place.diagonal ? std::clamp<std::int64_t>(col_local - row_local, 0, m) : m;
    const Scalar* column = tile.col(j).data();
    // Blocks of rows without a candidate, almost all of them, are passed
    // over by a vectorised test.
    constexpr std::int64_t kBlock = 64;
    for (std::int64_t block = 0; block < i_end; block += kBlock) {
      const std::int64_t block_end = std::min(block + kBlock, i_end);
      if (!any_reaches(column + block, row_slack_.data() + block, block_end - block, bar)) continue;
      for (std::int64_t i = block; i < block_end; ++i) {
        if (!(column[i] + row_slack_[static_cast<std::size_t>(i)] >= bar)) continue;
        // add_rescored takes (own, visiting): the own row is the column side when transposed.
        if (transposed)
          add_rescored(col_local, row_local + i, place);
        else
          add_rescored(row_local + i, col_local, place);
      }
    }
  }
}

template <class Scalar>
void ThresholdConsumer<Scalar>::consume(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  if (over_cap_) return;  // the job fails after the ring; scanning would only cost time
  if (this->rescore_) {
    consume_exact(tile, place, false);
    return;
  }
  const std::int64_t m = tile.rows();
  const std::int64_t own_id0 = place.own_global0 + place.own_local;
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t vis_local = place.visiting_local + j;
    const std::int64_t vis_id = place.visiting_global0 + vis_local;
    const std::int64_t i_end = place.diagonal ? std::clamp<std::int64_t>(vis_local - place.own_local, 0, m) : m;
    const Scalar* column = tile.col(j).data();
    for (std::int64_t i = 0; i < i_end; ++i) {
      if (column[i] >= threshold_) add(own_id0 + i, vis_id, column[i]);
    }
  }
}

template <class Scalar>
void ThresholdConsumer<Scalar>::consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  // Queries are always the own (left) operand, so only pairs kept as
  // (smaller id, larger id) come here, and their sides may swap.
  RINGSIM_ENFORCE(order_ == PairOrder::by_id, "a query tile computed the corpus side first");
  if (over_cap_) return;  // as in consume()
  if (this->rescore_) {
    consume_exact(tile, place, true);
    return;
  }
  consume(tile,
          TilePlace{place.visiting_local, place.own_local, place.visiting_global0, place.own_global0, place.diagonal});
}

template <class Scalar>
DenseConsumer<Scalar>::DenseConsumer(const TileAssignment& assignment)
    : assignment_(assignment),
      band_(std::max<std::int64_t>(0, assignment.own_end - assignment.own_begin),
            std::max<std::int64_t>(0, assignment.visiting_end - assignment.visiting_begin)) {}

template <class Scalar>
void DenseConsumer<Scalar>::consume(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  band_.block(place.own_local - assignment_.own_begin, place.visiting_local - assignment_.visiting_begin, tile.rows(),
              tile.cols()) = tile.template cast<float>();
}

template <class Scalar>
void DenseConsumer<Scalar>::consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  band_.block(place.own_local - assignment_.own_begin, place.visiting_local - assignment_.visiting_begin, tile.cols(),
              tile.rows()) = tile.transpose().template cast<float>();
}

#define RINGSIM_INSTANTIATE(S)                                                                                      \
  template std::int64_t compute_assignment<S>(const RowMatrix<S>&, std::int64_t, const RowMatrix<S>&, std::int64_t, \
                                              const TileAssignment&, const TileGrid&, TileConsumer<S>&,             \
                                              const std::function<void(std::int64_t)>&);                            \
  template class TopKConsumer<S>;                                                                                   \
  template class ThresholdConsumer<S>;                                                                              \
  template class DenseConsumer<S>;
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
