#include "kernels/partition.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"

namespace ringsim {

RowPartition RowPartition::even(std::int64_t rows, int blocks) {
  if (rows < 0) throw InputError("row count must be >= 0, got " + std::to_string(rows));
  if (blocks < 1) throw InputError("block count must be >= 1, got " + std::to_string(blocks));
  std::vector<std::int64_t> offsets(blocks + 1, 0);
  const std::int64_t base = rows / blocks;
  const std::int64_t extra = rows % blocks;  // the first `extra` blocks get one more row
  for (int b = 0; b < blocks; ++b) offsets[b + 1] = offsets[b] + base + (b < extra ? 1 : 0);
  return RowPartition(std::move(offsets));
}

RowPartition RowPartition::from_sizes(const std::vector<std::int64_t>& sizes) {
  if (sizes.empty()) throw InputError("a partition needs at least one block");
  std::vector<std::int64_t> offsets(sizes.size() + 1, 0);
  for (std::size_t b = 0; b < sizes.size(); ++b) {
    if (sizes[b] < 0) throw InputError("block " + std::to_string(b) + " has a negative size");
    offsets[b + 1] = offsets[b] + sizes[b];
  }
  return RowPartition(std::move(offsets));
}

std::int64_t RowPartition::max_size() const {
  std::int64_t best = 0;
  for (int b = 0; b < blocks(); ++b) best = std::max(best, size(b));
  return best;
}

int RowPartition::owner(std::int64_t row) const {
  RINGSIM_ENFORCE(row >= 0 && row < rows(), "row " + std::to_string(row) + " out of range");
  // upper_bound finds the first offset > row; the block before it holds row.
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), row);
  return static_cast<int>(it - offsets_.begin()) - 1;
}

}  // namespace ringsim
