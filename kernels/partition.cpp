#include "kernels/partition.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "common/errors.hpp"

namespace ringsim {

namespace {

void check_grain(std::int64_t grain) {
  if (grain < 1) throw InputError("grain must be >= 1 row, got " + std::to_string(grain));
}

// Block sizes in rows from sizes in runs of `grain`: the last run of the
// matrix may be short, and the block that holds it is short by as much.
RowPartition from_runs(std::int64_t rows, const std::vector<std::int64_t>& runs, std::int64_t grain) {
  std::vector<std::int64_t> sizes;
  std::int64_t given = 0;
  for (const std::int64_t r : runs) {
    sizes.push_back(std::min(r * grain, rows - given));
    given += sizes.back();
  }
  return RowPartition::from_sizes(sizes);
}

}  // namespace

RowPartition RowPartition::even(std::int64_t rows, int blocks, std::int64_t grain) {
  if (rows < 0) throw InputError("row count must be >= 0, got " + std::to_string(rows));
  if (blocks < 1) throw InputError("block count must be >= 1, got " + std::to_string(blocks));
  check_grain(grain);
  const std::int64_t runs = rows / grain + (rows % grain ? 1 : 0);
  std::vector<std::int64_t> sizes(blocks);
  for (int b = 0; b < blocks; ++b) sizes[b] = runs / blocks + (b < runs % blocks ? 1 : 0);  // the first ones get one more
  return from_runs(rows, sizes, grain);
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

RowPartition RowPartition::weighted(std::int64_t rows, const std::vector<double>& weights, std::int64_t grain) {
  if (rows < 0) throw InputError("row count must be >= 0, got " + std::to_string(rows));
  if (weights.empty()) throw InputError("a partition needs at least one block");
  check_grain(grain);
  const std::int64_t runs = rows / grain + (rows % grain ? 1 : 0);
  double total = 0;
  for (const double w : weights) {
    if (!(w > 0) || !std::isfinite(w)) throw InputError("block weights must be finite and > 0");
    total += w;
  }
  std::vector<std::int64_t> sizes(weights.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t b = 0; b < weights.size(); ++b) {
    const double exact = static_cast<double>(runs) * (weights[b] / total);
    sizes[b] = std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(exact)), runs - given);
    given += sizes[b];
    remainders.emplace_back(exact - std::floor(exact), b);
  }
  // Largest remainder first; equal remainders: lower block first.
  std::stable_sort(remainders.begin(), remainders.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; given < runs; i = (i + 1) % remainders.size(), ++given) ++sizes[remainders[i].second];
  return from_runs(rows, sizes, grain);
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
