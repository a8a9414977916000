#pragma once
// Progress lines for long jobs: rank 0 prints, every `interval` seconds of
// the ring, the step, the share of its similarity entries done, elapsed
// time, an ETA and the current GFLOP/s. The ring is balanced (every rank
// computes the same number of entries, give or take a tile), so rank 0's
// share is the job's. The launcher passes rank 0's stderr through, so the
// lines also reach SageMaker's job log.
#include <cstdint>

#include "kernels/partition.hpp"
#include "kernels/ring_schedule.hpp"

namespace ringsim {

class ProgressReporter {
 public:
  // `interval` <= 0: silent. `rank`: only rank 0 prints.
  ProgressReporter(double interval, int rank, const RowPartition& partition, const RingSchedule& schedule,
                   std::int64_t cols);
  // A ring of `steps` steps in which this rank computes `planned_entries`.
  ProgressReporter(double interval, int rank, std::int64_t planned_entries, int steps, std::int64_t cols);
  void start_step(int step) { step_ = step; }
  // After each tile: `entries` similarity entries more.
  void tile_done(std::int64_t entries);
  // Entries this rank will compute in all (an estimate on diagonal blocks).
  std::int64_t planned_entries() const { return planned_; }

 private:
  void print(double now);
  bool on_ = false;
  int steps_ = 1, step_ = 0;
  double interval_, started_, last_print_;
  std::int64_t planned_ = 1, done_ = 0, done_at_last_print_ = 0;
  double flops_per_entry_;
};

}  // namespace ringsim
