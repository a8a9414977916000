#include <cuda_bf16.h>

#include "kernels/cuda/select_kernels.hpp"

namespace ringsim::cuda {

namespace {

constexpr int kThreads = 128;

// Thread t: list t of the tile (select_tile_list): t < m a row-side row read
// with stride m, so a warp's threads read neighbouring addresses; m + c a
// column, contiguous for its thread.
template <class Scalar>
__global__ void topk_kernel(const Scalar* tile, TileShape shape, const Scalar* row_floor, const Scalar* col_floor,
                            int k, Scalar* row_scores, std::int64_t* row_ids, Scalar* col_scores,
                            std::int64_t* col_ids) {
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  select_tile_list(tile, shape, t, row_floor, col_floor, k, row_scores, row_ids, col_scores, col_ids);
}

// A found pair takes a slot with one atomic add; past `capacity` it is only counted.
template <class Scalar>
struct PairSink {
  std::int64_t column, capacity;
  unsigned long long* count;
  std::int32_t *pair_i, *pair_j;
  Scalar* pair_score;
  __device__ void operator()(std::int64_t i, Scalar score) {
    const unsigned long long slot = atomicAdd(count, 1ULL);
    if (static_cast<std::int64_t>(slot) < capacity) {
      pair_i[slot] = static_cast<std::int32_t>(i);
      pair_j[slot] = static_cast<std::int32_t>(column);
      pair_score[slot] = score;
    }
  }
};

template <class Scalar>
__global__ void threshold_kernel(const Scalar* tile, TileShape shape, Scalar threshold, std::int64_t capacity,
                                 unsigned long long* count, std::int32_t* pair_i, std::int32_t* pair_j,
                                 Scalar* pair_score) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= shape.nc) return;
  PairSink<Scalar> sink{c, capacity, count, pair_i, pair_j, pair_score};
  select_tile_column_pairs(tile, shape, c, threshold, sink);
}

// A nominated pair takes a slot with one atomic add; past `capacity` it is only counted.
struct CandidateSink {
  std::int64_t capacity;
  unsigned long long* count;
  SelectCandidate* candidates;
  __device__ void operator()(std::int64_t i, std::int64_t j, bool column_list) {
    const unsigned long long slot = atomicAdd(count, 1ULL);
    if (static_cast<std::int64_t>(slot) < capacity)
      candidates[slot] = {static_cast<std::int32_t>(i), static_cast<std::int32_t>(j), column_list ? 1 : 0};
  }
};

template <class Scalar>
__global__ void candidates_kernel(const Scalar* tile, TileShape shape, const Scalar* row_floor, const Scalar* col_floor,
                                  int k, Scalar fast_slack, Scalar exact_slack, Scalar* scratch_scores,
                                  std::int64_t* scratch_ids, CandidateSink sink) {
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= shape.m + shape.nc) return;
  select_tile_list_candidates(tile, shape, t, row_floor, col_floor, k, fast_slack, exact_slack, scratch_scores + t * k,
                              scratch_ids + t * k, sink);
}

// Threshold: column `column`'s pairs at or above the bar.
struct ColumnCandidateSink {
  std::int64_t column;
  CandidateSink sink;
  template <class Scalar>
  __device__ void operator()(std::int64_t i, Scalar) {
    sink(i, column, false);
  }
};

template <class Scalar>
__global__ void threshold_candidates_kernel(const Scalar* tile, TileShape shape, Scalar bar, CandidateSink sink) {
  const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= shape.nc) return;
  ColumnCandidateSink column{c, sink};
  select_tile_column_pairs(tile, shape, c, bar, column);
}

__global__ void bfloat16_kernel(const float* values, std::int64_t count, std::uint16_t* bits) {
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= count) return;
  const __nv_bfloat16 rounded = __float2bfloat16_rn(values[t]);
  bits[t] = *reinterpret_cast<const std::uint16_t*>(&rounded);
}

unsigned blocks_for(std::int64_t threads) { return static_cast<unsigned>((threads + kThreads - 1) / kThreads); }

}  // namespace

template <class Scalar>
void select_topk(const Scalar* tile, const TileShape& shape, const Scalar* row_floor, const Scalar* col_floor, int k,
                 Scalar* row_scores, std::int64_t* row_ids, Scalar* col_scores, std::int64_t* col_ids,
                 cudaStream_t stream) {
  const std::int64_t threads = shape.m + shape.nc;
  if (threads == 0) return;
  topk_kernel<Scalar><<<blocks_for(threads), kThreads, 0, stream>>>(tile, shape, row_floor, col_floor, k, row_scores,
                                                                    row_ids, col_scores, col_ids);
}

template <class Scalar>
void select_threshold(const Scalar* tile, const TileShape& shape, Scalar threshold, std::int64_t capacity,
                      unsigned long long* count, std::int32_t* pair_i, std::int32_t* pair_j, Scalar* pair_score,
                      cudaStream_t stream) {
  if (shape.nc == 0) return;
  threshold_kernel<Scalar><<<blocks_for(shape.nc), kThreads, 0, stream>>>(tile, shape, threshold, capacity, count,
                                                                          pair_i, pair_j, pair_score);
}

template <class Scalar>
void select_candidates(const Scalar* tile, const TileShape& shape, const Scalar* row_floor, const Scalar* col_floor,
                       int k, Scalar fast_slack, Scalar exact_slack, Scalar* scratch_scores, std::int64_t* scratch_ids,
                       std::int64_t capacity, unsigned long long* count, SelectCandidate* candidates,
                       cudaStream_t stream) {
  const std::int64_t threads = shape.m + shape.nc;
  if (threads == 0) return;
  candidates_kernel<Scalar><<<blocks_for(threads), kThreads, 0, stream>>>(
      tile, shape, row_floor, col_floor, k, fast_slack, exact_slack, scratch_scores, scratch_ids,
      CandidateSink{capacity, count, candidates});
}

template <class Scalar>
void select_threshold_candidates(const Scalar* tile, const TileShape& shape, Scalar bar, std::int64_t capacity,
                                 unsigned long long* count, SelectCandidate* candidates, cudaStream_t stream) {
  if (shape.nc == 0) return;
  threshold_candidates_kernel<Scalar>
      <<<blocks_for(shape.nc), kThreads, 0, stream>>>(tile, shape, bar, CandidateSink{capacity, count, candidates});
}

void to_bfloat16(const float* values, std::int64_t count, std::uint16_t* bits, cudaStream_t stream) {
  if (count == 0) return;
  bfloat16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(values, count, bits);
}

#define RINGSIM_INSTANTIATE(S)                                                                                       \
  template void select_topk<S>(const S*, const TileShape&, const S*, const S*, int, S*, std::int64_t*, S*,           \
                               std::int64_t*, cudaStream_t);                                                         \
  template void select_threshold<S>(const S*, const TileShape&, S, std::int64_t, unsigned long long*, std::int32_t*, \
                                    std::int32_t*, S*, cudaStream_t);                                                \
  template void select_candidates<S>(const S*, const TileShape&, const S*, const S*, int, S, S, S*, std::int64_t*,   \
                                     std::int64_t, unsigned long long*, SelectCandidate*, cudaStream_t);             \
  template void select_threshold_candidates<S>(const S*, const TileShape&, S, std::int64_t, unsigned long long*,     \
                                               SelectCandidate*, cudaStream_t);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim::cuda
