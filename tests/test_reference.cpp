// The checks in tests/reference.cpp judge every end-to-end test, so they are
// tested themselves: each accepts a correct result and refuses one with a
// NaN or an Inf planted in a score (a NaN makes `|a - b| > tol` false, which
// let such results pass before), and the threshold check decides pairs that
// lie exactly on the threshold.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "tests/reference.hpp"

using namespace ringsim::testing;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Rows e1, 3 e1, 2 e2, e1 + e2, -e1: cosines 1, 0, -1 exactly, and +-1/sqrt 2.
ringsim::RowMatrix<float> small_matrix() {
  ringsim::RowMatrix<float> x(5, 2);
  x << 1, 0, 3, 0, 0, 2, 1, 1, -1, 0;
  return x;
}

// The correct top-k computed from the reference (k beyond the 4 other rows
// gives padding: id -1, score NaN).
TopKResult correct_topk(const Dense& s, int k) {
  TopKResult r{s.rows(), k, {}, {}};
  for (std::int64_t i = 0; i < s.rows(); ++i) {
    std::vector<std::int64_t> order;
    for (std::int64_t j = 0; j < s.rows(); ++j)
      if (j != i) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return s(i, a) > s(i, b); });
    for (int t = 0; t < k; ++t) {
      const bool pad = t >= static_cast<int>(order.size());
      r.ids.push_back(pad ? -1 : order[static_cast<std::size_t>(t)]);
      r.scores.push_back(pad ? std::nanf("") : static_cast<float>(s(i, order[static_cast<std::size_t>(t)])));
    }
  }
  return r;
}

std::vector<float> correct_full(const Dense& s) {
  std::vector<float> full;
  for (std::int64_t i = 0; i < s.rows(); ++i)
    for (std::int64_t j = 0; j < s.rows(); ++j) full.push_back(static_cast<float>(s(i, j)));
  return full;
}

std::vector<Pair> correct_pairs(const Dense& s, double threshold) {
  std::vector<Pair> pairs;
  for (std::int64_t i = 0; i < s.rows(); ++i)
    for (std::int64_t j = i + 1; j < s.rows(); ++j)
      if (s(i, j) >= threshold) pairs.push_back({i, j, s(i, j)});
  return pairs;
}

}  // namespace

TEST(Reference, CloseEnoughRefusesNaNAndInf) {
  EXPECT_TRUE(close_enough(0.5, 0.5, 0.0));
  EXPECT_TRUE(close_enough(0.5, 0.5 + 1e-7, 1e-6));
  EXPECT_FALSE(close_enough(0.5, 0.5 + 1e-5, 1e-6));
  EXPECT_FALSE(close_enough(kNaN, 0.5, 1.0));
  EXPECT_FALSE(close_enough(0.5, kNaN, 1.0));
  EXPECT_FALSE(close_enough(kNaN, kNaN, 1.0));
  EXPECT_FALSE(close_enough(kInf, kInf, 1.0));
  EXPECT_FALSE(close_enough(-kInf, 0.0, 1e300));
  // Relative part: 1e-8 off at 1e-3 is allowed by 1e-5 x |want|, not at 1e-4.
  EXPECT_TRUE(close_enough(1e-3 + 1e-8, 1e-3, Tolerance(0, 1e-5)));
  EXPECT_FALSE(close_enough(1e-4 + 1e-8, 1e-4, Tolerance(0, 1e-5)));
}

TEST(Reference, TopKCheckRefusesANonFiniteScoreInEverySlot) {
  const auto s = reference_similarity(small_matrix());
  const auto good = correct_topk(s, 3);
  ASSERT_EQ(check_topk(s, good, 1e-6, false), "");
  for (std::size_t slot = 0; slot < good.scores.size(); ++slot)
    for (const float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
      auto planted = good;
      planted.scores[slot] = bad;
      EXPECT_NE(check_topk(s, planted, 1e-6, false), "") << "slot " << slot << " = " << bad;
      EXPECT_NE(check_topk(s, planted, 1e-6, true), "") << "slot " << slot << " = " << bad;
    }
}

TEST(Reference, TopKCheckWantsNaNOnlyInPadding) {
  const auto s = reference_similarity(small_matrix());
  auto padded = correct_topk(s, 6);  // 4 others per row: 2 padding slots each
  EXPECT_EQ(check_topk(s, padded, 1e-6, true), "");
  auto zero_padding = padded;
  zero_padding.scores[4] = 0.0f;  // row 0's first padding slot
  EXPECT_NE(check_topk(s, zero_padding, 1e-6, true), "");
  auto no_id = padded;
  no_id.ids[5] = 2;
  EXPECT_NE(check_topk(s, no_id, 1e-6, true), "");
}

TEST(Reference, FullCheckRefusesANonFiniteEntryAnywhere) {
  const auto s = reference_similarity(small_matrix());
  const auto good = correct_full(s);
  ASSERT_EQ(check_full(s, good, 1e-6), "");
  for (std::size_t e = 0; e < good.size(); ++e)
    for (const float bad : {std::nanf(""), -std::numeric_limits<float>::infinity()}) {
      auto planted = good;
      planted[e] = bad;
      EXPECT_NE(check_full(s, planted, 1e-6), "") << "entry " << e << " = " << bad;
    }
}

TEST(Reference, ThresholdCheckRefusesANonFinitePairScore) {
  const auto s = reference_similarity(small_matrix());
  const auto good = correct_pairs(s, 0.5);
  ASSERT_GE(good.size(), 2u);
  ASSERT_EQ(check_threshold(s, good, 0.5, 1e-6), "");
  for (std::size_t p = 0; p < good.size(); ++p)
    for (const double bad : {kNaN, kInf}) {
      auto planted = good;
      planted[p].score = bad;
      EXPECT_NE(check_threshold(s, planted, 0.5, 1e-6), "") << "pair " << p << " = " << bad;
    }
}

// With a zero tolerance a pair exactly on the threshold must be present and a
// pair exactly on it must not be dropped: `>` in place of `>=` fails.
TEST(Reference, ThresholdCheckDecidesPairsExactlyOnTheThreshold) {
  const auto s = reference_similarity(small_matrix());
  ASSERT_EQ(s(0, 1), 1.0);  // e1 and 3 e1
  ASSERT_EQ(s(0, 2), 0.0);  // e1 and e2
  for (const double threshold : {0.0, 1.0}) {
    const auto kept = correct_pairs(s, threshold);
    EXPECT_EQ(check_threshold(s, kept, threshold, 0.0), "") << threshold;
    std::vector<Pair> strict;  // what `score > threshold` would keep
    for (const auto& p : kept)
      if (s(p.i, p.j) > threshold) strict.push_back(p);
    ASSERT_LT(strict.size(), kept.size()) << threshold;
    EXPECT_NE(check_threshold(s, strict, threshold, 0.0), "") << threshold;
    // A pair below the threshold is refused.
    const auto looser = correct_pairs(s, threshold - 0.75);
    ASSERT_GT(looser.size(), kept.size()) << threshold;
    EXPECT_NE(check_threshold(s, looser, threshold, 0.0), "") << threshold;
  }
}

TEST(Reference, PairsCsvKeepsANaNScore) {
  const std::string path = ::testing::TempDir() + "/ringsim-reference-pairs.csv";
  { std::ofstream(path) << "i,j,score\n0,1,0.5\n0,2,nan\n"; }
  const auto pairs = read_pairs_csv(path);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].score, 0.5);
  EXPECT_TRUE(std::isnan(pairs[1].score));
  std::remove(path.c_str());
}
