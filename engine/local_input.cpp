#include "engine/local_input.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "engine/rank_rates.hpp"
#include "engine/run_options.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

std::int64_t agreed_rows(const Communicator& comm, std::int64_t rows, const std::string& what) {
  const auto all = comm.allgather(rows);
  for (int r = 0; r < comm.size(); ++r)
    if (all[r] != all[0])
      throw AgreedFailure(fmt::format("ranks 0 and {} see different {} ({} vs {} rows)", r, what, all[0], all[r]));
  return all[0];
}

namespace {

// Sharded input: how many ranks read the same files as this rank, and this
// rank's place among them.
struct SharedFiles {
  int members = 1, index = 0;
};

// Ranks that see the same files (same host, same path) split them evenly;
// global ids follow rank order, i.e. host order, then file-name order. A
// machine, never a host name: every SageMaker container is called "aws".
// (Rows in memory are each rank's own: never shared.)
SharedFiles shared_files(const RunOptions& options, const Communicator& comm) {
  const auto machines = comm.machines();
  const auto paths = comm.allgather(options.input);
  std::vector<std::string> groups(machines.size());
  for (std::size_t r = 0; r < groups.size(); ++r) groups[r] = machines[r] + "\n" + paths[r];
  SharedFiles shared{0, 0};
  for (int r = 0; r < comm.size(); ++r)
    if (groups[r] == groups[comm.rank()]) {
      if (r < comm.rank()) ++shared.index;
      ++shared.members;
    }
  return shared;
}

}  // namespace

LocalInput open_input(const RunOptions& options, const Communicator& comm) {
  LocalInput local;
  std::int64_t cols = -1;
  run_agreed(comm, [&] {
    local.source =
        options.input_rows
            ? MatrixSource::from_memory(*options.input_rows, options.input)
            : MatrixSource::open(options.input, /*allow_empty=*/options.sharded,
                                 CsvOptions{.header = options.csv_header, .index_col = options.csv_index_col});
    if (local.source.rows() > 0 && local.source.cols() < 1) throw InputError(options.input + ": rows have no columns");
    cols = local.source.rows() > 0 ? local.source.cols() : -1;
  });
  // Ranks must agree on the width; a rank without rows has no opinion.
  const std::int64_t widest = comm.allreduce_max(cols);
  const std::int64_t narrowest = comm.allreduce_min(cols < 0 ? widest : cols);
  if (widest != narrowest)
    throw AgreedFailure("input files disagree on the column count (" + std::to_string(narrowest) + " vs " +
                        std::to_string(widest) + ")");
  if (options.sharded) {
    const auto [members, index] = options.input_rows ? SharedFiles{} : shared_files(options, comm);
    const auto share = RowPartition::even(local.source.rows(), members);
    local.source_begin = share.begin(index);
    local.partition = RowPartition::from_sizes(comm.allgather(share.size(index)));
  } else {
    const std::int64_t rows = agreed_rows(comm, local.source.rows(), "inputs");
    if (!options.assumed_rank_gflops.empty()) {
      local.rank_gflops = options.assumed_rank_gflops;
    } else if (options.balance == Balance::measured && comm.size() > 1) {
      local.rank_gflops = measure_rank_gflops(comm, widest, options.tile, std::min(options.k, 64));
    }
    // Blocks end on the tile grid, so a score does not depend on how rows are shared.
    local.partition = local.rank_gflops.empty() ? RowPartition::even(rows, comm.size(), options.tile)
                                                : RowPartition::weighted(rows, local.rank_gflops, options.tile);
    local.source_begin = local.partition.begin(comm.rank());
  }
  return local;
}

namespace {

// One info line per way ringsim read the CSV files' layout (a folder of
// parts written alike gives one line, not one per part).
void describe_csv_layout(const MatrixSource& source) {
  std::vector<std::pair<std::string, std::vector<std::string>>> notes;  // note, the files it is about
  for (const auto& file : source.files()) {
    std::string note;
    if (!file.csv_header_rule.empty()) note = "first line read as a header: " + file.csv_header_rule;
    if (!file.csv_index_rule.empty())
      note += (note.empty() ? "" : "; ") + std::string("first column read as row ids, not a feature (as ") +
              "--csv-index-col does): " + file.csv_index_rule;
    if (note.empty()) continue;
    auto same = std::find_if(notes.begin(), notes.end(), [&](const auto& entry) { return entry.first == note; });
    if (same == notes.end()) same = notes.insert(notes.end(), {note, {}});
    same->second.push_back(file.path);
  }
  for (const auto& [note, paths] : notes)
    log::info(fmt::format("{}{}: {} (docs/input.md)", paths.front(),
                          paths.size() > 1 ? fmt::format(" and {} more files", paths.size() - 1) : "", note));
}

}  // namespace

void warn_about_input(const RunOptions& options, const std::vector<const MatrixSource*>& sources,
                      std::int64_t candidates) {
  for (const MatrixSource* source : sources) describe_csv_layout(*source);
  for (const MatrixSource* source : sources)
    for (const auto& file : source->files())
      if (file.csv_first_column_is_counter)
        log::warning(file.path +
                     ": the first column counts the rows (0, 1, 2, ...), like the index pandas' to_csv writes; it is "
                     "read as a feature. Pass --csv-index-col if it is pandas' index (docs/input.md).");
  candidates = std::max<std::int64_t>(0, candidates);
  if (options.mode == Mode::topk && options.k > candidates)
    log::warning(
        fmt::format("--k {} but each row has only {} candidate rows: the last {} slots of every row hold id "
                    "-1 and score NaN",
                    options.k, candidates, options.k - candidates));
}

}  // namespace ringsim
