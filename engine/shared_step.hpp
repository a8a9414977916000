#pragma once
// The middle step of an even ring, shared as the work goes (--balance
// measured). Ranks a < P/2 and b = a + P/2 both hold the pair of blocks
// (a, b) at step P/2; the schedule's split h of b's rows is only where they
// start: a takes chunks of b's rows from the front of [0, h), b from the
// back of [h, size_b). Whoever runs out first says so (DONE, with its rate
// in this step); the other answers with a part of what it has not started
// (GIVE), in proportion to the two rates, and goes on with the rest. Each
// side sends exactly one DONE and one GIVE and posts two receives for the
// partner's, before the mode posts its own, so the per-peer message order
// of every transport stays fixed. Every row pair is computed exactly once:
// a chunk leaves the range it was in before it is computed, and a GIVE only
// hands over rows not started. Chunks and GIVE bounds fall on the tile grid,
// so every tile is the same GEMM whoever computes it.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kernels/matrix.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/tile_backend.hpp"
#include "transport/transport.hpp"

namespace ringsim {

struct SharedStepTimes {
  double compute_seconds = 0;
  double wait_seconds = 0;
  std::int64_t entries = 0;
  std::int64_t rows_given = 0;     // of block b's rows, handed to the partner
  std::int64_t rows_received = 0;  // of block b's rows, taken over from the partner
};

// The two control receives, posted before the mode's start_step.
class SharedStep {
 public:
  // `assignment`: this rank's static middle-step assignment (schedule).
  SharedStep(Transport& transport, const RingSchedule& schedule, const RowPartition& partition,
             const TileAssignment& assignment, Millis timeout);

  // `tiles` holds the step's own and visiting blocks (uploaded).
  template <class Scalar>
  SharedStepTimes run(TileBackend<Scalar>& tiles, std::int64_t own_global0, std::int64_t visiting_global0,
                      TileConsumer<Scalar>& consumer, const std::function<void(std::int64_t)>& after_tile);

  // Whether the ring's middle step can be shared: an even ring, and the
  // chosen mode keeps no per-assignment state (full mode's bands do).
  static bool applies(const RingSchedule& schedule, int step, bool mode_allows) {
    return mode_allows && schedule.ranks() % 2 == 0 && step == schedule.ranks() / 2;
  }

  struct Control {
    std::int64_t kind = 0;  // kDone or kGive
    std::int64_t begin = 0, end = 0;
    std::int64_t rate = 0;  // DONE: entries per second in this step
  };

 private:
  void handle(const Control& message, double my_rate);
  void send(const Control& message);
  // The grid line nearest to local row `row` of block b, within [lo_, hi_].
  std::int64_t nearest_line(std::int64_t row) const;

  Transport& transport_;
  TileGrid grid_;      // the schedule's
  std::int64_t base_;  // global row of block b's local row 0
  Millis timeout_;
  int partner_;
  bool front_;            // a: takes rows from the front of its range; b: from the back
  std::int64_t lo_, hi_;  // rows of block b this rank has not started
  TileAssignment static_;
  Control inbox_[2];
  RequestPtr receives_[2];
  int next_receive_ = 0;
  std::vector<std::unique_ptr<Control>> outbox_;
  std::vector<RequestPtr> sends_;
  bool sent_done_ = false, got_give_ = false, got_done_ = false;
  SharedStepTimes times_;
};

}  // namespace ringsim
