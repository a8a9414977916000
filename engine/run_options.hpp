#pragma once
// What one job runs with (job.hpp): apart from the job, so that its steps
// (input, output claim, resume, report, provenance) include the options and
// not the job, its modes and its transport.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/job_config.hpp"
#include "engine/io/in_memory_rows.hpp"

namespace ringsim {

// The job's settings (common/job_config.hpp: the options, their defaults
// and ranges) and what tests set beside them.
struct RunOptions : JobConfig {
  // Threshold mode: pairs per chunk rank 0 pulls from each rank while it
  // merges (tests make it small); 0: the mode's own (ModeOptions).
  std::int64_t gather_chunk_pairs = 0;
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

}  // namespace ringsim
