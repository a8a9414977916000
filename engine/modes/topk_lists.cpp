#include "engine/modes/topk_lists.hpp"

#include <limits>
#include <span>
#include <vector>

#include "common/fault_injection.hpp"
#include "engine/io/npy.hpp"
#include "engine/modes/bytes.hpp"
#include "engine/progress.hpp"
#include "engine/result_files.hpp"
#include "engine/row_ids.hpp"

namespace ringsim {

using namespace mode_detail;

template <class Scalar>
void ship_topk_lists(RootLink& link, const TopKAccumulator<Scalar>& own) {
  link.send_to_root(as_bytes_of(own.score_data().data(), own.score_data().size()));
  link.send_to_root(as_bytes_of(own.id_data().data(), own.id_data().size()));
}

template <class Scalar>
StagedOutputs write_topk_lists(RootLink& link, const std::string& out_dir, const ResultContext& context,
                               const RowPartition& rows, const TopKAccumulator<Scalar>& own, bool id_matrix) {
  const std::int64_t n = rows.rows();
  const int k = own.k();
  StagedOutputs staged;
  staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kNeighbors)));
  staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kScores)));
  AtomicFile& neighbors = *staged[0];
  AtomicFile& scores = *staged[1];
  const RowIds* names = context.ids && (context.ids->integers() || id_matrix) ? context.ids : nullptr;
  std::string names_header;
  std::int64_t name_bytes = 0;
  if (names) {
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kNeighborIds)));
    names_header = make_npy_header(names->npy_descr(), {n, k});
    name_bytes = static_cast<std::int64_t>(names->npy_bytes({-1}).size());
    staged.back()->append(names_header);
  }
  const std::string neighbors_header = make_npy_header("<i8", {n, k});
  const std::string scores_header = make_npy_header("<f4", {n, k});
  neighbors.append(neighbors_header);
  scores.append(scores_header);
  WriteProgress progress(context.progress_seconds, static_cast<double>(n));
  for (int source = 0; source < link.ranks(); ++source) {
    TopKAccumulator<Scalar> received(rows.size(source), k);
    if (source != 0) {
      link.receive_from(source, as_writable_bytes_of(received.score_data().data(), received.score_data().size()));
      link.receive_from(source, as_writable_bytes_of(received.id_data().data(), received.id_data().size()));
      check_topk_lists<Scalar>(received.id_data(), received.score_data(), context.partition.rows(),
                               "the top-k lists rank " + std::to_string(source) + " sent", context.score_bound);
    }
    const TopKAccumulator<Scalar>& block = source == 0 ? own : received;
    // Empty slots (fewer than k candidate rows) become id -1 and score NaN.
    std::vector<std::int64_t> ids(block.id_data().begin(), block.id_data().end());
    std::vector<float> values(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const bool empty = ids[i] == TopKAccumulator<Scalar>::kEmptyId;
      values[i] = empty ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(block.score_data()[i]);
      if (empty) ids[i] = -1;
    }
    const std::int64_t row0 = rows.begin(source);
    neighbors.write_at(static_cast<std::int64_t>(neighbors_header.size()) + row0 * k * 8, bytes_of(ids));
    scores.write_at(static_cast<std::int64_t>(scores_header.size()) + row0 * k * 4, bytes_of(values));
    if (names) {
      const std::string bytes = names->npy_bytes(ids);
      staged[2]->write_at(static_cast<std::int64_t>(names_header.size()) + row0 * k * name_bytes,
                          std::as_bytes(std::span(bytes)));
    }
    if (source == 0) inject_fault_at("write-file", link.rank());
    const double rows_written = static_cast<double>(rows.end(source));
    progress.done(rows_written, rows_written * k * (12 + static_cast<double>(name_bytes)));
  }
  return staged;
}

#define RINGSIM_INSTANTIATE(S)                                                                                         \
  template void ship_topk_lists<S>(RootLink&, const TopKAccumulator<S>&);                                              \
  template StagedOutputs write_topk_lists<S>(RootLink&, const std::string&, const ResultContext&, const RowPartition&, \
                                             const TopKAccumulator<S>&, bool);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
