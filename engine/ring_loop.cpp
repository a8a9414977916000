#include "engine/ring_loop.hpp"

#include <optional>

#include "common/clock.hpp"
#include "common/stop_signal.hpp"
#include "engine/shared_step.hpp"

namespace ringsim {

void after_tile_of_ring(const RequestPtr& block_send, const RequestPtr& block_recv, ProgressReporter* progress,
                        std::int64_t entries) {
  // Testing the block transfers themselves moves them on: Open MPI's
  // shared-memory path without single-copy (containers) pushes a large
  // message a little per test of its own request, so a block left alone
  // while its owner computes reaches the next rank late, and a faster
  // neighbour idles. Up to 100 us of tests per tile keeps it moving.
  const double until = now_seconds() + 100e-6;
  while ((block_send && !block_send->test()) || (block_recv && !block_recv->test()))
    if (now_seconds() > until) break;
  throw_if_stopped();
  if (progress) progress->tile_done(entries);
}

namespace {

// One rank's ring: the blocks it holds and passes on, step by step.
template <class Scalar>
class Ring {
 public:
  Ring(const RowMatrix<Scalar>& own, const RowPartition& partition, const RingSchedule& schedule, const RingLink& link,
       ResultHandler<Scalar>& handler, ProgressReporter* progress, TileBackend<Scalar>* backend)
      : own_(own),
        partition_(partition),
        schedule_(schedule),
        link_(link),
        handler_(handler),
        exchange_(link, schedule, partition, handler),
        progress_(progress),
        tiles_(backend ? *backend : cpu_),
        rank_(link.transport.rank()),
        last_step_(schedule.steps() - 1) {
    tiles_.upload_own(own);
  }

  RingCounts run(const RingCheckpoints& checkpoints) {
    const int first_step = checkpoints.resume_step;
    if (first_step > 0 && first_step <= last_step_) start_resumed(first_step);
    for (int step = first_step; step <= last_step_; ++step) {
      if (step > 0) take_arrived_block(step, first_step);
      if (step < last_step_) pass_block_on(step);
      compute_step(step);
      if (checkpoints.every > 0 && ((step + 1) % checkpoints.every == 0 || step == last_step_)) {
        // Settle this step's exchanges so the saved state is complete; the
        // next block has arrived by then, so the ring goes on from here.
        if (step < last_step_) {
          link_.wait(*block_recv_);
          link_.wait(*block_send_);
        }
        exchange_.settle();
        checkpoints.save(step);
      }
    }
    exchange_.finish();
    return counts_;
  }

 private:
  // Resuming: the block for the first step comes straight from its owner
  // (the left neighbour's pass-on was lost with the interrupted run), and
  // our block goes to the rank that holds it at that step.
  void start_resumed(int first_step) {
    const int block = schedule_.visiting_block(rank_, first_step);
    RowMatrix<Scalar>& incoming = buffers_[(first_step - 1) % 2];
    incoming.resize(partition_.size(block), own_.cols());
    block_recv_ =
        link_.transport.irecv(block, as_writable_bytes_of(incoming.data(), static_cast<std::size_t>(incoming.size())));
    block_send_ = link_.transport.isend((rank_ + first_step) % schedule_.ranks(),
                                        as_bytes_of(own_.data(), static_cast<std::size_t>(own_.size())));
  }

  void take_arrived_block(int step, int first_step) {
    link_.wait(*block_recv_);
    link_.wait(*block_send_);  // the buffer it read from is about to be reused
    current_ = &buffers_[(step - 1) % 2];
    if (step == first_step)
      exchange_.resume_at(step);
    else
      exchange_.block_arrived(step);
  }

  // Pass on what we hold now; the left neighbour's block arrives for the next step.
  void pass_block_on(int step) {
    RowMatrix<Scalar>& incoming = buffers_[step % 2];
    incoming.resize(partition_.size(schedule_.visiting_block(rank_, step + 1)), own_.cols());
    block_recv_ = link_.transport.irecv(
        schedule_.left(rank_), as_writable_bytes_of(incoming.data(), static_cast<std::size_t>(incoming.size())));
    block_send_ = link_.transport.isend(schedule_.right(rank_),
                                        as_bytes_of(current_->data(), static_cast<std::size_t>(current_->size())));
  }

  void compute_step(int step) {
    const TileAssignment assignment = schedule_.assignment(rank_, step, partition_);
    if (progress_) progress_->start_step(step);
    const auto after_tile = [this](std::int64_t entries) {
      link_.transport.progress();
      exchange_.between_tiles();
      after_tile_of_ring(block_send_, block_recv_, progress_, entries);
    };
    // The shared step's receives go before any the exchange posts: every
    // transport matches a peer's messages in the order receives were posted.
    std::optional<SharedStep> shared;
    if (!schedule_.speeds().empty() && SharedStep::applies(schedule_, step, handler_.shares_rows()))
      shared.emplace(link_.transport, schedule_, partition_, assignment, link_.timeout);
    TileConsumer<Scalar>& consumer = exchange_.begin(step, assignment);
    const std::int64_t own_global0 = partition_.begin(rank_);
    const std::int64_t visiting_global0 = partition_.begin(assignment.visiting_block);
    {
      auto scope = link_.timer.measure(TimedPhase::compute);
      tiles_.upload_visiting(*current_);
    }
    if (shared) {
      const SharedStepTimes times = shared->run(tiles_, own_global0, visiting_global0, consumer, after_tile);
      link_.timer.add(TimedPhase::compute, times.compute_seconds);
      link_.timer.add(TimedPhase::communication_wait, times.wait_seconds);
      counts_.entries += times.entries;
      counts_.rows_given += times.rows_given;
      counts_.rows_taken += times.rows_received;
    } else {
      auto scope = link_.timer.measure(TimedPhase::compute);
      counts_.entries += compute_assignment(tiles_, own_global0, visiting_global0, assignment,
                                            TileGrid{schedule_.grain()}, consumer, after_tile);
    }
    exchange_.end(step, assignment);
  }

  const RowMatrix<Scalar>& own_;
  const RowPartition& partition_;
  const RingSchedule& schedule_;
  RingLink link_;
  ResultHandler<Scalar>& handler_;
  RingExchange<Scalar> exchange_;
  ProgressReporter* progress_;
  CpuTileBackend<Scalar> cpu_;
  TileBackend<Scalar>& tiles_;
  int rank_, last_step_;
  RowMatrix<Scalar> buffers_[2];
  const RowMatrix<Scalar>* current_ = &own_;
  RequestPtr block_send_, block_recv_;
  RingCounts counts_;
};

}  // namespace

template <class Scalar>
RingCounts run_ring(const RowMatrix<Scalar>& own, const RowPartition& partition, const RingSchedule& schedule,
                    const RingLink& link, ResultHandler<Scalar>& handler, const RingCheckpoints& checkpoints,
                    ProgressReporter* progress, TileBackend<Scalar>* backend) {
  return Ring<Scalar>(own, partition, schedule, link, handler, progress, backend).run(checkpoints);
}

#define RINGSIM_INSTANTIATE(S)                                                                                    \
  template RingCounts run_ring<S>(const RowMatrix<S>&, const RowPartition&, const RingSchedule&, const RingLink&, \
                                  ResultHandler<S>&, const RingCheckpoints&, ProgressReporter*, TileBackend<S>*);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
