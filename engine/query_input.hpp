#pragma once
// The queries of a queries job (--queries): every rank opens the file and
// reads only its share. Queries are partitioned, not replicated: a rank's
// work is its queries against the whole corpus, so shares of the queries
// share out the work, and a rank holds (Q / P) x d of them beside its corpus
// blocks. Shares lie on the tile grid (as the corpus's do), so a score is
// the same GEMM whatever P.
#include "engine/local_input.hpp"

namespace ringsim {

struct QueryInput {
  MatrixSource source;
  RowPartition partition = RowPartition::even(0, 1);
};

// Collective. `corpus`: the opened --input, whose width the queries must
// have and whose measured rates (--balance measured) weigh the shares.
QueryInput open_queries(const RunOptions& options, const LocalInput& corpus, std::int64_t cols,
                        const Communicator& comm);

template <class Scalar>
RowMatrix<Scalar> load_own_queries(const QueryInput& queries, int rank) {
  const std::int64_t begin = queries.partition.begin(rank);
  return queries.source.template load_rows<Scalar>(begin, queries.partition.size(rank), begin);
}

}  // namespace ringsim
