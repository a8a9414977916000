#pragma once
#include <cstdint>
#include <functional>

#include "engine/progress.hpp"
#include "engine/ring_mode.hpp"
#include "kernels/matrix.hpp"
#include "kernels/tile_backend.hpp"

namespace ringsim {

struct RingTimes {
  double compute_seconds = 0;  // GEMM tiles plus fused selection
  double wait_seconds = 0;     // blocked on the transport
  std::int64_t entries = 0;    // similarity entries computed
  // Shared middle step (--balance measured): rows of the pair's second
  // block handed to the partner, and taken over from it.
  std::int64_t rows_given = 0, rows_taken = 0;
};

// Checkpointing of the ring (checkpoint.hpp): where to start, and what to do
// after a step all of whose exchanges are settled.
struct RingCheckpoints {
  int resume_step = 0;  // first step to compute: 0 for a fresh ring
  int every = 0;        // save after every `every`-th step and the last; 0: never
  std::function<void(int step)> save;
};

// Circulates row blocks around the ring and feeds every tile of this rank's
// assignments to `mode` (tiles of the grid of edge schedule.grain()). With speeds in `schedule` (measured shares), an
// even ring's middle step is shared as the work goes (shared_step.hpp). Blocks move right one rank per step; the block
// for step s+1 is in flight while step s is computed (double buffering), so no rank ever holds more than its own block
// and two visiting ones. Tiles go through `backend` (tile_backend.hpp; null: this core's CPU backend), which is handed
// each block as it arrives; a shared middle step (measured shares) is computed on the CPU.
// What both rings do after each tile, once the transport and the mode had
// their turn: push the block transfers on (`block_send`, `block_recv`, either
// null), stop when a signal asked to, and count the tile's `entries`.
void after_tile_of_ring(const RequestPtr& block_send, const RequestPtr& block_recv, ProgressReporter* progress,
                        std::int64_t entries);

template <class Scalar>
RingTimes run_ring(const RowMatrix<Scalar>& own, const RowPartition& partition, const RingSchedule& schedule,
                   Transport& transport, RingMode<Scalar>& mode, Millis timeout,
                   const RingCheckpoints& checkpoints = {}, ProgressReporter* progress = nullptr,
                   TileBackend<Scalar>* backend = nullptr);

}  // namespace ringsim
