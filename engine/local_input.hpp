#pragma once
// The load phase's first half: which rows this rank owns, and where every
// rank's rows sit globally (replicated input: shares on the tile grid, even
// or by measured rates; sharded input: each rank's own files).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/matrix_source.hpp"
#include "kernels/partition.hpp"
#include "transport/communicator.hpp"

namespace ringsim {

struct RunOptions;

struct LocalInput {
  MatrixSource source;
  RowPartition partition = RowPartition::even(0, 1);
  std::int64_t source_begin = 0;  // first row to read from `source`
  // --balance: every rank's measured GEMM rate (GFLOP/s), the weights of
  // the partition and of the ring's middle split; empty: even shares.
  std::vector<double> rank_gflops;
};

// Collective: every rank's count of rows of a replicated input (`what`:
// "inputs", "--queries"), which must be the same; throws AgreedFailure
// naming the first rank that differs from rank 0.
std::int64_t agreed_rows(const Communicator& comm, std::int64_t rows, const std::string& what);

// Opens the input on every rank and agrees on its shape and the partition.
LocalInput open_input(const RunOptions& options, const Communicator& comm);

// This rank's rows, as the job's scalar type.
template <class Scalar>
RowMatrix<Scalar> load_own_rows(const LocalInput& input, int rank) {
  return input.source.template load_rows<Scalar>(input.source_begin, input.partition.size(rank),
                                                 input.partition.begin(rank) - input.source_begin);
}

// Rank 0: warns about input the job reads other than a user may expect (a
// counter column read as a feature in `sources`, fewer `candidates` per
// row than --k: n - 1 other rows, or a queries job's n corpus rows).
void warn_about_input(const RunOptions& options, const std::vector<const MatrixSource*>& sources,
                      std::int64_t candidates);

}  // namespace ringsim
