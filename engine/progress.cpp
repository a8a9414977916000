#include "engine/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/phase.hpp"

namespace ringsim {

ProgressReporter::ProgressReporter(double interval, int rank, const RowPartition& partition,
                                   const RingSchedule& schedule, std::int64_t cols)
    : ProgressReporter(interval, rank, schedule.planned_entries(rank, partition), schedule.steps(), cols) {}

ProgressReporter::ProgressReporter(double interval, int rank, std::int64_t planned_entries, int steps,
                                   std::int64_t cols)
    : on_(interval > 0 && rank == 0),
      steps_(steps),
      interval_(interval),
      started_(now_seconds()),
      last_print_(started_),
      planned_(std::max<std::int64_t>(planned_entries, 1)),
      flops_per_entry_(2.0 * static_cast<double>(cols)) {}

void ProgressReporter::tile_done(std::int64_t entries) {
  done_ += entries;
  if (!on_) return;
  const double now = now_seconds();
  if (now - last_print_ >= interval_) print(now);
}

void ProgressReporter::print(double now) {
  // Diagonal tiles straddling the diagonal are computed whole: the share
  // can pass the plan a little, so it stops short of 100 % until the end.
  const double share = std::min(0.999, static_cast<double>(done_) / static_cast<double>(planned_));
  const double elapsed = now - started_;
  const double rate =
      static_cast<double>(done_ - done_at_last_print_) * flops_per_entry_ / std::max(1e-9, now - last_print_) / 1e9;
  const std::string eta = share > 0 ? fmt::format("{:.0f} s", elapsed * (1 - share) / share) : std::string("?");
  log::info(fmt::format("{}: progress: step {}/{}, {:.1f} % of pairs, elapsed {:.0f} s, ETA {}, {:.1f} GFLOP/s",
                        where_this_rank_is(), step_ + 1, steps_, share * 100, elapsed, eta, rate));
  last_print_ = now;
  done_at_last_print_ = done_;
}

}  // namespace ringsim
