#include "engine/ring_loop.hpp"

#include "common/clock.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

template <class Scalar>
RingTimes run_ring(const RowMatrix<Scalar>& own, const RowPartition& partition, Transport& transport,
                   RingMode<Scalar>& mode, const TileShape& shape, Millis timeout) {
  RingTimes times;
  const ModeContext waits{transport, partition, timeout, &times.wait_seconds};
  const RingSchedule schedule(transport.size());
  const int rank = transport.rank();
  const int last_step = schedule.steps() - 1;
  const std::int64_t own_global0 = partition.begin(rank);

  RowMatrix<Scalar> buffers[2];
  const RowMatrix<Scalar>* current = &own;
  RequestPtr block_send, block_recv;
  const auto between_tiles = [&transport] {
    transport.progress();
    throw_if_stopped();
  };

  for (int step = 0; step <= last_step; ++step) {
    if (step > 0) {
      timed_wait(waits, *block_recv);
      timed_wait(waits, *block_send);  // the buffer it read from is about to be reused
      current = &buffers[(step - 1) % 2];
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
    TileConsumer<Scalar>& consumer = mode.start_step(step, assignment);
    {
      ScopedTimer timer(times.compute_seconds);
      times.entries += compute_assignment(own, own_global0, *current, partition.begin(assignment.visiting_block),
                                          assignment, shape, consumer, between_tiles);
    }
    mode.end_step(step, assignment);
  }
  mode.finish();
  return times;
}

template RingTimes run_ring<float>(const RowMatrix<float>&, const RowPartition&, Transport&, RingMode<float>&,
                                   const TileShape&, Millis);
template RingTimes run_ring<double>(const RowMatrix<double>&, const RowPartition&, Transport&, RingMode<double>&,
                                    const TileShape&, Millis);

}  // namespace ringsim
