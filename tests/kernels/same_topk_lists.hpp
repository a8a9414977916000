#pragma once
// Two top-k accumulators hold the same lists: ids and scores, slot by slot.
#include <gtest/gtest.h>

#include "kernels/topk.hpp"

namespace ringsim {

inline void expect_same_lists(const TopKAccumulator<float>& a, const TopKAccumulator<float>& b) {
  ASSERT_EQ(a.rows(), b.rows());
  for (std::int64_t r = 0; r < a.rows(); ++r)
    for (int s = 0; s < a.k(); ++s) {
      EXPECT_EQ(a.id(r, s), b.id(r, s)) << "row " << r << " slot " << s;
      EXPECT_EQ(a.score(r, s), b.score(r, s)) << "row " << r << " slot " << s;
    }
}

}  // namespace ringsim
