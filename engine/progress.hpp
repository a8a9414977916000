#pragma once
// Progress lines for long jobs. During the ring, rank 0 prints every
// `interval` seconds the step, the share of the job's similarity entries
// done (all ranks': each reports its count to rank 0 over a
// ProgressChannel), the slowest rank's share, elapsed time, an ETA from the
// slowest rank and the job's GFLOP/s; when its own ring is done it goes on
// printing while the other ranks finish theirs. During the write, rank 0
// prints the share of the result rows written (WriteProgress). The launcher
// passes rank 0's stderr through, so the lines also reach SageMaker's job log.
#include <cstdint>
#include <functional>
#include <string>

#include "transport/progress_channel.hpp"

namespace ringsim {

class ProgressReporter {
 public:
  // `interval` <= 0: no lines. This rank computes `planned_entries` in a
  // ring of `steps` steps; `channel` carries the ranks' counts to rank 0
  // (null: rank 0's own share only). `on_progress` (may be empty; the same
  // on every rank): rank 0 calls it with the job's share done (0..1) as it
  // would print a line (every `interval`, else every 0.2 s) and with 1 at
  // the end. Ranks report to rank 0 when it prints or calls.
  ProgressReporter(double interval, int rank, std::int64_t planned_entries, int steps, std::int64_t cols,
                   ProgressChannel* channel, std::function<void(double)> on_progress = {});
  void start_step(int step) { step_ = step; }
  // After each tile: `entries` similarity entries more.
  void tile_done(std::int64_t entries);
  // This rank's ring is done: it says so to rank 0; rank 0 keeps printing
  // while the others finish, as long as they keep reporting (a rank silent
  // for 2 s is left to the write phase's waits and their bounds).
  void ring_done();

 private:
  void print(double now);
  bool printing_, reporting_, log_lines_, ring_done_ = false;
  int rank_, steps_, step_ = 0;
  double interval_, started_, last_print_, last_report_;
  std::int64_t planned_, done_ = 0, job_done_at_last_print_ = 0;
  double flops_per_entry_;
  ProgressChannel* channel_;
  std::function<void(double)> on_progress_;
};

// Rank 0's lines while it writes the results: the share of `total` units
// (result rows, or pairs) written, the bytes, elapsed time and an ETA.
class WriteProgress {
 public:
  WriteProgress(double interval, double total);
  void done(double units, double bytes);

 private:
  double interval_, total_, started_, last_print_;
};

}  // namespace ringsim
