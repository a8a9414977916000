#include "kernels/ring_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "common/errors.hpp"

namespace ringsim {

RingSchedule::RingSchedule(int ranks, std::vector<double> speeds, std::int64_t grain)
    : ranks_(ranks), speeds_(std::move(speeds)), grain_(grain) {
  if (ranks < 1) throw InputError("ring needs at least one rank, got " + std::to_string(ranks));
  if (grain < 1) throw InputError("grain must be >= 1 row, got " + std::to_string(grain));
  if (!speeds_.empty() && static_cast<int>(speeds_.size()) != ranks)
    throw InputError("ring of " + std::to_string(ranks) + " ranks given " + std::to_string(speeds_.size()) + " speeds");
  for (const double s : speeds_)
    if (!(s > 0) || !std::isfinite(s)) throw InputError("rank speeds must be finite and > 0");
}

namespace {

std::int64_t entries_of(const TileAssignment& a) {
  if (a.empty()) return 0;
  const std::int64_t area = (a.own_end - a.own_begin) * (a.visiting_end - a.visiting_begin);
  return a.diagonal ? area / 2 : area;
}

}  // namespace

std::int64_t RingSchedule::middle_split(int a, int b, const RowPartition& partition) const {
  const std::int64_t size_b = partition.size(b);
  // The grid line nearest to local row h of block b.
  const auto on_grid = [&](double h) {
    const double global = static_cast<double>(partition.begin(b)) + h;
    const std::int64_t line = std::llround(global / static_cast<double>(grain_)) * grain_;
    return std::clamp<std::int64_t>(line - partition.begin(b), 0, size_b);
  };
  // Work of a and b outside the middle step, in time at their speeds (equal
  // without speeds: blocks cut on the tile grid differ in size, and so do
  // their diagonals).
  double before_a = 0, before_b = 0;
  for (int step = 0; step < steps() - 1; ++step) {
    before_a += static_cast<double>(entries_of(assignment(a, step, partition))) / speed(a);
    before_b += static_cast<double>(entries_of(assignment(b, step, partition))) / speed(b);
  }
  // a: size_a * h / speed_a; b: (size_b - h) * size_a / speed_b. Equal totals:
  const double size_a = static_cast<double>(partition.size(a));
  if (size_a == 0) return on_grid(static_cast<double>(size_b / 2));
  const double h =
      (before_b - before_a + size_a * static_cast<double>(size_b) / speed(b)) / (size_a / speed(a) + size_a / speed(b));
  return on_grid(std::clamp(h, 0.0, static_cast<double>(size_b)));
}

std::int64_t RingSchedule::planned_entries(int rank, const RowPartition& partition) const {
  std::int64_t entries = 0;
  for (int step = 0; step < steps(); ++step) entries += entries_of(assignment(rank, step, partition));
  return entries;
}

int RingSchedule::visiting_block(int rank, int step) const { return ((rank - step) % ranks_ + ranks_) % ranks_; }

TileAssignment RingSchedule::assignment(int rank, int step, const RowPartition& partition) const {
  RINGSIM_ENFORCE(step >= 0 && step < steps(), "step " + std::to_string(step) + " out of range");
  RINGSIM_ENFORCE(partition.blocks() == ranks_, "partition and ring disagree on the rank count");
  TileAssignment tile;
  tile.own_block = rank;
  tile.visiting_block = visiting_block(rank, step);
  tile.own_end = partition.size(rank);
  tile.visiting_end = partition.size(tile.visiting_block);
  tile.diagonal = step == 0;
  const bool middle_step = ranks_ % 2 == 0 && step == ranks_ / 2;
  if (middle_step) {
    if (rank < ranks_ / 2) {
      // Rank a holds b = a + P/2: take b's first rows.
      tile.visiting_end = middle_split(rank, tile.visiting_block, partition);
    } else {
      // Rank b holds a: take b's own remaining rows.
      tile.own_begin = middle_split(tile.visiting_block, rank, partition);
    }
  }
  return tile;
}

}  // namespace ringsim
