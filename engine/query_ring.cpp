#include "engine/query_ring.hpp"

#include "common/clock.hpp"
#include "common/errors.hpp"

namespace ringsim {

template <class Scalar>
RingCounts run_query_ring(const RowMatrix<Scalar>& queries, std::int64_t query_global0, const RowMatrix<Scalar>& corpus,
                          const RowPartition& corpus_partition, std::int64_t tile, const RingLink& link,
                          ResultHandler<Scalar>& handler, ProgressReporter* progress, TileBackend<Scalar>* backend) {
  // Nothing travels but the corpus: a rank's results are complete when its ring ends.
  RINGSIM_ENFORCE(!handler.partials(), "a queries job's results have no partials to exchange");
  RingCounts counts;
  Transport& transport = link.transport;
  CpuTileBackend<Scalar> cpu;
  TileBackend<Scalar>& tiles = backend ? *backend : cpu;
  tiles.upload_own(queries);
  const TileGrid grid{tile};
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
      link.wait(*block_recv);
      link.wait(*block_send);  // the buffer it read from is about to be reused
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
    TileConsumer<Scalar>& consumer = handler.begin(step, assignment);
    {
      auto scope = link.timer.measure(TimedPhase::compute);
      tiles.upload_visiting(*current);
      counts.entries += compute_assignment(tiles, query_global0, corpus_partition.begin(block), assignment, grid,
                                           consumer, after_tile);
    }
    handler.end(step, assignment);
  }
  return counts;
}

#define RINGSIM_INSTANTIATE(S)                                                                                       \
  template RingCounts run_query_ring<S>(const RowMatrix<S>&, std::int64_t, const RowMatrix<S>&, const RowPartition&, \
                                        std::int64_t, const RingLink&, ResultHandler<S>&, ProgressReporter*,         \
                                        TileBackend<S>*);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
