#pragma once
// Top-k lists from every rank to rank 0 and into neighbors.npy, scores.npy
// and (integer ids, or --id-matrix) neighbor_ids.npy: what the all-pairs and
// the queries top-k handlers share once their ring is done.
#include <string>

#include "engine/modes/result_handler.hpp"
#include "kernels/topk.hpp"

namespace ringsim {

// Ranks other than 0: this rank's lists, to rank 0.
template <class Scalar>
void ship_topk_lists(RootLink& link, const TopKAccumulator<Scalar>& own);

// Rank 0: its own lists and every other rank's, checked, as staged files.
// `rows` says whose lists hold which output rows (the input's rows, or the
// queries'); neighbours are rows of context.partition (the corpus).
template <class Scalar>
StagedOutputs write_topk_lists(RootLink& link, const std::string& out_dir, const ResultContext& context,
                               const RowPartition& rows, const TopKAccumulator<Scalar>& own, bool id_matrix);

}  // namespace ringsim
