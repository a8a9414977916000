#pragma once
// --balance measured: each rank's rate for the job's kind of tile, measured
// on every rank at the same moment.
#include <cstdint>
#include <vector>

#include "transport/communicator.hpp"

namespace ringsim {

// Each rank's rate for the job's tiles (GEMM and top-k selection, `cols`
// deep), in GFLOP/s, in rank order: the same numbers on every rank.
std::vector<double> measure_rank_gflops(const Communicator& comm, std::int64_t cols, std::int64_t tile, int k);

}  // namespace ringsim
