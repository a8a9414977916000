#include "engine/output_claim.hpp"

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "engine/output_budget.hpp"
#include "engine/run_options.hpp"

namespace ringsim {

namespace {

// A CSV's index column names the rows, as --ids would (replicated input:
// rank 0's files are every rank's files); nothing when it does not hold
// one id per row.
std::optional<RowIds> ids_from_index_column(const MatrixSource& source, std::int64_t rows) {
  std::vector<std::string> index;
  bool any = false;
  for (const auto& file : source.files()) {
    any = any || file.csv_index_col;
    for (auto& id : read_csv_index_column(file)) index.push_back(std::move(id));
  }
  if (!any || static_cast<std::int64_t>(index.size()) != rows) return std::nullopt;
  const std::string label = source.files().size() == 1 ? source.files().front().path + ": the index column"
                                                       : "the input files' index columns";
  return RowIds::from_lines(index, rows, label);
}

}  // namespace

void claim_output(const RunOptions& options, const LocalInput& input, OutputClaim& claim, const QueryInput* queries) {
  const std::int64_t n = input.partition.rows();
  ensure_writable_directory(options.out);
  claim.lock.emplace(options.out);
  if (!options.ids.empty())
    claim.ids = RowIds::load(options.ids, n);
  else if (!options.sharded)
    claim.ids = ids_from_index_column(input.source, n);
  // The output's rows: the input's, or a queries job's queries.
  const std::int64_t rows = queries ? queries->partition.rows() : n;
  if (queries && !options.query_ids.empty())
    claim.query_ids = RowIds::load(options.query_ids, rows);
  else if (queries)
    claim.query_ids = ids_from_index_column(queries->source, rows);
  if (options.mode == Mode::full)
    check_output_budget(full_output_bytes(n), options.max_output_bytes, fmt::format("--mode full (n = {})", n));
  if (options.mode == Mode::topk)
    check_output_budget(topk_output_bytes(rows, options.k), options.max_output_bytes,
                        fmt::format("--mode topk ({} = {}, k = {})", queries ? "queries" : "n", rows, options.k));
}

}  // namespace ringsim
