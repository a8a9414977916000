#pragma once
// Rank 0 writes the results: before any work it makes --out, holds its lock
// for the whole job, reads the rows' names (--ids, or a CSV's index column)
// and checks that a top-k or full output fits --max-output-bytes.
#include <optional>

#include "common/output_lock.hpp"
#include "engine/local_input.hpp"
#include "engine/row_ids.hpp"

namespace ringsim {

struct RunOptions;

struct OutputClaim {
  std::optional<OutputDirectoryLock> lock;
  std::optional<RowIds> ids;
  const RowIds* ids_or_null() const { return ids ? &*ids : nullptr; }
};

// Rank 0 only, into `claim` (the lock cannot move). Throws InputError (or
// IoError) naming what is wrong.
void claim_output(const RunOptions& options, const LocalInput& input, OutputClaim& claim);

}  // namespace ringsim
