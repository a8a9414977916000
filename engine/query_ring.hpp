#pragma once
// The ring of a queries job (--queries): each rank keeps its share of the
// queries and of the corpus (the --input rows); corpus blocks move right one
// rank per step round the whole ring (P steps), so every query share meets
// every corpus block once, and no partial result travels. At step s rank r
// holds corpus block (r - s) mod P; the block for step s + 1 is in flight
// while step s is computed, so a rank holds its queries, its own corpus
// block and two visiting ones.
//
// Worked example, P = 3: rank 1 computes its queries against corpus blocks
// 1, 0 and 2, in that order; rank 2 against 2, 1, 0.
#include "engine/modes/result_handler.hpp"
#include "engine/progress.hpp"
#include "engine/ring_loop.hpp"
#include "kernels/matrix.hpp"
#include "kernels/tile_backend.hpp"

namespace ringsim {

// `queries`: this rank's query rows, the first with global id
// `query_global0`; `corpus`: its corpus block of `corpus_partition`. Tiles
// lie on a grid of edge `tile` over both matrices, so with query and corpus
// shares on that grid every score is the same GEMM whatever P.
template <class Scalar>
RingCounts run_query_ring(const RowMatrix<Scalar>& queries, std::int64_t query_global0, const RowMatrix<Scalar>& corpus,
                          const RowPartition& corpus_partition, std::int64_t tile, const RingLink& link,
                          ResultHandler<Scalar>& handler, ProgressReporter* progress, TileBackend<Scalar>* backend);

}  // namespace ringsim
