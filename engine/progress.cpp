#include "engine/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace {
// How often a rank tells rank 0 its count: often enough that a silent rank
// is a stalled one, rarely enough to cost nothing (a 24-byte message).
constexpr double kReportSeconds = 0.5;
// How often rank 0 calls on_progress when it prints no lines.
constexpr double kCallbackSeconds = 0.2;
// Rank 0 stops waiting for reports after this long without one.
constexpr double kSilentSeconds = 2.0;

std::string eta_text(double elapsed, double share) {
  return share > 0 ? fmt::format("{:.0f} s", elapsed * (1 - share) / share) : std::string("?");
}
}  // namespace

ProgressReporter::ProgressReporter(double interval, int rank, std::int64_t planned_entries, int steps,
                                   std::int64_t cols, ProgressChannel* channel, std::function<void(double)> on_progress)
    : printing_((interval > 0 || on_progress) && rank == 0),
      reporting_((interval > 0 || on_progress) && rank != 0 && channel),
      log_lines_(interval > 0),
      rank_(rank),
      steps_(steps),
      interval_(interval > 0 ? interval : kCallbackSeconds),
      started_(now_seconds()),
      last_print_(started_),
      last_report_(started_),
      planned_(std::max<std::int64_t>(planned_entries, 1)),
      flops_per_entry_(2.0 * static_cast<double>(cols)),
      channel_(channel),
      on_progress_(rank == 0 ? std::move(on_progress) : std::function<void(double)>()) {}

void ProgressReporter::tile_done(std::int64_t entries) {
  done_ += entries;
  if (!printing_ && !reporting_) return;
  const double now = now_seconds();
  if (reporting_ && now - last_report_ >= std::min(kReportSeconds, interval_ / 2)) {
    channel_->report(done_, planned_, false);
    last_report_ = now;
  }
  if (printing_ && now - last_print_ >= interval_) print(now);
}

void ProgressReporter::ring_done() {
  if (reporting_) channel_->report(done_, planned_, true);
  done_ = std::max(done_, planned_);  // its lines now count this rank done
  ring_done_ = true;
  if (!printing_ || !channel_) return;
  double last_heard = now_seconds();
  channel_->poll();
  while (!channel_->all_finished()) {
    throw_if_stopped();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double now = now_seconds();
    if (channel_->poll() > 0) last_heard = now;
    if (now - last_heard > kSilentSeconds) return;
    if (now - last_print_ >= interval_) print(now);
  }
  if (on_progress_) on_progress_(1.0);
}

void ProgressReporter::print(double now) {
  // The job's share: every rank's count (a rank not heard from yet is
  // taken to be where rank 0 is: the ring is balanced). Diagonal tiles
  // straddling the diagonal are computed whole, so a share can pass its
  // plan a little: it stops short of 100 % until the end.
  std::int64_t job_done = done_, job_planned = planned_;
  double slowest = std::min(0.999, static_cast<double>(done_) / static_cast<double>(planned_));
  int slowest_rank = rank_;
  const bool others = channel_ && channel_->ranks().size() > 1;
  if (others) {
    channel_->poll();
    const auto& ranks = channel_->ranks();
    for (std::size_t r = 1; r < ranks.size(); ++r) {
      const bool heard = ranks[r].planned > 0;
      const std::int64_t planned = heard ? ranks[r].planned : planned_;
      const std::int64_t done = ranks[r].finished ? planned : heard ? ranks[r].done : done_;
      const double share = std::min(0.999, static_cast<double>(done) / static_cast<double>(planned));
      job_done += done;
      job_planned += planned;
      if (share < slowest) slowest = share, slowest_rank = static_cast<int>(r);
    }
  }
  // A rank first heard from can be behind the guess above, so the job's
  // count could fall: the lines never go back (no negative rate).
  job_done = std::max(job_done, job_done_at_last_print_);
  const double share = std::min(0.999, static_cast<double>(job_done) / static_cast<double>(job_planned));
  const double elapsed = now - started_;
  const double rate = static_cast<double>(job_done - job_done_at_last_print_) * flops_per_entry_ /
                      std::max(1e-9, now - last_print_) / 1e9;
  // Once rank 0's own ring is done, its lines follow the ranks still at work.
  const std::string slowest_text = others ? fmt::format(" ({}slowest: rank {}, {:.1f} %)",
                                                        ring_done_ ? "rank 0 done; " : "", slowest_rank, slowest * 100)
                                          : "";
  if (log_lines_)
    log::info(fmt::format("{}: progress: step {}/{}, {:.1f} % of pairs, elapsed {:.0f} s, ETA {}, {:.1f} GFLOP/s{}",
                          where_this_rank_is(), step_ + 1, steps_, share * 100, elapsed,
                          eta_text(elapsed, std::min(share, slowest)), rate, slowest_text));
  if (on_progress_) on_progress_(share);
  last_print_ = now;
  job_done_at_last_print_ = job_done;
}

WriteProgress::WriteProgress(double interval, double total)
    : interval_(interval), total_(std::max(total, 1.0)), started_(now_seconds()), last_print_(started_) {}

void WriteProgress::done(double units, double bytes) {
  if (interval_ <= 0) return;
  const double now = now_seconds();
  if (now - last_print_ < interval_) return;
  const double share = std::min(0.999, units / total_);
  const double elapsed = now - started_;
  log::info(fmt::format("{}: progress: writing, {:.1f} % of the results, {:.1f} MB, elapsed {:.0f} s, ETA {}",
                        where_this_rank_is(), share * 100, bytes / 1e6, elapsed, eta_text(elapsed, share)));
  last_print_ = now;
}

}  // namespace ringsim
