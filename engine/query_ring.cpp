#include "engine/query_ring.hpp"

#include "common/clock.hpp"

namespace ringsim {

template <class Scalar>
RingTimes run_query_ring(const RowMatrix<Scalar>& queries, std::int64_t query_global0, const RowMatrix<Scalar>& corpus,
                         const RowPartition& corpus_partition, std::int64_t tile, Transport& transport,
                         RingMode<Scalar>& mode, Millis timeout, ProgressReporter* progress,
                         TileBackend<Scalar>* backend) {
  RingTimes times;
  CpuTileBackend<Scalar> cpu;
  TileBackend<Scalar>& tiles = backend ? *backend : cpu;
  tiles.upload_own(queries);
  const TileGrid grid{tile};
  const ModeContext waits{transport, corpus_partition, timeout, &times.wait_seconds};
  const int rank = transport.rank();
  const int ranks = transport.size();
  const auto block_at = [&](int step) { return ((rank - step) % ranks + ranks) % ranks; };

  RowMatrix<Scalar> buffers[2];
  const RowMatrix<Scalar>* current = &corpus;
  RequestPtr block_send, block_recv;
  const auto after_tile = [&](std::int64_t entries) {
    transport.progress();
    after_tile_of_ring(block_send, block_recv, progress, entries);
  };
  for (int step = 0; step < ranks; ++step) {
    if (step > 0) {
      timed_wait(waits, *block_recv);
      timed_wait(waits, *block_send);  // the buffer it read from is about to be reused
      current = &buffers[(step - 1) % 2];
    }
    if (step < ranks - 1) {
      RowMatrix<Scalar>& incoming = buffers[step % 2];
      incoming.resize(corpus_partition.size(block_at(step + 1)), corpus.cols());
      block_recv = transport.irecv((rank + ranks - 1) % ranks,
                                   as_writable_bytes_of(incoming.data(), static_cast<std::size_t>(incoming.size())));
      block_send =
          transport.isend((rank + 1) % ranks, as_bytes_of(current->data(), static_cast<std::size_t>(current->size())));
    }
    const int block = block_at(step);
    TileAssignment assignment;
    assignment.own_block = rank;
    assignment.visiting_block = block;
    assignment.own_end = queries.rows();
    assignment.visiting_end = current->rows();
    assignment.across = true;
    if (progress) progress->start_step(step);
    TileConsumer<Scalar>& consumer = mode.start_step(step, assignment);
    {
      ScopedTimer timer(times.compute_seconds);
      tiles.upload_visiting(*current);
      times.entries += compute_assignment(tiles, query_global0, corpus_partition.begin(block), assignment, grid,
                                          consumer, after_tile);
    }
    mode.end_step(step, assignment);
  }
  mode.finish();
  return times;
}

#define RINGSIM_INSTANTIATE(S)                                                                                      \
  template RingTimes run_query_ring<S>(const RowMatrix<S>&, std::int64_t, const RowMatrix<S>&, const RowPartition&, \
                                       std::int64_t, Transport&, RingMode<S>&, Millis, ProgressReporter*,           \
                                       TileBackend<S>*);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
