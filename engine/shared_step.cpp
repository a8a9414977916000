#include "engine/shared_step.hpp"

#include <algorithm>
#include <cmath>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/fault_injection.hpp"

namespace ringsim {

namespace {

constexpr std::int64_t kDone = 1;
constexpr std::int64_t kGive = 2;

}  // namespace

SharedStep::SharedStep(Transport& transport, const RingSchedule& schedule, const RowPartition& partition,
                       const TileAssignment& assignment, Millis timeout)
    : transport_(transport), grid_{schedule.grain()}, timeout_(timeout), static_(assignment) {
  const int rank = transport.rank(), half = schedule.ranks() / 2;
  front_ = rank < half;
  partner_ = front_ ? rank + half : rank - half;
  base_ = partition.begin(front_ ? partner_ : rank);
  if (front_) {
    // a: all of its own rows against b's rows [0, h).
    lo_ = assignment.visiting_begin;
    hi_ = assignment.visiting_end;
  } else {
    // b: its own rows [h, size_b) against all of a's rows.
    lo_ = assignment.own_begin;
    hi_ = assignment.own_end;
  }
  RINGSIM_ENFORCE(partition.blocks() == schedule.ranks(), "partition and ring disagree");
  for (int i = 0; i < 2; ++i) receives_[i] = transport_.irecv(partner_, as_writable_bytes_of(&inbox_[i], 1));
}

void SharedStep::send(const Control& message) {
  outbox_.push_back(std::make_unique<Control>(message));
  sends_.push_back(transport_.isend(partner_, as_bytes_of(outbox_.back().get(), 1)));
}

std::int64_t SharedStep::nearest_line(std::int64_t row) const {
  return std::clamp(grid_.nearest_line(base_ + row) - base_, lo_, hi_);
}

void SharedStep::handle(const Control& message, double my_rate) {
  if (message.kind == kDone) {
    RINGSIM_ENFORCE(!got_done_, "the partner of the shared step said DONE twice");
    got_done_ = true;
    // Hand over the share of what is not started that lets both finish
    // together at the rates each had in this step.
    const std::int64_t left = std::max<std::int64_t>(hi_ - lo_, 0);
    const double theirs = static_cast<double>(message.rate);
    const double mine = my_rate > 0 ? my_rate : theirs;
    std::int64_t give = 0;
    if (left > 0) give = theirs > 0 ? static_cast<std::int64_t>(std::floor(left * theirs / (theirs + mine))) : left / 2;
    Control answer{kGive, 0, 0, 0};
    if (give > 0) {
      if (front_) {  // a works upwards: give the top
        answer.begin = nearest_line(hi_ - give);
        answer.end = hi_;
        hi_ = answer.begin;
      } else {  // b works downwards: give the bottom
        answer.begin = lo_;
        answer.end = nearest_line(lo_ + give);
        lo_ = answer.end;
      }
      give = answer.end - answer.begin;
    }
    times_.rows_given += give;
    send(answer);
  } else if (message.kind == kGive) {
    RINGSIM_ENFORCE(sent_done_ && !got_give_ && lo_ >= hi_, "a GIVE arrived that answers no DONE");
    got_give_ = true;
    lo_ = message.begin;
    hi_ = message.end;
    times_.rows_received += std::max<std::int64_t>(hi_ - lo_, 0);
  } else {
    throw IoError("rank " + std::to_string(partner_) + " sent an unknown shared-step message");
  }
}

template <class Scalar>
SharedStepTimes SharedStep::run(TileBackend<Scalar>& tiles, std::int64_t own_global0, std::int64_t visiting_global0,
                                TileConsumer<Scalar>& consumer, const std::function<void(std::int64_t)>& after_tile) {
  const auto my_rate = [this] {
    return times_.compute_seconds > 0 ? static_cast<double>(times_.entries) / times_.compute_seconds : 0.0;
  };
  // Between tiles: answer the partner as soon as it runs out.
  const auto poll = [&] {
    while (next_receive_ < 2 && receives_[next_receive_]->test()) handle(inbox_[next_receive_++], my_rate());
  };
  const std::function<void(std::int64_t)> tile_done = [&](std::int64_t entries) {
    if (after_tile) after_tile(entries);
    poll();
  };
  inject_fault_at("shared-step", transport_.rank());
  for (;;) {
    poll();
    if (lo_ < hi_) {
      TileAssignment piece = static_;
      // One grid tile's worth of block b's rows at a time.
      if (front_) {
        piece.visiting_begin = lo_;
        piece.visiting_end = std::min(grid_.line_after(base_ + lo_) - base_, hi_);
        lo_ = piece.visiting_end;
      } else {
        piece.own_end = hi_;
        piece.own_begin = std::max(grid_.line_at(base_ + hi_ - 1) - base_, lo_);
        hi_ = piece.own_begin;
      }
      ScopedTimer timer(times_.compute_seconds);
      times_.entries += compute_assignment(tiles, own_global0, visiting_global0, piece, grid_, consumer, tile_done);
      continue;
    }
    if (!sent_done_) {
      sent_done_ = true;
      send(Control{kDone, 0, 0, static_cast<std::int64_t>(std::llround(my_rate()))});
    }
    if (got_give_ && got_done_) break;
    // Out of work: the next message is the partner's GIVE or its DONE.
    ScopedTimer timer(times_.wait_seconds);
    receives_[next_receive_]->wait(timeout_);
    handle(inbox_[next_receive_++], my_rate());
  }
  {
    ScopedTimer timer(times_.wait_seconds);
    for (auto& sent : sends_) sent->wait(timeout_);
  }
  return times_;
}

template SharedStepTimes SharedStep::run<float>(TileBackend<float>&, std::int64_t, std::int64_t, TileConsumer<float>&,
                                                const std::function<void(std::int64_t)>&);
template SharedStepTimes SharedStep::run<double>(TileBackend<double>&, std::int64_t, std::int64_t,
                                                 TileConsumer<double>&, const std::function<void(std::int64_t)>&);

}  // namespace ringsim
