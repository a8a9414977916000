#pragma once
// A finished job's result files checked against the single-process
// reference (tests/reference.hpp): what the MPI and the thread-rank tests
// both ask of every run.
#include <string>

#include "engine/job.hpp"
#include "tests/reference.hpp"

namespace ringsim::testing {

// "" when the results in `o.out` (o.mode's files) are those of all pairs of `x`.
std::string check_job_outputs(const Dense& x, const RunOptions& o, Tolerance tolerance, bool exact_ids = false);

// "" when the results in `o.out` are those of `queries` against `corpus` (--queries).
std::string check_query_outputs(const Dense& queries, const Dense& corpus, const RunOptions& o, Tolerance tolerance,
                                bool exact_ids = false);

}  // namespace ringsim::testing
