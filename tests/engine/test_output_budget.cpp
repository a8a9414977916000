// The output size estimates checked against --max-output-bytes.
#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "engine/output_budget.hpp"

using namespace ringsim;

TEST(OutputBudget, SizesAndRefusal) {
  EXPECT_DOUBLE_EQ(topk_output_bytes(1000, 10), 256 + 1000.0 * 10 * 12);
  EXPECT_DOUBLE_EQ(full_output_bytes(1000), 128 + 4e6);
  EXPECT_EQ(pair_line_bytes(7, 12345), 1 + 5 + 2 + 10 + 1 + 20);
  EXPECT_NO_THROW(check_output_budget(100, 100, "x"));
  EXPECT_THROW(check_output_budget(101, 100, "x"), InputError);
}
