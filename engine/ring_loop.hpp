#pragma once
#include <cstdint>

#include "engine/ring_mode.hpp"
#include "kernels/matrix.hpp"

namespace ringsim {

struct RingTimes {
  double compute_seconds = 0;  // GEMM tiles plus fused selection
  double wait_seconds = 0;     // blocked on the transport
  std::int64_t entries = 0;    // similarity entries computed
};

// Circulates row blocks around the ring and feeds every tile of this rank's
// assignments to `mode`. Blocks move right one rank per step; the block for
// step s+1 is in flight while step s is computed (double buffering), so no
// rank ever holds more than its own block and two visiting ones.
template <class Scalar>
RingTimes run_ring(const RowMatrix<Scalar>& own, const RowPartition& partition, Transport& transport,
                   RingMode<Scalar>& mode, const TileShape& shape, Millis timeout);

}  // namespace ringsim
