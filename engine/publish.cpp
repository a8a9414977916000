#include "engine/publish.hpp"

#include <algorithm>
#include <filesystem>

#include "engine/result_files.hpp"
#include "engine/row_ids.hpp"

namespace ringsim {

namespace {

void stage(StagedOutputs& outputs, const std::string& out_dir, const std::string& name, const std::string& bytes) {
  outputs.push_back(std::make_unique<AtomicFile>((std::filesystem::path(out_dir) / name).string()));
  outputs.back()->append(bytes);
}

}  // namespace

void publish_results(const std::string& out_dir, StagedOutputs outputs, const JobReport& report, const RowIds* ids,
                     const RowIds* query_ids) {
  stage(outputs, out_dir, result_files::kRows, report.rows_json);
  // The id table, once, in row order: ids.txt[neighbors] names every
  // neighbour without an n x k matrix of strings.
  if (ids) stage(outputs, out_dir, ids->integers() ? result_files::kIdsNpy : result_files::kIdsTxt, ids->table_bytes());
  if (query_ids)
    stage(outputs, out_dir, query_ids->integers() ? result_files::kQueryIdsNpy : result_files::kQueryIdsTxt,
          query_ids->table_bytes());
  stage(outputs, out_dir, result_files::kReport, report.report_json);
  // Removing other modes' results first: they would read as this job's.
  // Flushing first keeps the renames close together.
  for (auto& file : outputs) file->flush();
  for (const char* name : result_files::kAll) {
    const auto path = std::filesystem::path(out_dir) / name;
    const bool ours = std::any_of(outputs.begin(), outputs.end(), [&](auto& f) { return f->final_path() == path; });
    std::error_code ignored;
    if (!ours) std::filesystem::remove(path, ignored);
  }
  for (auto& file : outputs) file->publish();
}

}  // namespace ringsim
