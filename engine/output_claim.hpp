#pragma once
// Rank 0 writes the results: before any work it makes --out, holds its lock
// for the whole job, reads the rows' names (--ids, or a CSV's index column)
// and checks that a top-k or full output fits --max-output-bytes.
#include <optional>

#include "common/output_lock.hpp"
#include "engine/local_input.hpp"
#include "engine/query_input.hpp"
#include "engine/row_ids.hpp"

namespace ringsim {

struct RunOptions;

struct OutputClaim {
  std::optional<OutputDirectoryLock> lock;
  std::optional<RowIds> ids;
  std::optional<RowIds> query_ids;  // --query-ids, or the queries CSV's index column
  const RowIds* ids_or_null() const { return ids ? &*ids : nullptr; }
  const RowIds* query_ids_or_null() const { return query_ids ? &*query_ids : nullptr; }
};

// Rank 0 only, into `claim` (the lock cannot move). Throws InputError (or
// IoError) naming what is wrong.
// `queries`: a queries job's queries (their rows are the output's rows), or null.
void claim_output(const RunOptions& options, const LocalInput& input, OutputClaim& claim,
                  const QueryInput* queries = nullptr);

}  // namespace ringsim
