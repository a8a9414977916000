#include "kernels/ring_schedule.hpp"

#include <string>

#include "common/errors.hpp"

namespace ringsim {

RingSchedule::RingSchedule(int ranks) : ranks_(ranks) {
  if (ranks < 1) throw InputError("ring needs at least one rank, got " + std::to_string(ranks));
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
      // Rank a holds b = a + P/2: take b's first half.
      tile.visiting_end = partition.size(tile.visiting_block) / 2;
    } else {
      // Rank b holds a: take b's own second half.
      tile.own_begin = partition.size(rank) / 2;
    }
  }
  return tile;
}

}  // namespace ringsim
