#include "engine/job.hpp"

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/failure_file.hpp"
#include "common/host.hpp"
#include "common/phase.hpp"
#include "common/rank_map.hpp"
#include "common/stop_signal.hpp"
#include "engine/job_phases.hpp"
#include "engine/local_input.hpp"
#include "engine/output_budget.hpp"
#include "engine/output_claim.hpp"
#include "engine/placement.hpp"
#include "engine/query_job.hpp"
#include "engine/report.hpp"
#include "engine/resume.hpp"
#include "engine/ring_loop.hpp"
#include "engine/row_scores.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

namespace {

void validate(const RunOptions& options) {
  if (!options.invalid_option.empty()) throw InputError(options.invalid_option);
  check_job_config(options);
}

// The job's phases on this rank, in order (docs/architecture.md).
template <class Scalar>
void run_typed(const RunOptions& options, const TransportOptions& transport_options, const Communicator& comm) {
  const double started = now_seconds();
  RankReport report;
  const int rank = comm.rank();
  const Millis timeout = peer_timeout(options);
  const auto tiles = open_tile_backend<Scalar>(options, comm, report);
  LocalInput input = timed_phase(report.seconds, TimedPhase::load, [&] { return open_input(options, comm); });
  auto transport = connect_transport(transport_options, comm, report);
  OutputClaim output;
  RowMatrix<Scalar> own = timed_phase(report.seconds, TimedPhase::load, [&] {
    RowMatrix<Scalar> rows;
    run_agreed(comm, [&] {
      if (rank == 0) claim_output(options, input, output);
      rows = load_own_rows<Scalar>(input, rank);
    });
    return rows;
  });
  report.rows = own.rows();
  // A rank with no rows (P > n, or an empty shard) still needs the width.
  const std::int64_t d = comm.allreduce_max(input.source.cols());
  if (own.rows() == 0) own.resize(0, d);
  // Exact re-scoring needs the rows as given; the backend normalises its
  // own copies (the threshold plan samples normalised rows).
  RowMatrix<Scalar> as_given;
  if (tiles->rule_report()) as_given = own;
  const double score_bound = prepare_rows_for_score(own, options.score, comm, report.seconds);
  if (rank == 0) warn_about_input(options, {&input.source}, input.partition.rows() - 1);
  if (options.mode == Mode::threshold)
    plan_threshold_output(own, input.partition, comm, options.threshold, options.max_output_bytes);
  if (tiles->rule_report()) own = std::move(as_given);
  timed_phase(report.seconds, TimedPhase::connect, [&] { run_agreed(comm, [&] { transport->await_ready(timeout); }); });

  ProgressChannel progress_channel(comm);
  ResultContext context{input.partition, rank, output.ids_or_null(), score_bound};
  context.progress_seconds = options.progress_seconds;
  auto handler = make_result_handler<Scalar>(mode_options(options), context);
  JobCheckpoints<Scalar> checkpoints(options, input.partition, own, comm, *handler, report.seconds);
  const RingSchedule schedule(comm.size(), input.rank_gflops, options.tile);
  timed_phase(report.seconds, TimedPhase::ring, [&] {
    ProgressReporter progress(options.progress_seconds, rank, schedule.planned_entries(rank, input.partition),
                              schedule.steps(), d, &progress_channel, options.on_progress);
    const RingLink link{*transport, timeout, report.seconds};
    report.record_ring(
        run_ring(own, input.partition, schedule, link, *handler, checkpoints.ring(), &progress, tiles.get()));
    progress.ring_done();
    report.rule = tiles->rule_report();
  });
  StagedOutputs outputs =
      write_results(options, *handler, input.partition.rows(), comm, RootLink(*transport, timeout), report);
  report_and_publish(options, report, started, input, transport->stats(),
                     JobFacts{d, checkpoints.resume_step(), schedule.steps()}, comm, std::move(outputs), output);
  checkpoints.remove_after_publish();
}

}  // namespace

TransportOptions transport_options(const RunOptions& options) {
  TransportOptions transport;
  static_cast<TransportSettings&>(transport) = options;  // the job's transport settings, whole
  transport.connect_timeout_seconds = options.timeout;
  if (!options.hosts.empty()) {
    try {
      const RankMap map(options.hosts, options.processes_per_host);
      for (int r = 0; r < map.ranks(); ++r) transport.rank_hosts.push_back(map.host_of(r));
    } catch (const Error&) {
      // A bad map is reported, agreed, by apply_rank_map.
    }
  }
  return transport;
}

void run_similarity_job(const RunOptions& requested, const TransportOptions& transport, Communicator& comm) {
  RunOptions options = requested;
  // Rows in memory stand where the paths would: messages, checks and the
  // choice of a queries job read the paths.
  if (options.input_rows && options.input.empty()) options.input = "<in-memory rows>";
  if (options.query_rows && options.queries.empty()) options.queries = "<in-memory queries>";
  try {
    run_agreed(comm, [&] { validate(options); });
    comm.set_timeout(Millis(static_cast<std::int64_t>(options.timeout * 1000)));
    apply_rank_map(options, comm);
    // Names for messages: each rank's host, once placed.
    comm.set_hosts(comm.allgather(identity_host()));
    set_rank_identity(comm.rank(), identity_host());
    const bool queries = !options.queries.empty();
    if (options.dtype == Dtype::float64)
      queries ? run_query_job<double>(options, transport, comm) : run_typed<double>(options, transport, comm);
    else
      queries ? run_query_job<float>(options, transport, comm) : run_typed<float>(options, transport, comm);
  } catch (const std::exception& e) {
    if (!options.failure_file.empty()) {
      const bool agreed = dynamic_cast<const AgreedFailure*>(&e) != nullptr;
      write_failure_file(options.failure_file, "ringsim failed: " + (agreed ? std::string(e.what())
                                                                            : where_this_rank_is() + ": " + e.what()));
    }
    throw;
  }
}

void run_similarity_job(const RunOptions& options, Communicator& comm) {
  run_similarity_job(options, transport_options(options), comm);
}

}  // namespace ringsim
