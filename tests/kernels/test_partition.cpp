#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/errors.hpp"
#include "kernels/partition.hpp"

using ringsim::RowPartition;

TEST(RowPartition, EvenSplitSizesDifferByAtMostOne) {
  for (std::int64_t n = 0; n <= 40; ++n)
    for (int p = 1; p <= 12; ++p) {
      const auto part = RowPartition::even(n, p);
      ASSERT_EQ(part.blocks(), p);
      ASSERT_EQ(part.rows(), n);
      std::int64_t smallest = n, largest = 0, covered = 0;
      for (int b = 0; b < p; ++b) {
        ASSERT_EQ(part.begin(b), covered) << "blocks must be contiguous";
        covered += part.size(b);
        smallest = std::min(smallest, part.size(b));
        largest = std::max(largest, part.size(b));
      }
      ASSERT_EQ(covered, n);
      ASSERT_LE(largest - smallest, 1);
    }
}

TEST(RowPartition, WorkedExample) {
  const auto part = RowPartition::even(10, 4);  // ends at 2.5, 5, 7.5: rounded, 3, 5, 8
  EXPECT_EQ(part.size(0), 3);
  EXPECT_EQ(part.size(1), 2);
  EXPECT_EQ(part.size(2), 3);
  EXPECT_EQ(part.size(3), 2);
  EXPECT_EQ(part.begin(3), 8);
}

TEST(RowPartition, OwnerIsTheBlockHoldingTheRow) {
  const auto part = RowPartition::from_sizes({3, 0, 0, 5, 1, 0});
  for (std::int64_t row = 0; row < part.rows(); ++row) {
    const int owner = part.owner(row);
    EXPECT_GE(row, part.begin(owner));
    EXPECT_LT(row, part.end(owner));
  }
  EXPECT_EQ(part.owner(3), 3);
  EXPECT_EQ(part.owner(8), 4);
}

TEST(RowPartition, MoreBlocksThanRowsGivesEmptyBlocks) {
  const auto part = RowPartition::even(2, 3);
  EXPECT_EQ(part.size(0), 1);
  EXPECT_EQ(part.size(1), 0);
  EXPECT_EQ(part.size(2), 1);
}

TEST(RowPartition, RejectsBadArguments) {
  EXPECT_THROW(RowPartition::even(-1, 2), ringsim::InputError);
  EXPECT_THROW(RowPartition::even(5, 0), ringsim::InputError);
  EXPECT_THROW(RowPartition::from_sizes({2, -1}), ringsim::InputError);
  EXPECT_THROW(RowPartition::from_sizes({}), ringsim::InputError);
}

// With a grain, every block ends on a multiple of the grain or at the
// matrix's last row, and no block is more than a grain off its ideal size.
TEST(RowPartition, GrainKeepsBlockEndsOnItsMultiples) {
  const auto worked = RowPartition::even(10, 3, 2);  // ends at 3.33 and 6.67: 4 and 6
  EXPECT_EQ(worked.size(0), 4);
  EXPECT_EQ(worked.size(1), 2);
  EXPECT_EQ(worked.size(2), 4);
  const auto tile_grid = RowPartition::even(20000, 2, 256);  // 10000 -> 39 x 256
  EXPECT_EQ(tile_grid.size(0), 9984);
  const auto short_tail = RowPartition::even(5, 3, 2);
  EXPECT_EQ(short_tail.size(0), 2);
  EXPECT_EQ(short_tail.size(1), 2);
  EXPECT_EQ(short_tail.size(2), 1);
  for (std::int64_t grain : {1, 3, 8})
    for (std::int64_t n = 0; n <= 50; ++n)
      for (int p = 1; p <= 6; ++p) {
        std::vector<double> weights;
        for (int b = 0; b < p; ++b) weights.push_back(0.3 + b * 0.9);
        const auto even = RowPartition::even(n, p, grain);
        const auto weighted = RowPartition::weighted(n, weights, grain);
        double total = 0;
        for (const double w : weights) total += w;
        for (int b = 0; b < p; ++b) {
          for (const auto& part : {even, weighted}) {
            ASSERT_EQ(part.rows(), n);
            ASSERT_TRUE(part.end(b) % grain == 0 || part.end(b) == n)
                << "n=" << n << " p=" << p << " grain=" << grain << " block " << b << " ends at " << part.end(b);
          }
          const double even_ideal = static_cast<double>(n) / p, weighted_ideal = n * weights[b] / total;
          ASSERT_LE(std::abs(static_cast<double>(even.size(b)) - even_ideal), static_cast<double>(grain))
              << "n=" << n << " p=" << p << " grain=" << grain << " block " << b;
          ASSERT_LE(std::abs(static_cast<double>(weighted.size(b)) - weighted_ideal), static_cast<double>(grain))
              << "n=" << n << " p=" << p << " grain=" << grain << " block " << b;
        }
      }
  const auto weighted = RowPartition::weighted(1000, {1.0, 3.0}, 100);
  EXPECT_EQ(weighted.size(0), 300);  // ends at 250: halves round up
  EXPECT_EQ(weighted.size(1), 700);
  const auto huge = RowPartition::even(3'000'000'000'000'000'000, 3);  // 2 * b * rows is beyond 64 bits
  EXPECT_EQ(huge.size(0), 1'000'000'000'000'000'000);
  EXPECT_EQ(huge.size(2), 1'000'000'000'000'000'000);
  EXPECT_THROW(RowPartition::even(10, 2, 0), ringsim::InputError);
  EXPECT_THROW(RowPartition::weighted(10, {1.0}, -1), ringsim::InputError);
}
