#include <gtest/gtest.h>

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
        if (b > 0) {
          ASSERT_LE(part.size(b), part.size(b - 1)) << "larger blocks come first";
        }
      }
      ASSERT_EQ(covered, n);
      ASSERT_LE(largest - smallest, 1);
      ASSERT_EQ(part.max_size(), largest);
    }
}

TEST(RowPartition, WorkedExample) {
  const auto part = RowPartition::even(10, 4);
  EXPECT_EQ(part.size(0), 3);
  EXPECT_EQ(part.size(1), 3);
  EXPECT_EQ(part.size(2), 2);
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
  EXPECT_EQ(part.size(1), 1);
  EXPECT_EQ(part.size(2), 0);
}

TEST(RowPartition, RejectsBadArguments) {
  EXPECT_THROW(RowPartition::even(-1, 2), ringsim::InputError);
  EXPECT_THROW(RowPartition::even(5, 0), ringsim::InputError);
  EXPECT_THROW(RowPartition::from_sizes({2, -1}), ringsim::InputError);
  EXPECT_THROW(RowPartition::from_sizes({}), ringsim::InputError);
}
