#pragma once
// The per-row logic of fused selection, written once for the host compiler
// and for nvcc (`__host__ __device__`), so the GPU's selection is the code the
// host unit tests run (tests/kernels/test_select_row.cpp checks it against the CPU
// consumers of tile_kernel.hpp: ties, zero rows, k larger than the rows;
// tests/kernels/test_gpu_exact_rule.cpp the exact rule's nomination).
//
// Order, as TopKAccumulator's: higher score first, equal scores by smaller
// id; empty slots hold -inf and kSelectEmptyId, which every real candidate
// beats. A candidate below `floor` (the row's k-th best known elsewhere) is
// never kept, as TopKAccumulator::offer rejects it.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define RINGSIM_HD __host__ __device__
#else
#define RINGSIM_HD
#endif

namespace ringsim {

inline constexpr std::int64_t kSelectEmptyId = INT64_MAX;  // == TopKAccumulator<S>::kEmptyId

template <class Scalar>
RINGSIM_HD inline bool select_ranks_before(Scalar score_a, std::int64_t id_a, Scalar score_b, std::int64_t id_b) {
  return score_a > score_b || (score_a == score_b && id_a < id_b);
}

// Empties a list of k slots.
template <class Scalar>
RINGSIM_HD inline void select_clear(Scalar* scores, std::int64_t* ids, int k) {
  for (int s = 0; s < k; ++s) {
    scores[s] = -static_cast<Scalar>(INFINITY);
    ids[s] = kSelectEmptyId;
  }
}

// Puts (score, id) into the sorted list of k slots if it ranks in it.
template <class Scalar>
RINGSIM_HD inline void select_insert(Scalar* scores, std::int64_t* ids, int k, Scalar score, std::int64_t id) {
  if (!select_ranks_before(score, id, scores[k - 1], ids[k - 1])) return;
  int slot = k - 1;
  while (slot > 0 && select_ranks_before(score, id, scores[slot - 1], ids[slot - 1])) {
    scores[slot] = scores[slot - 1];
    ids[slot] = ids[slot - 1];
    --slot;
  }
  scores[slot] = score;
  ids[slot] = id;
}

// One row of a tile against the other side's rows: the best k of
// values[i * stride] for i in [begin, end), candidate i named id0 + i,
// none below `floor`, into an emptied list of k slots. On the diagonal the
// caller narrows [begin, end) to the pairs that count (smaller global id
// first), as the CPU consumers do.
template <class Scalar>
RINGSIM_HD inline void select_row_topk(const Scalar* values, std::int64_t stride, std::int64_t begin, std::int64_t end,
                                       std::int64_t id0, Scalar floor, int k, Scalar* scores, std::int64_t* ids) {
  select_clear(scores, ids, k);
  for (std::int64_t i = begin; i < end; ++i) {
    const Scalar s = values[i * stride];
    if (s < floor || s < scores[k - 1]) continue;
    select_insert(scores, ids, k, s, id0 + i);
  }
}

// On a diagonal tile only pairs whose row-side row comes before the
// column-side row count: for column-side local row `column_local` and
// row-side rows starting at local `row_local`, the row-side rows [0, end)
// of the tile, end = clamp(column_local - row_local, 0, m) (tile_kernel.cpp).
RINGSIM_HD inline std::int64_t select_diagonal_end(std::int64_t column_local, std::int64_t row_local, std::int64_t m) {
  const std::int64_t end = column_local - row_local;
  return end < 0 ? 0 : end > m ? m : end;
}

// The same rule seen from a row-side row: column-side rows [begin, nc) of
// the tile count, begin = clamp(row_local + 1 - column_local, 0, nc).
RINGSIM_HD inline std::int64_t select_diagonal_begin(std::int64_t row_local, std::int64_t column_local,
                                                     std::int64_t nc) {
  const std::int64_t begin = row_local + 1 - column_local;
  return begin < 0 ? 0 : begin > nc ? nc : begin;
}

// One tile (column-major, m x nc, leading dimension m): tile[i + j * m]
// scores row-side row (row_local + i) against column-side row (col_local +
// j), as the CPU consumers see it (tile_kernel.hpp). With `diagonal` only
// pairs whose row-side local row is smaller count.
struct SelectTileShape {
  std::int64_t m = 0, nc = 0;
  std::int64_t row_local = 0, col_local = 0;  // local rows in the blocks
  std::int64_t row_id0 = 0, col_id0 = 0;      // global id of the tile's row 0 / column 0
  bool diagonal = false;
};

// List `list` of a tile's top-k selection, what one GPU thread computes:
// list < m is row-side row `list` over the tile's columns (its k best into
// row_scores / row_ids + list * k); list = m + c is column c over the tile's
// rows (into col_scores / col_ids + c * k). Floors: the lists' current k-th
// scores (row_floor[list], col_floor[c]).
template <class Scalar>
RINGSIM_HD inline void select_tile_list(const Scalar* tile, const SelectTileShape& shape, std::int64_t list,
                                        const Scalar* row_floor, const Scalar* col_floor, int k, Scalar* row_scores,
                                        std::int64_t* row_ids, Scalar* col_scores, std::int64_t* col_ids) {
  if (list < shape.m) {
    const std::int64_t r = list;
    const std::int64_t begin =
        shape.diagonal ? select_diagonal_begin(shape.row_local + r, shape.col_local, shape.nc) : 0;
    select_row_topk(tile + r, shape.m, begin, shape.nc, shape.col_id0, row_floor[r], k, row_scores + r * k,
                    row_ids + r * k);
  } else if (list < shape.m + shape.nc) {
    const std::int64_t c = list - shape.m;
    const std::int64_t end =
        shape.diagonal ? select_diagonal_end(shape.col_local + c, shape.row_local, shape.m) : shape.m;
    select_row_topk(tile + c * shape.m, std::int64_t{1}, std::int64_t{0}, end, shape.row_id0, col_floor[c], k,
                    col_scores + c * k, col_ids + c * k);
  }
}

// Threshold mode, column c of a tile: emit(i, score) for every counted
// row-side row i whose score is at or above `threshold`.
template <class Scalar, class Emit>
RINGSIM_HD inline void select_tile_column_pairs(const Scalar* tile, const SelectTileShape& shape, std::int64_t c,
                                                Scalar threshold, Emit& emit) {
  const Scalar* column = tile + c * shape.m;
  const std::int64_t end =
      shape.diagonal ? select_diagonal_end(shape.col_local + c, shape.row_local, shape.m) : shape.m;
  for (std::int64_t i = 0; i < end; ++i)
    if (column[i] >= threshold) emit(i, column[i]);
}

// A pair a tile nominates for exact re-scoring: tile position (i, j), and
// for top-k whether it is for column j's list (else row i's).
struct SelectCandidate {
  std::int32_t i = 0, j = 0;
  std::int32_t column_list = 0;
};

// Exact top-k (exact_topk.hpp) on a backend that selects elsewhere: list
// `list` of a tile (as select_tile_list numbers them) nominates the pairs a
// canonical score may bring into it, from fast scores within B of the
// canonical ones: s >= (the tile list's k-th best s) - fast_slack, and
// s + exact_slack >= floor (the list's exact k-th). Sound per tile: the
// tile's k best pairs score canonically >= that k-th - B, or the floor is
// above them already, so an entering pair's fast score clears both bars.
// `scratch_scores` / `scratch_ids`: k slots for the tile list's best.
// emit(i, j, column_list) for tile position (i, j).
template <class Scalar, class Emit>
RINGSIM_HD inline void select_tile_list_candidates(const Scalar* tile, const SelectTileShape& shape, std::int64_t list,
                                                   const Scalar* row_floor, const Scalar* col_floor, int k,
                                                   Scalar fast_slack, Scalar exact_slack, Scalar* scratch_scores,
                                                   std::int64_t* scratch_ids, Emit& emit) {
  const bool column_list = list >= shape.m;
  if (list >= shape.m + shape.nc) return;
  const std::int64_t at = column_list ? list - shape.m : list;
  // A row list reads the tile's row `at` (stride m) from column begin; a
  // column list reads column `at` (stride 1) up to end.
  const Scalar* values = column_list ? tile + at * shape.m : tile + at;
  const std::int64_t stride = column_list ? 1 : shape.m;
  const std::int64_t begin =
      !column_list && shape.diagonal ? select_diagonal_begin(shape.row_local + at, shape.col_local, shape.nc) : 0;
  const std::int64_t end = !column_list     ? shape.nc
                           : shape.diagonal ? select_diagonal_end(shape.col_local + at, shape.row_local, shape.m)
                                            : shape.m;
  const Scalar floor = column_list ? col_floor[at] : row_floor[at];
  select_row_topk(values, stride, begin, end, std::int64_t{0}, -static_cast<Scalar>(INFINITY), k, scratch_scores,
                  scratch_ids);
  const Scalar bar = scratch_scores[k - 1] - fast_slack;  // -inf while the list has fewer than k
  for (std::int64_t p = begin; p < end; ++p) {
    const Scalar s = values[p * stride];
    if (s >= bar && s + exact_slack >= floor) {
      if (column_list)
        emit(p, at, true);
      else
        emit(at, p, false);
    }
  }
}

}  // namespace ringsim
