#pragma once
// The output mode's settings (common/job_config.hpp) and its memory bounds.
#include <cstdint>
#include <limits>

#include "common/job_config.hpp"

namespace ringsim {

struct ModeOptions : ModeSettings {
  // Threshold mode: a rank holding more pairs than this fails (the output
  // would exceed --max-output-bytes anyway); keeps memory bounded.
  std::int64_t max_pairs_per_rank = std::numeric_limits<std::int64_t>::max();
  // Threshold mode: pairs per chunk rank 0 pulls from each rank while it
  // merges (its memory is one chunk per rank beside its own pairs).
  std::int64_t gather_chunk_pairs = 1 << 16;
};

}  // namespace ringsim
