#pragma once
// What the all-pairs job (job.cpp) and the queries job (query_job.cpp)
// share in walking through their phases.
#include "common/clock.hpp"
#include "common/phase.hpp"
#include "engine/job.hpp"
#include "engine/ring_mode.hpp"

namespace ringsim {

// Runs `work` as phase `name` (error lines name it), adding its time to `seconds`.
template <class Work>
auto timed_phase(const char* name, double& seconds, Work work) {
  PhaseScope phase(name);
  ScopedTimer timer(seconds);
  return work();
}

// The mode's settings and its memory bounds. No pairs.csv line is shorter
// than 6 bytes ("0,1,1\n"): a rank holding more pairs than that allows is
// over the limit whatever the others hold.
inline ModeOptions mode_options(const RunOptions& options) {
  return ModeOptions{{options}, options.max_output_bytes / 6, options.gather_chunk_pairs};
}

}  // namespace ringsim
