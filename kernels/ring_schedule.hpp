#pragma once
// Which pairs of row blocks each rank computes at each ring step, so that
// every unordered pair of rows is computed exactly once (symmetry halves the
// flops).
//
// Blocks move one rank to the right per step: at step s rank r holds block
// (r - s) mod P. Step 0 is the diagonal block (own rows against own rows,
// upper triangle only). Steps 1 .. (P-1)/2 pair two different blocks in
// full. For even P the step s = P/2 pairs rank a < P/2 with b = a + P/2 twice
// (a holds b and b holds a), so the tile is split by the rows of block b:
// rank a takes b's rows [0, h) and rank b takes its own rows [h, size_b),
// with h = size_b / 2. Worked example, P = 4: step 0 diagonals; step 1
// pairs (1,0) (2,1) (3,2) (0,3); step 2 splits (0,2) and (1,3) in halves.
// That is 4 + 4 + 2 = 10 = P(P+1)/2 block pairs, each once.
//
// Ranks of unequal speed (measured GEMM rates): the job gives each rank rows
// in proportion to its speed (RowPartition::weighted), and the middle step's
// split point h is chosen so that ranks a and b finish their whole share at
// the same time, counting what each computes in the other steps (with P = 2
// that also evens out the two diagonal blocks). Equal speeds and equal blocks
// keep h at half.
// With a grain g > 1, h is the nearest global row that is a multiple of g, so
// that the split falls on the tile grid (see TileGrid).
#include <cstdint>
#include <vector>

#include "kernels/partition.hpp"

namespace ringsim {

// A rectangle of the similarity matrix: own rows x visiting rows, as local
// row ranges inside each block. diagonal means own == visiting block and only
// pairs with own index < visiting index count.
struct TileAssignment {
  int own_block = 0;
  int visiting_block = 0;
  std::int64_t own_begin = 0, own_end = 0;            // local rows of own block
  std::int64_t visiting_begin = 0, visiting_end = 0;  // local rows of visiting block
  bool diagonal = false;
  // Queries x corpus (query_ring.hpp): two matrices, so the own rows (the
  // queries) are always the GEMM's left operand.
  bool across = false;
  bool empty() const { return own_begin >= own_end || visiting_begin >= visiting_end; }
};

class RingSchedule {
 public:
  // `speeds`: each rank's relative compute rate, or empty for equal ranks;
  // `grain`: the tile edge (TileGrid): the ring computes tiles of that grid,
  // and the middle step is split on a global row that is a multiple of it.
  explicit RingSchedule(int ranks, std::vector<double> speeds = {}, std::int64_t grain = 1);
  int ranks() const { return ranks_; }
  const std::vector<double>& speeds() const { return speeds_; }
  std::int64_t grain() const { return grain_; }
  // Steps including the diagonal step 0: floor(P/2) + 1.
  int steps() const { return ranks_ / 2 + 1; }
  // The block rank `rank` holds at `step`.
  int visiting_block(int rank, int step) const;
  // The rank a block is sent to / received from between steps.
  int right(int rank) const { return (rank + 1) % ranks_; }
  int left(int rank) const { return (rank + ranks_ - 1) % ranks_; }
  // The rank whose step-`step` tile holds partial results for `rank`'s rows.
  int partial_source(int rank, int step) const { return (rank + step) % ranks_; }
  TileAssignment assignment(int rank, int step, const RowPartition& partition) const;
  // Similarity entries `rank` computes in all its steps.
  std::int64_t planned_entries(int rank, const RowPartition& partition) const;

 private:
  // The middle step's split of block b's rows (even P): rank a takes
  // [0, h), rank b takes [h, size_b).
  std::int64_t middle_split(int a, int b, const RowPartition& partition) const;
  double speed(int rank) const { return speeds_.empty() ? 1.0 : speeds_[rank]; }

  int ranks_;
  std::vector<double> speeds_;
  std::int64_t grain_;
};

}  // namespace ringsim
