#include "engine/rank_rates.hpp"

#include <algorithm>

#include "common/phase.hpp"
#include "kernels/rate_probe.hpp"

namespace ringsim {

// Measured at the same time on every rank, so that ranks sharing a core, or
// held to part of one, measure what they will get. 0.3 s: three periods of a
// CPU quota's 100 ms.
std::vector<double> measure_rank_gflops(const Communicator& comm, std::int64_t cols, std::int64_t tile, int k) {
  PhaseScope phase("balance");
  comm.barrier();
  const double gflops =
      measure_fused_topk_gflops(std::min<std::int64_t>(tile, 512), std::max<std::int64_t>(cols, 1), k, 0.3);
  // As whole kFLOP/s, so every rank builds bit-identical weights.
  std::vector<double> rates;
  for (const std::int64_t rate : comm.allgather(static_cast<std::int64_t>(std::max(gflops, 1e-3) * 1e6)))
    rates.push_back(static_cast<double>(rate) / 1e6);
  return rates;
}

}  // namespace ringsim
