#pragma once
// The report phase: every rank's figures gathered into report.json (and
// rows.json, which rows of which files each rank held), and the name=value
// metric lines rank 0 prints.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/local_input.hpp"
#include "engine/phase_timer.hpp"
#include "engine/ring_loop.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/tile_backend.hpp"
#include "transport/communicator.hpp"
#include "transport/transport.hpp"

namespace ringsim {

struct RunOptions;

// This rank's figures, filled in phase by phase.
struct RankReport {
  PhaseTimer seconds;  // each phase's, as the job measured them
  std::int64_t rows = 0, entries = 0;
  std::int64_t rows_given = 0, rows_taken = 0;  // shared middle step
  nlohmann::json device;                        // what computes the tiles (--device): the GPU's name and memory
  std::optional<TileRuleReport> rule;           // exact re-scoring's figures (precision, B, candidates)

  // The ring's counts (its times are in `seconds` already).
  void record_ring(const RingCounts& counts) {
    entries = counts.entries;
    rows_given = counts.rows_given;
    rows_taken = counts.rows_taken;
  }
};

// The job's figures that are the same on every rank.
struct JobFacts {
  std::int64_t cols = 0;
  int resumed_steps = 0;
  int ring_steps = 0;
  const RowPartition* queries = nullptr;  // a queries job's shares of the queries
};

// The report's files' contents and the metric lines: filled on rank 0,
// empty on the others.
struct JobReport {
  std::string rows_json;
  std::string report_json;
  std::string metric_lines;  // empty with --quiet
};

// Collective: every rank calls it.
JobReport gather_job_report(const RunOptions& options, const RankReport& report, const LocalInput& input,
                            const TransportStats& stats, const JobFacts& facts, const Communicator& comm);

// Rank 0: the metric lines on stdout, at once (SageMaker metric regexes
// read them).
void print_metric_lines(const JobReport& report);

}  // namespace ringsim
