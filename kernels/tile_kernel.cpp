#include "kernels/tile_kernel.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"

namespace ringsim {

template <class Scalar>
std::int64_t compute_assignment(const RowMatrix<Scalar>& own, std::int64_t own_global0,
                                const RowMatrix<Scalar>& visiting, std::int64_t visiting_global0,
                                const TileAssignment& assignment, const TileShape& shape,
                                TileConsumer<Scalar>& consumer, const std::function<void(std::int64_t)>& after_tile) {
  std::int64_t entries = 0;
  if (assignment.empty()) return entries;
  const bool upper_only = assignment.diagonal && !consumer.wants_full_diagonal();
  ColMatrix<Scalar> tile;
  for (std::int64_t i0 = assignment.own_begin; i0 < assignment.own_end; i0 += shape.rows) {
    const std::int64_t m = std::min(shape.rows, assignment.own_end - i0);
    for (std::int64_t j0 = assignment.visiting_begin; j0 < assignment.visiting_end; j0 += shape.cols) {
      const std::int64_t nc = std::min(shape.cols, assignment.visiting_end - j0);
      // Upper triangle only: skip tiles whose every visiting row is <= every own row.
      if (upper_only && j0 + nc - 1 <= i0) continue;
      tile.resize(m, nc);
      tile.noalias() = own.middleRows(i0, m) * visiting.middleRows(j0, nc).transpose();
      consumer.consume(tile, TilePlace{i0, j0, own_global0, visiting_global0, upper_only});
      entries += m * nc;
      if (after_tile) after_tile(m * nc);
    }
  }
  return entries;
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

}  // namespace

template <class Scalar>
void TopKConsumer<Scalar>::consume(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  // Rows are scanned in blocks: a vectorised test rejects a whole block
  // when no score in it can enter either list, which after the first few
  // tiles is almost always; only blocks with a candidate take the scalar path.
  constexpr std::int64_t kBlock = 64;
  const std::int64_t m = tile.rows();
  const std::int64_t own_id0 = place.own_global0 + place.own_local;
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t vis_local = place.visiting_local + j;
    const std::int64_t vis_id = place.visiting_global0 + vis_local;
    // On the diagonal only own rows before the visiting row count (i < j globally).
    const std::int64_t i_end = place.diagonal ? std::clamp<std::int64_t>(vis_local - place.own_local, 0, m) : m;
    const Scalar* column = tile.col(j).data();
    const Scalar* own_kth = own_.kth_scores() + place.own_local;
    Scalar vis_kth = visiting_.kth_score(vis_local);
    for (std::int64_t block = 0; block < i_end; block += kBlock) {
      const std::int64_t block_end = std::min(block + kBlock, i_end);
      if (!any_candidate(column + block, own_kth + block, block_end - block, vis_kth)) continue;
      for (std::int64_t i = block; i < block_end; ++i) {
        const Scalar s = column[i];
        if (s >= own_kth[i]) own_.offer(place.own_local + i, s, vis_id);
        if (s >= vis_kth) {
          visiting_.offer(vis_local, s, own_id0 + i);
          vis_kth = visiting_.kth_score(vis_local);
        }
      }
    }
  }
}

template <class Scalar>
void ThresholdConsumer<Scalar>::consume(const ColMatrix<Scalar>& tile, const TilePlace& place) {
  const std::int64_t m = tile.rows();
  const std::int64_t own_id0 = place.own_global0 + place.own_local;
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t vis_local = place.visiting_local + j;
    const std::int64_t vis_id = place.visiting_global0 + vis_local;
    const std::int64_t i_end = place.diagonal ? std::clamp<std::int64_t>(vis_local - place.own_local, 0, m) : m;
    const Scalar* column = tile.col(j).data();
    for (std::int64_t i = 0; i < i_end; ++i) {
      if (column[i] >= threshold_) {
        const std::int64_t own_id = own_id0 + i;
        pairs_.push_back({std::min(own_id, vis_id), std::max(own_id, vis_id), column[i]});
      }
    }
  }
  if (static_cast<std::int64_t>(pairs_.size()) > max_pairs_)
    throw InputError(
        "the threshold qualifies more than " + std::to_string(max_pairs_) +
        " pairs on this rank alone, more than --max-output-bytes allows; raise the threshold or the limit");
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

#define RINGSIM_INSTANTIATE(S)                                                                                      \
  template std::int64_t compute_assignment<S>(const RowMatrix<S>&, std::int64_t, const RowMatrix<S>&, std::int64_t, \
                                              const TileAssignment&, const TileShape&, TileConsumer<S>&,            \
                                              const std::function<void(std::int64_t)>&);                            \
  template class TopKConsumer<S>;                                                                                   \
  template class ThresholdConsumer<S>;                                                                              \
  template class DenseConsumer<S>;
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
