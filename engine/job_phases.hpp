#pragma once
// What the all-pairs job (job.cpp) and the queries job (query_job.cpp)
// share in walking through their phases.
#include <memory>

#include "common/clock.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"
#include "engine/job.hpp"
#include "engine/modes/result_handler.hpp"
#include "engine/output_budget.hpp"
#include "engine/output_claim.hpp"
#include "engine/publish.hpp"
#include "engine/report.hpp"
#include "engine/tile_device.hpp"
#include "transport/agreement.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

// Runs `work` as `phase` (error lines name it), adding its time to the timer's.
template <class Work>
auto timed_phase(PhaseTimer& timer, TimedPhase phase, Work work) {
  PhaseScope scope(name_of(phase));
  auto measured = timer.measure(phase);
  return work();
}

// How long any wait for a peer may last (--timeout).
inline Millis peer_timeout(const RunOptions& options) {
  return Millis(static_cast<std::int64_t>(options.timeout * 1000));
}

// The device phase: where tiles are computed (--device), opened before any
// work, so that a rank without its GPU fails the job at once.
template <class Scalar>
std::unique_ptr<TileBackend<Scalar>> open_tile_backend(const RunOptions& options, const Communicator& comm,
                                                       RankReport& report) {
  PhaseScope phase("device");
  std::unique_ptr<TileBackend<Scalar>> tiles;
  run_agreed(comm, [&] {
    tiles = make_tile_backend<Scalar>(options.device, options.tile, tile_rule(options), report.device);
  });
  return tiles;
}

// The connect phase's first half: connections are made now; TLS handshakes
// go on in the background while the rows load, and are collected (agreed)
// before the ring.
inline std::unique_ptr<Transport> connect_transport(const TransportOptions& transport_options, const Communicator& comm,
                                                    RankReport& report) {
  return timed_phase(report.seconds, TimedPhase::connect, [&] {
    auto made = make_transport(transport_options, comm);
    throw_if_stopped();  // the mpi transport's set-up makes no call that would notice
    return made;
  });
}

// The write phase: in threshold mode the output's real size agreed first
// (`n`: the input's rows), then the handler's results shipped to rank 0
// and staged there.
template <class Scalar>
StagedOutputs write_results(const RunOptions& options, ResultHandler<Scalar>& handler, std::int64_t n,
                            const Communicator& comm, RootLink link, RankReport& report) {
  return timed_phase(report.seconds, TimedPhase::write, [&] {
    if (options.mode == Mode::threshold)
      check_threshold_output({handler.output_bytes_here(), handler.over_pair_cap()}, comm, options.threshold, n,
                             options.max_output_bytes);
    if (comm.rank() != 0) {
      handler.ship(link);
      return StagedOutputs{};
    }
    return handler.write(link, options.out);
  });
}

// The report and publish phases: every rank's figures gathered, then rank 0
// renames the staged results, the id tables and report.json into --out.
inline void report_and_publish(const RunOptions& options, RankReport& report, double started, const LocalInput& input,
                               const TransportStats& stats, const JobFacts& facts, const Communicator& comm,
                               StagedOutputs outputs, const OutputClaim& output) {
  PhaseScope report_phase("report");
  report.seconds.add(TimedPhase::total, now_seconds() - started);
  const JobReport job_report = gather_job_report(options, report, input, stats, facts, comm);
  if (comm.rank() != 0) return;
  publish_results(options.out, std::move(outputs), job_report, output.ids_or_null(), output.query_ids_or_null());
  print_metric_lines(job_report);
}

// The mode's settings and its memory bounds.
inline ModeOptions mode_options(const RunOptions& options) {
  ModeOptions mode{{options}, max_pairs_per_rank(options.max_output_bytes)};
  if (options.gather_chunk_pairs > 0) mode.gather_chunk_pairs = options.gather_chunk_pairs;
  return mode;
}

}  // namespace ringsim
