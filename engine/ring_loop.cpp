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

template <class Scalar>
RingTimes run_ring(const RowMatrix<Scalar>& own, const RowPartition& partition, const RingSchedule& schedule,
                   Transport& transport, RingMode<Scalar>& mode, Millis timeout, const RingCheckpoints& checkpoints,
                   ProgressReporter* progress, TileBackend<Scalar>* backend) {
  RingTimes times;
  CpuTileBackend<Scalar> cpu;
  TileBackend<Scalar>& tiles = backend ? *backend : cpu;
  tiles.upload_own(own);
  const TileGrid grid{schedule.grain()};
  const ModeContext waits{transport, partition, timeout, &times.wait_seconds};
  const int rank = transport.rank();
  const int last_step = schedule.steps() - 1;
  const std::int64_t own_global0 = partition.begin(rank);

  RowMatrix<Scalar> buffers[2];
  const RowMatrix<Scalar>* current = &own;
  RequestPtr block_send, block_recv;
  const auto after_tile = [&transport, &mode, &block_send, &block_recv, progress](std::int64_t entries) {
    transport.progress();
    mode.between_tiles();
    after_tile_of_ring(block_send, block_recv, progress, entries);
  };

  const int first_step = checkpoints.resume_step;
  if (first_step > 0 && first_step <= last_step) {
    // Resuming: the block for the first step comes straight from its owner
    // (the left neighbour's pass-on was lost with the interrupted run), and
    // our block goes to the rank that holds it at that step.
    const int block = schedule.visiting_block(rank, first_step);
    RowMatrix<Scalar>& incoming = buffers[(first_step - 1) % 2];
    incoming.resize(partition.size(block), own.cols());
    block_recv =
        transport.irecv(block, as_writable_bytes_of(incoming.data(), static_cast<std::size_t>(incoming.size())));
    block_send = transport.isend((rank + first_step) % schedule.ranks(),
                                 as_bytes_of(own.data(), static_cast<std::size_t>(own.size())));
  }
  for (int step = first_step; step <= last_step; ++step) {
    if (step > 0) {
      timed_wait(waits, *block_recv);
      timed_wait(waits, *block_send);  // the buffer it read from is about to be reused
      current = &buffers[(step - 1) % 2];
      if (step == first_step)
        mode.resume_at(step);
      else
        mode.on_block_received(step);
    }
    if (step < last_step) {
      // Pass on what we hold now; the left neighbour's block arrives for the next step.
      RowMatrix<Scalar>& incoming = buffers[step % 2];
      incoming.resize(partition.size(schedule.visiting_block(rank, step + 1)), own.cols());
      block_recv = transport.irecv(schedule.left(rank),
                                   as_writable_bytes_of(incoming.data(), static_cast<std::size_t>(incoming.size())));
      block_send = transport.isend(schedule.right(rank),
                                   as_bytes_of(current->data(), static_cast<std::size_t>(current->size())));
    }
    const TileAssignment assignment = schedule.assignment(rank, step, partition);
    if (progress) progress->start_step(step);
    // The shared step's receives go before any the mode posts: every
    // transport matches a peer's messages in the order receives were posted.
    std::optional<SharedStep> shared;
    if (!schedule.speeds().empty() && SharedStep::applies(schedule, step, mode.shares_rows()))
      shared.emplace(transport, schedule, partition, assignment, timeout);
    TileConsumer<Scalar>& consumer = mode.start_step(step, assignment);
    const std::int64_t visiting_global0 = partition.begin(assignment.visiting_block);
    {
      ScopedTimer timer(times.compute_seconds);
      tiles.upload_visiting(*current);
    }
    if (shared) {
      const SharedStepTimes shared_times = shared->run(tiles, own_global0, visiting_global0, consumer, after_tile);
      times.compute_seconds += shared_times.compute_seconds;
      times.wait_seconds += shared_times.wait_seconds;
      times.entries += shared_times.entries;
      times.rows_given += shared_times.rows_given;
      times.rows_taken += shared_times.rows_received;
    } else {
      ScopedTimer timer(times.compute_seconds);
      times.entries += compute_assignment(tiles, own_global0, visiting_global0, assignment, grid, consumer, after_tile);
    }
    mode.end_step(step, assignment);
    if (checkpoints.every > 0 && ((step + 1) % checkpoints.every == 0 || step == last_step)) {
      // Settle this step's exchanges so the saved state is complete; the
      // next block has arrived by then, so the ring goes on from here.
      if (step < last_step) {
        timed_wait(waits, *block_recv);
        timed_wait(waits, *block_send);
      }
      mode.settle();
      checkpoints.save(step);
    }
  }
  mode.finish();
  return times;
}

template RingTimes run_ring<float>(const RowMatrix<float>&, const RowPartition&, const RingSchedule&, Transport&,
                                   RingMode<float>&, Millis, const RingCheckpoints&, ProgressReporter*,
                                   TileBackend<float>*);
template RingTimes run_ring<double>(const RowMatrix<double>&, const RowPartition&, const RingSchedule&, Transport&,
                                    RingMode<double>&, Millis, const RingCheckpoints&, ProgressReporter*,
                                    TileBackend<double>*);

}  // namespace ringsim
