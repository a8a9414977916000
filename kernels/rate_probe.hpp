#pragma once
// How fast this core runs ringsim's tiles: GEMM with fused top-k selection
// on random rows, timed for a while. The ring shares rows by these rates
// (--balance measured) and `ringsim bench gemm` reports them.
#include <cstdint>

namespace ringsim {

// GFLOP/s (2 d flops per similarity entry) of `tile` x `tile` tiles `depth`
// deep with top-`k` selection, over at least `seconds`.
double measure_fused_topk_gflops(std::int64_t tile, std::int64_t depth, int k, double seconds);

}  // namespace ringsim
