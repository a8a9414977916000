#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/errors.hpp"
#include "kernels/topk.hpp"

using ringsim::TopKAccumulator;

TEST(TopK, KeepsBestSortedWithTiesBySmallerId) {
  TopKAccumulator<float> acc(1, 3);
  acc.offer(0, 0.5f, 7);
  acc.offer(0, 0.9f, 3);
  acc.offer(0, 0.5f, 2);
  acc.offer(0, 0.5f, 9);
  acc.offer(0, 0.1f, 1);
  EXPECT_EQ(acc.id(0, 0), 3);
  EXPECT_EQ(acc.id(0, 1), 2);
  EXPECT_EQ(acc.id(0, 2), 7);
  EXPECT_FLOAT_EQ(acc.kth_score(0), 0.5f);
}

TEST(TopK, FewerCandidatesThanKLeavesEmptySlots) {
  TopKAccumulator<double> acc(2, 4);
  acc.offer(1, -0.25, 5);
  EXPECT_EQ(acc.id(1, 0), 5);
  EXPECT_EQ(acc.id(1, 1), TopKAccumulator<double>::kEmptyId);
  EXPECT_EQ(acc.id(0, 0), TopKAccumulator<double>::kEmptyId);
}

TEST(TopK, ResultIndependentOfArrivalOrderAndSplitting) {
  std::mt19937 engine(5);
  std::uniform_int_distribution<int> level(0, 6);  // few distinct scores: many ties
  struct Candidate {
    float score;
    std::int64_t id;
  };
  std::vector<Candidate> candidates;
  for (std::int64_t id = 0; id < 200; ++id) candidates.push_back({level(engine) / 6.0f, id});
  TopKAccumulator<float> in_order(1, 10);
  for (auto c : candidates) in_order.offer(0, c.score, c.id);
  std::shuffle(candidates.begin(), candidates.end(), engine);
  TopKAccumulator<float> first(1, 10), second(1, 10);
  for (std::size_t i = 0; i < candidates.size(); ++i)
    (i % 3 ? first : second).offer(0, candidates[i].score, candidates[i].id);
  first.merge(second);
  for (int slot = 0; slot < 10; ++slot) {
    EXPECT_EQ(first.id(0, slot), in_order.id(0, slot));
    EXPECT_EQ(first.score(0, slot), in_order.score(0, slot));
  }
  // Brute force: sort all by (score desc, id asc).
  std::sort(candidates.begin(), candidates.end(),
            [](auto a, auto b) { return a.score != b.score ? a.score > b.score : a.id < b.id; });
  for (int slot = 0; slot < 10; ++slot) EXPECT_EQ(in_order.id(0, slot), candidates[slot].id);
}

TEST(TopK, RejectsKBelowOne) { EXPECT_THROW(TopKAccumulator<float>(3, 0), ringsim::InputError); }

TEST(TopK, RaisedFloorDropsOnlyWhatCannotWin) {
  // The owner already holds 3 candidates with k-th score 0.5; a partial list
  // floored at 0.5 keeps ties (their ids may win) and drops everything below,
  // and merging gives the same list as the unfloored partial would.
  TopKAccumulator<float> owner(1, 3);
  owner.offer(0, 0.9f, 1);
  owner.offer(0, 0.7f, 2);
  owner.offer(0, 0.5f, 8);
  TopKAccumulator<float> floored(1, 3), plain(1, 3);
  const std::vector<float> floor = {owner.kth_score(0)};
  floored.raise_floor(floor);
  for (auto [score, id] : std::vector<std::pair<float, std::int64_t>>{{0.4f, 3}, {0.5f, 4}, {0.6f, 5}, {0.1f, 6}}) {
    floored.offer(0, score, id);
    plain.offer(0, score, id);
  }
  EXPECT_EQ(floored.id(0, 0), 5);
  EXPECT_EQ(floored.id(0, 1), 4);  // the tie at the floor is kept: id 4 beats id 8
  EXPECT_EQ(floored.id(0, 2), TopKAccumulator<float>::kEmptyId) << "0.4 cannot reach the final list";
  EXPECT_EQ(floored.kth_score(0), 0.5f) << "the bar never drops below the floor";
  TopKAccumulator<float> with_floored = owner, with_plain = owner;
  with_floored.merge(floored);
  with_plain.merge(plain);
  for (int slot = 0; slot < 3; ++slot) EXPECT_EQ(with_floored.id(0, slot), with_plain.id(0, slot));
  EXPECT_EQ(with_floored.id(0, 2), 5);
}
