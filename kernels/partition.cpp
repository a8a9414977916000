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

}  // namespace

RowPartition RowPartition::even(std::int64_t rows, int blocks, std::int64_t grain) {
  if (rows < 0) throw InputError("row count must be >= 0, got " + std::to_string(rows));
  if (blocks < 1) throw InputError("block count must be >= 1, got " + std::to_string(blocks));
  check_grain(grain);
  // Block b ends on the multiple of `grain` nearest to b * rows / blocks
  // (halves round up), in integers so every rank gets the same offsets.
  std::vector<std::int64_t> offsets(blocks + 1, rows);
  offsets[0] = 0;
  const std::int64_t unit = static_cast<std::int64_t>(blocks) * grain;
  for (int b = 1; b < blocks; ++b) {
    // 128 bits: 2 * b * rows overflows 64 for rows beyond 2^62 / P.
    __extension__ using Wide = __int128;
    const auto line = static_cast<std::int64_t>((2 * static_cast<Wide>(b) * rows + unit) / (2 * unit) * grain);
    offsets[b] = std::clamp(line, offsets[b - 1], rows);
  }
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

RowPartition RowPartition::weighted(std::int64_t rows, const std::vector<double>& weights, std::int64_t grain) {
  if (rows < 0) throw InputError("row count must be >= 0, got " + std::to_string(rows));
  if (weights.empty()) throw InputError("a partition needs at least one block");
  check_grain(grain);
  double total = 0;
  for (const double w : weights) {
    if (!(w > 0) || !std::isfinite(w)) throw InputError("block weights must be finite and > 0");
    total += w;
  }
  // Block b ends on the multiple of `grain` nearest to where its share of
  // the weights ends.
  const int blocks = static_cast<int>(weights.size());
  std::vector<std::int64_t> offsets(blocks + 1, rows);
  offsets[0] = 0;
  double before = 0;
  for (int b = 1; b < blocks; ++b) {
    before += weights[b - 1];
    const double end = static_cast<double>(rows) * (before / total);
    const std::int64_t line = std::llround(end / static_cast<double>(grain)) * grain;
    offsets[b] = std::clamp(line, offsets[b - 1], rows);
  }
  return RowPartition(std::move(offsets));
}

int RowPartition::owner(std::int64_t row) const {
  RINGSIM_ENFORCE(row >= 0 && row < rows(), "row " + std::to_string(row) + " out of range");
  // upper_bound finds the first offset > row; the block before it holds row.
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), row);
  return static_cast<int>(it - offsets_.begin()) - 1;
}

}  // namespace ringsim
