// The symmetric schedule is checked by simulation (no processes): for many
// rank counts and partitions, every unordered pair of rows must be covered
// by exactly one tile of one rank at one step.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/ring_schedule.hpp"

using ringsim::RingSchedule;
using ringsim::RowPartition;

namespace {

void expect_every_pair_once(const RowPartition& part) {
  const int p = part.blocks();
  const std::int64_t n = part.rows();
  const RingSchedule schedule(p);
  std::vector<int> cover(static_cast<std::size_t>(n * n), 0);
  for (int rank = 0; rank < p; ++rank)
    for (int step = 0; step < schedule.steps(); ++step) {
      const auto a = schedule.assignment(rank, step, part);
      ASSERT_EQ(a.visiting_block, schedule.visiting_block(rank, step));
      ASSERT_EQ(a.own_block, rank);
      for (auto i = a.own_begin; i < a.own_end; ++i)
        for (auto j = a.visiting_begin; j < a.visiting_end; ++j) {
          if (a.diagonal && !(i < j)) continue;
          const auto gi = part.begin(a.own_block) + i, gj = part.begin(a.visiting_block) + j;
          ASSERT_NE(gi, gj);
          ++cover[std::min(gi, gj) * n + std::max(gi, gj)];
        }
    }
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i + 1; j < n; ++j)
      ASSERT_EQ(cover[i * n + j], 1) << "pair (" << i << "," << j << ") with P=" << p << " n=" << n;
}

}  // namespace

TEST(RingSchedule, EveryPairExactlyOnceEvenSplits) {
  for (int p = 1; p <= 17; ++p)
    for (std::int64_t n : {0, 1, 2, 5, 7, 16, 23, 40}) expect_every_pair_once(RowPartition::even(n, p));
}

TEST(RingSchedule, EveryPairExactlyOnceUnevenShards) {
  expect_every_pair_once(RowPartition::from_sizes({4, 0, 7, 1}));
  expect_every_pair_once(RowPartition::from_sizes({0, 0, 9}));
  expect_every_pair_once(RowPartition::from_sizes({1, 2, 3, 4, 5, 6}));
  expect_every_pair_once(RowPartition::from_sizes({5, 0}));
}

TEST(RingSchedule, StepCountAndDirections) {
  EXPECT_EQ(RingSchedule(1).steps(), 1);
  EXPECT_EQ(RingSchedule(4).steps(), 3);
  EXPECT_EQ(RingSchedule(5).steps(), 3);
  const RingSchedule four(4);
  EXPECT_EQ(four.visiting_block(0, 1), 3);
  EXPECT_EQ(four.right(3), 0);
  EXPECT_EQ(four.left(0), 3);
  // The rank holding my block at step s is the one that owes me a partial.
  for (int rank = 0; rank < 4; ++rank)
    for (int step = 1; step < four.steps(); ++step)
      EXPECT_EQ(four.visiting_block(four.partial_source(rank, step), step), rank);
}

TEST(RingSchedule, MiddleStepSplitsWorkBetweenThePair) {
  const auto part = RowPartition::even(40, 4);  // 10 rows each
  const RingSchedule schedule(4);
  const auto lower = schedule.assignment(0, 2, part);
  const auto upper = schedule.assignment(2, 2, part);
  const auto area = [](const ringsim::TileAssignment& a) {
    return (a.own_end - a.own_begin) * (a.visiting_end - a.visiting_begin);
  };
  EXPECT_EQ(area(lower), 50);
  EXPECT_EQ(area(upper), 50);
}
