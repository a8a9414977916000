#pragma once
#include <cstdint>
#include <functional>

#include "engine/modes/result_handler.hpp"
#include "engine/progress.hpp"
#include "engine/ring_exchange.hpp"
#include "kernels/matrix.hpp"
#include "kernels/tile_backend.hpp"

namespace ringsim {

// The ring's counts (its times go to the link's PhaseTimer: compute, and
// communication_wait).
struct RingCounts {
  std::int64_t entries = 0;  // similarity entries computed
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

// What both rings do after each tile, once the transport and the handler
// had their turn: push the block transfers on (`block_send`, `block_recv`,
// either null), stop when a signal asked to, and count the tile's `entries`.
void after_tile_of_ring(const RequestPtr& block_send, const RequestPtr& block_recv, ProgressReporter* progress,
                        std::int64_t entries);

// Circulates row blocks around the ring and feeds every tile of this rank's
// assignments to `handler` (tiles of the grid of edge schedule.grain()),
// exchanging its partials (ring_exchange.hpp). With speeds in `schedule`
// (measured shares), an even ring's middle step is shared as the work goes
// (shared_step.hpp). Blocks move right one rank per step; the block for step
// s+1 is in flight while step s is computed (double buffering), so no rank
// ever holds more than its own block and two visiting ones. Tiles go through
// `backend` (tile_backend.hpp; null: this core's CPU backend), which is
// handed each block as it arrives; a shared middle step (measured shares) is
// computed on the CPU.
template <class Scalar>
RingCounts run_ring(const RowMatrix<Scalar>& own, const RowPartition& partition, const RingSchedule& schedule,
                    const RingLink& link, ResultHandler<Scalar>& handler, const RingCheckpoints& checkpoints = {},
                    ProgressReporter* progress = nullptr, TileBackend<Scalar>* backend = nullptr);

}  // namespace ringsim
