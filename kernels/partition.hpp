#pragma once
// Which global rows each block (rank) owns. A plain value: no MPI inside.
//
// Even split: block b ends at row round(b * n / P), so sizes never differ
// by more than one: n = 10 rows over P = 4 blocks gives sizes 3,2,3,2 and
// offsets 0,3,5,8,10, and P > n gives empty blocks (n = 2, P = 3 -> 1,0,1).
// Arbitrary sizes come from sharded input, where each host's files decide
// how many rows it holds.
//
// With a grain g > 1 blocks end on multiples of g (the job passes its tile
// edge, so that blocks end on the tile grid; see TileGrid), the one nearest
// to where the block should end: n = 20000, P = 2, g = 256 -> 9984, 10016.
#include <cstdint>
#include <vector>

namespace ringsim {

class RowPartition {
 public:
  static RowPartition even(std::int64_t rows, int blocks, std::int64_t grain = 1);
  static RowPartition from_sizes(const std::vector<std::int64_t>& sizes);
  // Sizes proportional to `weights` (all > 0, finite): block b ends on the
  // multiple of `grain` nearest to where its share of the weights ends.
  static RowPartition weighted(std::int64_t rows, const std::vector<double>& weights, std::int64_t grain = 1);

  int blocks() const { return static_cast<int>(offsets_.size()) - 1; }
  std::int64_t rows() const { return offsets_.back(); }
  std::int64_t begin(int block) const { return offsets_.at(block); }
  std::int64_t end(int block) const { return offsets_.at(block + 1); }
  std::int64_t size(int block) const { return end(block) - begin(block); }
  // The block that holds global row `row` (the first non-empty one).
  int owner(std::int64_t row) const;

 private:
  explicit RowPartition(std::vector<std::int64_t> offsets) : offsets_(std::move(offsets)) {}
  std::vector<std::int64_t> offsets_;  // blocks() + 1 entries, offsets_[0] = 0
};

}  // namespace ringsim
