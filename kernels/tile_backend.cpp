#include "kernels/tile_backend.hpp"

#include <algorithm>
#include <type_traits>

#include "common/errors.hpp"
#include "kernels/normalize.hpp"
#include "kernels/onednn_gemm.hpp"

namespace ringsim {

template <class Scalar>
CpuTileBackend<Scalar>::CpuTileBackend(TileRule rule, std::int64_t tile_edge) : rule_(rule), tile_edge_(tile_edge) {
  RINGSIM_ENFORCE(!rule.bfloat16 || rule.exact, "a bfloat16 GEMM needs exact re-scoring");
  RINGSIM_ENFORCE((!rule.bfloat16 || std::is_same_v<Scalar, float>), "a bfloat16 GEMM is for float32 jobs");
  RINGSIM_ENFORCE(tile_edge > 0, "tile edge must be > 0");
  if (rule.bfloat16) onednn_ = std::make_unique<OnednnGemm>(OnednnInput::bfloat16);
  if (rule.exact && !rule.bfloat16 && std::is_same_v<Scalar, float>) {
    // Full mode and dot scores never get here: their written scores are the
    // GEMM's, which must stay the BLAS's bit for bit.
    f32_forced_ = forced_f32_gemm();
    if (f32_forced_ == F32Gemm::onednn) onednn_ = std::make_unique<OnednnGemm>(OnednnInput::float32);
  }
}

template <class Scalar>
CpuTileBackend<Scalar>::~CpuTileBackend() = default;

template <class Scalar>
std::vector<double> CpuTileBackend<Scalar>::prepare(const RowMatrix<Scalar>& rows, RowMatrix<Scalar>& normalised,
                                                    std::unique_ptr<Bf16Rows>& bf16) {
  if (!rescore_) {
    const GemmPrecision precision = rule_.bfloat16                   ? GemmPrecision::bfloat16
                                    : std::is_same_v<Scalar, double> ? GemmPrecision::float64
                                                                     : GemmPrecision::float32;
    const std::int64_t d = std::max<std::int64_t>(1, rows.cols());
    rescore_.emplace(score_bound(precision, d), pair_bound(precision, d));
  }
  if constexpr (std::is_same_v<Scalar, float>) {
    if (rule_.bfloat16) {
      // Only the bfloat16 copy is multiplied: no float32 one is kept.
      if (!bf16) bf16 = std::make_unique<Bf16Rows>();
      std::vector<double> terms = normalised_bfloat16(rows, *bf16);
      // Each row's share of the bound, from its own rounding.
      const std::int64_t d = std::max<std::int64_t>(1, rows.cols());
      for (double& term : terms) term = row_term(GemmPrecision::bfloat16, d, term);
      return terms;
    }
  }
  normalised = rows;
  normalize_rows(normalised);
  if (std::is_same_v<Scalar, float> && !f32_choice_) choose_f32_gemm(rows.rows(), rows.cols());
  return {};
}

// The float32 GEMMs are timed only where a rank's block against itself (a
// part of its work, rows^2 x d flops) takes, at a modest 100 GFLOP/s, ten
// times the timing (2 x 5 rounds of 10 ms): 20000 rows of 256 columns. A
// smaller rank keeps the BLAS; the choice cannot change a result. Rounds
// of 10 ms: a few of the scheduler's slices, so one preemption on a
// shared core spoils a round, not a GEMM's figure.
constexpr int kF32GemmRounds = 5;
constexpr double kF32GemmRoundSeconds = 0.010;
constexpr double kF32GemmTimingWorthFlops = 10 * 2 * kF32GemmRounds * kF32GemmRoundSeconds * 100e9;

template <class Scalar>
void CpuTileBackend<Scalar>::choose_f32_gemm(std::int64_t rows, std::int64_t cols) {
  F32GemmChoice choice;
  if (f32_forced_) {
    choice.gemm = *f32_forced_;
    choice.by = "forced";
  } else if (!onednn_available()) {
    choice.by = "no onednn";
  } else if (static_cast<double>(rows) * static_cast<double>(rows) * static_cast<double>(cols) <
             kF32GemmTimingWorthFlops) {
    choice.by = "small block";
  } else {
    const std::int64_t edge = std::min(tile_edge_, rows);
    choice.rates = measure_f32_gemms(edge, edge, cols, kF32GemmRounds, kF32GemmRoundSeconds);
    choice.gemm = faster_f32_gemm(choice.rates);
    choice.by = "measured";
  }
  if (choice.gemm == F32Gemm::onednn && !onednn_) onednn_ = std::make_unique<OnednnGemm>(OnednnInput::float32);
  if (choice.gemm == F32Gemm::openblas) onednn_.reset();
  f32_choice_ = choice;
}

template <class Scalar>
void CpuTileBackend<Scalar>::upload_own(const RowMatrix<Scalar>& rows) {
  if (!rule_.exact) {
    own_ = &rows;
    return;
  }
  std::vector<double> terms = prepare(rows, own_normalised_, own_bf16_);
  own_ = &own_normalised_;
  rescore_->set_own(rows, std::move(terms));
}

template <class Scalar>
void CpuTileBackend<Scalar>::upload_visiting(const RowMatrix<Scalar>& rows) {
  if (!rule_.exact) {
    visiting_ = &rows;
    return;
  }
  std::vector<double> terms = prepare(rows, visiting_normalised_, visiting_bf16_);
  visiting_ = &visiting_normalised_;
  rescore_->set_visiting(rows, std::move(terms));
}

template <class Scalar>
void CpuTileBackend<Scalar>::tile(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first,
                                  TileConsumer<Scalar>& consumer) {
  consumer.set_rescore(rescore_ ? &*rescore_ : nullptr);
  if constexpr (std::is_same_v<Scalar, float>) {
    if (rule_.bfloat16) return onednn_tile(*own_bf16_, *visiting_bf16_, place, m, nc, visiting_first, consumer);
    if (onednn_) return onednn_tile(*own_, *visiting_, place, m, nc, visiting_first, consumer);
  }
  if (!visiting_first) {
    tile_.resize(m, nc);
    tile_.noalias() =
        own_->middleRows(place.own_local, m) * visiting_->middleRows(place.visiting_local, nc).transpose();
    consumer.consume(tile_, place);
  } else {
    tile_.resize(nc, m);
    tile_.noalias() =
        visiting_->middleRows(place.visiting_local, nc) * own_->middleRows(place.own_local, m).transpose();
    consumer.consume_transposed(tile_, place);
  }
}

template <class Scalar>
template <class Rows>
void CpuTileBackend<Scalar>::onednn_tile(const Rows& own, const Rows& visiting, const TilePlace& place, std::int64_t m,
                                         std::int64_t nc, bool visiting_first, TileConsumer<Scalar>& consumer) {
  // A column-major tile is the row-major product the other way round.
  if (!visiting_first) {
    tile_.resize(m, nc);
    onednn_->multiply(visiting, place.visiting_local, nc, own, place.own_local, m, tile_.data());
    consumer.consume(tile_, place);
  } else {
    tile_.resize(nc, m);
    onednn_->multiply(own, place.own_local, m, visiting, place.visiting_local, nc, tile_.data());
    consumer.consume_transposed(tile_, place);
  }
}

template <class Scalar>
std::optional<TileRuleReport> CpuTileBackend<Scalar>::rule_report() const {
  if (!rule_.exact) return std::nullopt;
  TileRuleReport report;
  report.precision = rule_.bfloat16                   ? GemmPrecision::bfloat16
                     : std::is_same_v<Scalar, double> ? GemmPrecision::float64
                                                      : GemmPrecision::float32;
  if (rescore_) {
    report.bound = rescore_->bound();
    report.rescored = rescore_->stats();
  }
  report.float32_gemm = f32_choice_;
  return report;
}

template <class Scalar>
std::int64_t compute_assignment(TileBackend<Scalar>& backend, std::int64_t own_global0, std::int64_t visiting_global0,
                                const TileAssignment& assignment, const TileGrid& grid, TileConsumer<Scalar>& consumer,
                                const std::function<void(std::int64_t)>& after_tile) {
  RINGSIM_ENFORCE(grid.edge > 0, "tile edge must be > 0");
  std::int64_t entries = 0;
  if (assignment.empty()) return entries;
  const bool upper_only = assignment.diagonal && !consumer.wants_full_diagonal();
  for (std::int64_t i0 = assignment.own_begin, i1 = 0; i0 < assignment.own_end; i0 = i1) {
    i1 = std::min(assignment.own_end, grid.line_after(own_global0 + i0) - own_global0);
    const std::int64_t m = i1 - i0;
    for (std::int64_t j0 = assignment.visiting_begin, j1 = 0; j0 < assignment.visiting_end; j0 = j1) {
      j1 = std::min(assignment.visiting_end, grid.line_after(visiting_global0 + j0) - visiting_global0);
      const std::int64_t nc = j1 - j0;
      // On the diagonal block the two sides are cut alike: a tile of the
      // lower triangle repeats one of the upper.
      const bool visiting_first = !assignment.across && visiting_global0 + j0 < own_global0 + i0;
      if (upper_only && visiting_first) continue;
      backend.tile(TilePlace{i0, j0, own_global0, visiting_global0, upper_only}, m, nc, visiting_first, consumer);
      entries += m * nc;
      if (after_tile) after_tile(m * nc);
    }
  }
  backend.flush();
  consumer.end_assignment();
  return entries;
}

SelectTileShape select_shape(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first) {
  SelectTileShape shape;
  shape.diagonal = place.diagonal;
  const std::int64_t own_id0 = place.own_global0 + place.own_local;
  const std::int64_t visiting_id0 = place.visiting_global0 + place.visiting_local;
  if (!visiting_first) {
    shape.m = m, shape.nc = nc, shape.row_local = place.own_local, shape.col_local = place.visiting_local;
    shape.row_id0 = own_id0, shape.col_id0 = visiting_id0;
  } else {
    shape.m = nc, shape.nc = m, shape.row_local = place.visiting_local, shape.col_local = place.own_local;
    shape.row_id0 = visiting_id0, shape.col_id0 = own_id0;
  }
  return shape;
}

template <class Scalar>
void offer_selected(const SelectTileShape& shape, int k, const Scalar* scores, const std::int64_t* ids,
                    TopKAccumulator<Scalar>& rows, TopKAccumulator<Scalar>& columns) {
  for (std::int64_t list = 0; list < shape.m + shape.nc; ++list) {
    const bool is_row = list < shape.m;
    TopKAccumulator<Scalar>& target = is_row ? rows : columns;
    const std::int64_t local = is_row ? shape.row_local + list : shape.col_local + (list - shape.m);
    for (int slot = 0; slot < k; ++slot) {
      const std::int64_t id = ids[list * k + slot];
      if (id == kSelectEmptyId) break;  // sorted: the rest are empty too
      target.offer(local, scores[list * k + slot], id);
    }
  }
}

template <class Scalar>
void offer_candidates(const SelectTileShape& shape, const TilePlace& place, bool visiting_first,
                      const SelectCandidate* candidates, std::int64_t count, TileConsumer<Scalar>& consumer) {
  auto* topk = dynamic_cast<TopKConsumer<Scalar>*>(&consumer);
  auto* threshold = dynamic_cast<ThresholdConsumer<Scalar>*>(&consumer);
  RINGSIM_ENFORCE(topk || threshold, "exact candidates are for top-k and threshold consumers");
  for (std::int64_t c = 0; c < count; ++c) {
    // Tile position (i, j): row side i, column side j; the row side is the
    // visiting block when it comes first in the matrix.
    const std::int64_t row = shape.row_local + candidates[c].i, column = shape.col_local + candidates[c].j;
    const std::int64_t own_local = visiting_first ? column : row;
    const std::int64_t visiting_local = visiting_first ? row : column;
    if (threshold) {
      threshold->add_rescored(own_local, visiting_local, place);
    } else {
      const bool for_column = candidates[c].column_list != 0;
      topk->offer_rescored(own_local, visiting_local, place, for_column == visiting_first);
    }
  }
}

#define RINGSIM_INSTANTIATE(S)                                                                                     \
  template class CpuTileBackend<S>;                                                                                \
  template std::int64_t compute_assignment<S>(TileBackend<S>&, std::int64_t, std::int64_t, const TileAssignment&,  \
                                              const TileGrid&, TileConsumer<S>&,                                   \
                                              const std::function<void(std::int64_t)>&);                           \
  template void offer_selected<S>(const SelectTileShape&, int, const S*, const std::int64_t*, TopKAccumulator<S>&, \
                                  TopKAccumulator<S>&);                                                            \
  template void offer_candidates<S>(const SelectTileShape&, const TilePlace&, bool, const SelectCandidate*,        \
                                    std::int64_t, TileConsumer<S>&);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
