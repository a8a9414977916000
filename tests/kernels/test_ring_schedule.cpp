// The symmetric schedule is checked by simulation (no processes): for many
// rank counts and partitions, every unordered pair of rows must be covered
// by exactly one tile of one rank at one step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "common/errors.hpp"
#include "kernels/ring_schedule.hpp"

using ringsim::RingSchedule;
using ringsim::RowPartition;

namespace {

void expect_every_pair_once(const RowPartition& part, std::vector<double> speeds = {}, std::int64_t grain = 1) {
  const int p = part.blocks();
  const std::int64_t n = part.rows();
  const RingSchedule schedule(p, speeds, grain);
  std::vector<int> cover(static_cast<std::size_t>(n * n), 0);
  for (int rank = 0; rank < p; ++rank)
    for (int step = 0; step < schedule.steps(); ++step) {
      const auto a = schedule.assignment(rank, step, part);
      // With a grain every range starts and ends on its multiples (global
      // rows) or at a block's end, so tiles of the grid are never cut.
      for (const auto& [block, local] :
           {std::pair{a.own_block, a.own_begin}, std::pair{a.own_block, a.own_end},
            std::pair{a.visiting_block, a.visiting_begin}, std::pair{a.visiting_block, a.visiting_end}})
        ASSERT_TRUE((part.begin(block) + local) % grain == 0 || local == part.size(block))
            << "rank " << rank << " step " << step << " cuts block " << block << " at local row " << local;
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

// Unequal ranks: rows in proportion to speed, the middle step's split
// moved. Every pair is still computed exactly once, for any speeds.
TEST(RingSchedule, EveryPairExactlyOnceWithSpeeds) {
  std::mt19937 random(5);
  std::uniform_real_distribution<double> speed(0.05, 3.0);
  for (int p = 1; p <= 9; ++p)
    for (std::int64_t n : {0, 1, 3, 8, 23, 41}) {
      std::vector<double> speeds(static_cast<std::size_t>(p));
      for (auto& s : speeds) s = speed(random);
      expect_every_pair_once(RowPartition::weighted(n, speeds), speeds);
      expect_every_pair_once(RowPartition::even(n, p), speeds);  // the split alone
      for (const std::int64_t grain : {2, 5}) {
        expect_every_pair_once(RowPartition::weighted(n, speeds, grain), speeds, grain);
        expect_every_pair_once(RowPartition::even(n, p, grain), {}, grain);
      }
    }
}

TEST(RowPartition, WeightedSharesFollowTheWeights) {
  const auto part = RowPartition::weighted(300, {2.0, 1.0});
  EXPECT_EQ(part.size(0), 200);
  EXPECT_EQ(part.size(1), 100);
  const auto odd = RowPartition::weighted(10, {1, 1, 1});  // ends at 3.33 and 6.67: rounded, 3 and 7
  EXPECT_EQ(odd.size(0), 3);
  EXPECT_EQ(odd.size(1), 4);
  EXPECT_EQ(odd.size(2), 3);
  for (std::int64_t n : {0, 1, 7, 1000, 99991}) {
    const std::vector<double> weights = {0.3, 5.0, 1.7, 1.7, 0.01};
    const auto w = RowPartition::weighted(n, weights);
    EXPECT_EQ(w.rows(), n);
    for (int b = 0; b < w.blocks(); ++b)
      EXPECT_LE(std::abs(static_cast<double>(w.size(b)) - static_cast<double>(n) * weights[b] / 8.71), 1.0) << n;
  }
  EXPECT_THROW(RowPartition::weighted(10, {1.0, 0.0}), ringsim::InputError);
  EXPECT_THROW(RowPartition::weighted(10, {1.0, std::nan("")}), ringsim::InputError);
}

// The plan's point: per-rank compute time (entries / speed) close to the
// balanced ideal (all entries / sum of speeds). P = 2 with one rank at half
// speed: an even split takes 1.5x the ideal, the plan within 1 %.
TEST(RingSchedule, PlannedTimesApproachTheBalancedIdeal) {
  // The slowest rank's time over the ideal, for ranks of these speeds.
  const auto worst_over_ideal = [](const RowPartition& part, const RingSchedule& schedule,
                                   const std::vector<double>& speeds) {
    double worst = 0, total_entries = 0, total_speed = 0;
    for (int r = 0; r < schedule.ranks(); ++r) {
      const auto entries = static_cast<double>(schedule.planned_entries(r, part));
      worst = std::max(worst, entries / speeds[static_cast<std::size_t>(r)]);
      total_entries += entries;
      total_speed += speeds[static_cast<std::size_t>(r)];
    }
    return worst / (total_entries / total_speed);
  };
  const std::int64_t n = 30000;
  const std::vector<double> half = {1.0, 0.5};
  EXPECT_NEAR(worst_over_ideal(RowPartition::even(n, 2), RingSchedule(2), half), 1.5, 0.01) << "the even plan";
  EXPECT_LT(worst_over_ideal(RowPartition::weighted(n, half), RingSchedule(2, half), half), 1.01);
  // With P = 2 the middle split alone can absorb it.
  EXPECT_LT(worst_over_ideal(RowPartition::even(n, 2), RingSchedule(2, half), half), 1.01);
  for (int p : {3, 4, 5, 8, 16}) {
    std::vector<double> speeds(static_cast<std::size_t>(p), 1.0);
    speeds[1] = 0.5;
    // Ring steps are block pairs of equal time when rows follow speed.
    EXPECT_LT(worst_over_ideal(RowPartition::weighted(n, speeds), RingSchedule(p, speeds), speeds), 1.0 + 1.5 / p) << p;
    EXPECT_GT(worst_over_ideal(RowPartition::even(n, p), RingSchedule(p), speeds), 1.6) << p;
  }
}
