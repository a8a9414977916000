#include "engine/query_job.hpp"

#include <cmath>

#include "common/log.hpp"
#include "engine/job_phases.hpp"
#include "engine/local_input.hpp"
#include "engine/output_budget.hpp"
#include "engine/output_claim.hpp"
#include "engine/query_input.hpp"
#include "engine/query_ring.hpp"
#include "engine/report.hpp"
#include "engine/row_scores.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

// Rank 0's warnings about the two inputs, and about an option a queries job
// does not use.
void warn_about_query_job(const RunOptions& options, const LocalInput& corpus, const QueryInput& queries) {
  warn_about_input(options, {&corpus.source, &queries.source}, corpus.partition.rows());
  if (!options.checkpoint_dir.empty())
    log::info("--queries: a queries job is one pass of the corpus and does not checkpoint; --checkpoint-dir unused");
}

// The phases of a queries job on this rank, in order: those of run_typed
// (job.cpp) without the rate probe's plan for the ring's middle step and
// without checkpoints, a queries job being one pass of the corpus; threshold
// mode's output estimated from sampled queries before the ring.
template <class Scalar>
void run_query_job(const RunOptions& options, const TransportOptions& transport_options, const Communicator& comm) {
  const double started = now_seconds();
  const int rank = comm.rank();
  RankReport report;
  const auto tiles = open_tile_backend<Scalar>(options, comm, report);
  const Millis timeout = peer_timeout(options);
  LocalInput corpus = timed_phase(report.seconds, TimedPhase::load, [&] { return open_input(options, comm); });
  const std::int64_t d = comm.allreduce_max(corpus.source.cols());
  QueryInput queries =
      timed_phase(report.seconds, TimedPhase::load, [&] { return open_queries(options, corpus, d, comm); });
  auto transport = connect_transport(transport_options, comm, report);
  OutputClaim output;
  RowMatrix<Scalar> own, own_queries;
  timed_phase(report.seconds, TimedPhase::load, [&] {
    run_agreed(comm, [&] {
      if (rank == 0) claim_output(options, corpus, output, &queries);
      own = load_own_rows<Scalar>(corpus, rank);
      own_queries = load_own_queries<Scalar>(queries, rank);
    });
  });
  report.rows = own.rows();
  if (own.rows() == 0) own.resize(0, d);
  if (own_queries.rows() == 0) own_queries.resize(0, d);
  // Exact re-scoring needs the rows as given; the backend normalises its
  // own copies (the threshold plan samples normalised rows).
  RowMatrix<Scalar> own_as_given, queries_as_given;
  if (tiles->rule_report()) own_as_given = own, queries_as_given = own_queries;
  const double corpus_bound = prepare_rows_for_score(own, options.score, comm, report.seconds);
  const double query_bound = prepare_rows_for_score(own_queries, options.score, comm, report.seconds);
  // Dot scores: |q . c| <= max |q| max |c| (Cauchy-Schwarz), so the bound a
  // received score must keep is the geometric mean of the two squared bounds.
  const double score_bound = options.score == Score::cosine ? corpus_bound : std::sqrt(corpus_bound * query_bound);
  if (rank == 0) warn_about_query_job(options, corpus, queries);
  if (options.mode == Mode::threshold)
    plan_threshold_output(own, corpus.partition, comm, options.threshold, options.max_output_bytes,
                          QueryRows<Scalar>{&own_queries, &queries.partition});
  if (tiles->rule_report()) own = std::move(own_as_given), own_queries = std::move(queries_as_given);
  timed_phase(report.seconds, TimedPhase::connect, [&] { run_agreed(comm, [&] { transport->await_ready(timeout); }); });

  ProgressChannel progress_channel(comm);
  ResultContext context{corpus.partition, rank, output.ids_or_null(), score_bound};
  context.progress_seconds = options.progress_seconds;
  context.query_partition = &queries.partition;
  context.query_ids = output.query_ids_or_null();
  auto handler = make_result_handler<Scalar>(mode_options(options), context);
  timed_phase(report.seconds, TimedPhase::ring, [&] {
    ProgressReporter progress(options.progress_seconds, rank, own_queries.rows() * corpus.partition.rows(), comm.size(),
                              d, &progress_channel, options.on_progress);
    const RingLink link{*transport, timeout, report.seconds};
    report.record_ring(run_query_ring(own_queries, queries.partition.begin(rank), own, corpus.partition, options.tile,
                                      link, *handler, &progress, tiles.get()));
    progress.ring_done();
    report.rule = tiles->rule_report();
  });
  StagedOutputs outputs =
      write_results(options, *handler, corpus.partition.rows(), comm, RootLink(*transport, timeout), report);
  report_and_publish(options, report, started, corpus, transport->stats(),
                     JobFacts{d, 0, comm.size(), &queries.partition}, comm, std::move(outputs), output);
}

template void run_query_job<float>(const RunOptions&, const TransportOptions&, const Communicator&);
template void run_query_job<double>(const RunOptions&, const TransportOptions&, const Communicator&);

}  // namespace ringsim
