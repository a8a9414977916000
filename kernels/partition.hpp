#pragma once
// Which global rows each block (rank) owns. A plain value: no MPI inside.
//
// Even split: n = 10 rows over P = 4 blocks gives sizes 3,3,2,2 and offsets
// 0,3,6,8,10; sizes never differ by more than one and P > n gives empty
// blocks (n = 2, P = 3 -> 1,1,0). Arbitrary sizes come from sharded input,
// where each host's files decide how many rows it holds.
//
// With a grain g > 1 rows are shared out in whole runs of g (the job passes
// its tile edge, so that blocks end on the tile grid; see TileGrid): every
// block but the last holding rows has a multiple of g, e.g. n = 10, P = 3,
// g = 2 -> 4,4,2; n = 5, P = 3, g = 2 -> 2,2,1.
#include <cstdint>
#include <vector>

namespace ringsim {

class RowPartition {
 public:
  static RowPartition even(std::int64_t rows, int blocks, std::int64_t grain = 1);
  static RowPartition from_sizes(const std::vector<std::int64_t>& sizes);
  // Sizes proportional to `weights` (all > 0, finite), in runs of `grain`
  // rounded by largest remainder so that they add up to `rows`; ties go to
  // the lower block.
  static RowPartition weighted(std::int64_t rows, const std::vector<double>& weights, std::int64_t grain = 1);

  int blocks() const { return static_cast<int>(offsets_.size()) - 1; }
  std::int64_t rows() const { return offsets_.back(); }
  std::int64_t begin(int block) const { return offsets_.at(block); }
  std::int64_t end(int block) const { return offsets_.at(block + 1); }
  std::int64_t size(int block) const { return end(block) - begin(block); }
  std::int64_t max_size() const;
  // The block that holds global row `row` (the first non-empty one).
  int owner(std::int64_t row) const;

 private:
  explicit RowPartition(std::vector<std::int64_t> offsets) : offsets_(std::move(offsets)) {}
  std::vector<std::int64_t> offsets_;  // blocks() + 1 entries, offsets_[0] = 0
};

}  // namespace ringsim
