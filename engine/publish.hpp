#pragma once
// The publish step: the mode's staged result files, rows.json, the id table
// and report.json (last) renamed into --out back to back, after removing
// other modes' results a reused --out may hold. Rank 0 only.
#include <string>

#include "engine/report.hpp"
#include "engine/staged_outputs.hpp"

namespace ringsim {

class RowIds;

// `ids`: the rows' names (--ids, --csv-index-col), or null; `query_ids`: a
// queries job's queries' names (--query-ids), or null.
void publish_results(const std::string& out_dir, StagedOutputs outputs, const JobReport& report, const RowIds* ids,
                     const RowIds* query_ids = nullptr);

}  // namespace ringsim
