#pragma once
// One similarity job from input to output on this rank: load only this
// rank's rows, normalise, run the ring over the chosen transport, write the
// results on rank 0 and report timings.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/job_config.hpp"
#include "engine/in_memory_rows.hpp"
#include "engine/modes/mode_options.hpp"
#include "transport/communicator.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

// The job's settings (common/job_config.hpp: the options, their defaults
// and ranges) and what tests set beside them.
struct RunOptions : JobConfig {
  // Threshold mode: pairs per chunk rank 0 pulls from each rank while it
  // merges (tests make it small).
  std::int64_t gather_chunk_pairs = ModeOptions{}.gather_chunk_pairs;
  // Tests: the ranks' GEMM rates to share rows by, instead of measuring.
  std::vector<double> assumed_rank_gflops;
  // The first option the command line could not parse ("--k must be an
  // integer, got 'x'"): reported by the job, agreed, before anything else.
  std::string invalid_option;
  // The command line as given (argv), for report.json's provenance.
  std::vector<std::string> command_line;
  // Instead of --input: the whole matrix on every rank (replicated) or, with
  // sharded = true, this rank's own rows. Not owned; must outlive the job.
  const InMemoryRows* input_rows = nullptr;
  // Instead of --queries (replicated: every rank the whole query matrix).
  const InMemoryRows* query_rows = nullptr;
  // Rank 0, during the ring: the fraction of the work done (0..1). May be empty.
  std::function<void(double fraction_done)> on_progress;
};

// The transport's options from the job's: its settings, the connect
// timeout and the rank map's hosts. Built once, before MPI starts, so that
// TransportWarmUp can prepare them (app/cli.cpp).
TransportOptions transport_options(const RunOptions& options);

// Runs the job on every rank of `comm` (whose collectives it bounds by
// --timeout) over a transport made from `transport`. Throws AgreedFailure (with everyone_knows(), all ranks agree
// and may exit normally) or any other Error (this rank alone knows; the
// caller must abort the job).
void run_similarity_job(const RunOptions& options, const TransportOptions& transport, Communicator& comm);
// The same over transport_options(options), for callers with nothing to
// prepare ahead (tests).
void run_similarity_job(const RunOptions& options, Communicator& comm);

}  // namespace ringsim
