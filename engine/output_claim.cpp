#include "engine/output_claim.hpp"

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "engine/job.hpp"
#include "engine/output_budget.hpp"

namespace ringsim {

void claim_output(const RunOptions& options, const LocalInput& input, OutputClaim& claim) {
  const std::int64_t n = input.partition.rows();
  ensure_writable_directory(options.out);
  claim.lock.emplace(options.out);
  if (!options.ids.empty()) {
    claim.ids = RowIds::load(options.ids, n);
  } else if (options.csv_index_col && !options.sharded) {
    // The index column names the rows, as --ids would (replicated input:
    // rank 0's files are every rank's files).
    std::vector<std::string> index;
    for (const auto& file : input.source.files())
      for (auto& id : read_csv_index_column(file)) index.push_back(std::move(id));
    if (static_cast<std::int64_t>(index.size()) == n) claim.ids = RowIds::from_lines(index, n, "--csv-index-col");
  }
  if (options.mode == Mode::full)
    check_output_budget(full_output_bytes(n), options.max_output_bytes, fmt::format("--mode full (n = {})", n));
  if (options.mode == Mode::topk)
    check_output_budget(topk_output_bytes(n, options.k), options.max_output_bytes,
                        fmt::format("--mode topk (n = {}, k = {})", n, options.k));
}

}  // namespace ringsim
