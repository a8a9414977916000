#pragma once
// GPU selection on one tile, right after its GEMM (select_kernels.cu, built
// by nvcc): plain pointers only, so the host side (cuda_backend.cpp) needs no
// nvcc and nvcc needs no Eigen. Each thread runs select_row.hpp's per-list
// code, which the host unit tests check against the CPU consumers.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/select_row.hpp"

namespace ringsim::cuda {

using TileShape = SelectTileShape;

// Top k per row-side row (over the tile's columns) into row_scores/row_ids
// (m x k, row-major) and per column (over the tile's rows) into
// col_scores/col_ids (nc x k); nothing below that list's floor.
template <class Scalar>
void select_topk(const Scalar* tile, const TileShape& shape, const Scalar* row_floor, const Scalar* col_floor, int k,
                 Scalar* row_scores, std::int64_t* row_ids, Scalar* col_scores, std::int64_t* col_ids,
                 cudaStream_t stream);

// Every pair at or above `threshold`, as (i, j, score) tile positions, in
// no set order; `count` (zeroed by the caller) ends as the number found,
// which may exceed `capacity`: then only `capacity` were written and the
// caller falls back to the whole tile.
template <class Scalar>
void select_threshold(const Scalar* tile, const TileShape& shape, Scalar threshold, std::int64_t capacity,
                      unsigned long long* count, std::int32_t* pair_i, std::int32_t* pair_j, Scalar* pair_score,
                      cudaStream_t stream);

// Exact top-k: every list's candidates (select_tile_list_candidates), in
// no set order; `scratch_*` hold k slots per list (m + nc lists). `count`
// (zeroed by the caller) ends as the number found; past `capacity` only
// counted, and the caller hands the whole tile to the host.
template <class Scalar>
void select_candidates(const Scalar* tile, const TileShape& shape, const Scalar* row_floor, const Scalar* col_floor,
                       int k, Scalar fast_slack, Scalar exact_slack, Scalar* scratch_scores, std::int64_t* scratch_ids,
                       std::int64_t capacity, unsigned long long* count, SelectCandidate* candidates,
                       cudaStream_t stream);

// Exact threshold: every pair whose fast score reaches `bar` (T - B), as
// candidates (column_list 0), counted as select_candidates does.
template <class Scalar>
void select_threshold_candidates(const Scalar* tile, const TileShape& shape, Scalar bar, std::int64_t capacity,
                                 unsigned long long* count, SelectCandidate* candidates, cudaStream_t stream);

// bfloat16 copies (round to nearest even, as bits) of `count` floats.
void to_bfloat16(const float* values, std::int64_t count, std::uint16_t* bits, cudaStream_t stream);

}  // namespace ringsim::cuda
