// The whole symmetric algorithm simulated in one process (every rank's
// assignments, small tiles, partial results merged at their owners), against
// the brute-force reference. This isolates kernel and schedule from MPI.
#include <gtest/gtest.h>

#include <memory>

#include "kernels/normalize.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/tile_kernel.hpp"
#include "tests/reference.hpp"

using namespace ringsim;
using namespace ringsim::testing;

namespace {

struct Case {
  std::int64_t n, d;
  int p, k;
  std::int64_t tile;
};

template <class Scalar>
std::vector<RowMatrix<Scalar>> split(const RowMatrix<float>& x, const RowPartition& part) {
  std::vector<RowMatrix<Scalar>> blocks;
  for (int b = 0; b < part.blocks(); ++b) {
    RowMatrix<Scalar> block = x.middleRows(part.begin(b), part.size(b)).template cast<Scalar>();
    normalize_rows(block);
    blocks.push_back(std::move(block));
  }
  return blocks;
}

template <class Scalar>
TopKResult simulate_topk(const RowMatrix<float>& x, int p, int k, std::int64_t tile) {
  const auto part = RowPartition::even(x.rows(), p);
  const auto blocks = split<Scalar>(x, part);
  const RingSchedule schedule(p);
  std::vector<TopKAccumulator<Scalar>> own;
  for (int r = 0; r < p; ++r) own.emplace_back(part.size(r), k);
  for (int step = 0; step < schedule.steps(); ++step)
    for (int r = 0; r < p; ++r) {
      const auto a = schedule.assignment(r, step, part);
      TopKAccumulator<Scalar> partial(part.size(a.visiting_block), k);
      TopKConsumer<Scalar> consumer(own[r], step == 0 ? own[r] : partial);
      compute_assignment<Scalar>(blocks[r], part.begin(r), blocks[a.visiting_block], part.begin(a.visiting_block), a,
                                 TileGrid{tile}, consumer, {});
      if (step > 0) own[a.visiting_block].merge(partial);
    }
  TopKResult result{x.rows(), k, {}, {}};
  for (int r = 0; r < p; ++r)
    for (std::int64_t i = 0; i < part.size(r); ++i)
      for (int t = 0; t < k; ++t) {
        const bool empty = own[r].id(i, t) == TopKAccumulator<Scalar>::kEmptyId;
        result.ids.push_back(empty ? -1 : own[r].id(i, t));
        result.scores.push_back(empty ? std::nanf("") : static_cast<float>(own[r].score(i, t)));
      }
  return result;
}

}  // namespace

TEST(RingSimulation, TopKMatchesReference) {
  const std::vector<Case> cases = {{1, 3, 1, 10, 4},  {2, 1, 3, 10, 1},   {7, 5, 2, 3, 2},   {23, 4, 4, 5, 3},
                                   {40, 8, 5, 10, 7}, {64, 16, 6, 4, 16}, {31, 2, 7, 30, 5}, {100, 9, 8, 12, 13}};
  for (const auto& c : cases) {
    const auto x = random_matrix(c.n, c.d, static_cast<std::uint64_t>(c.n * 100 + c.p));
    const auto s = reference_similarity(x);
    EXPECT_EQ(check_topk(s, simulate_topk<float>(x, c.p, c.k, c.tile), 1e-5, false), "") << "n=" << c.n << " P=" << c.p;
    EXPECT_EQ(check_topk(s, simulate_topk<double>(x, c.p, c.k, c.tile), 1e-6, false), "")
        << "n=" << c.n << " P=" << c.p;
  }
}

TEST(RingSimulation, ExactTiesAndZeroRowsFollowIdOrder) {
  for (int p = 1; p <= 6; ++p) {
    auto x = tie_matrix(29, 4);
    x.row(3).setZero();
    x.row(17).setZero();
    const auto s = reference_similarity(x);
    EXPECT_EQ(check_topk(s, simulate_topk<float>(x, p, 9, 4), 0.0, true), "") << "P=" << p;
  }
}

TEST(RingSimulation, ThresholdAndFullMatchReference) {
  for (int p = 1; p <= 6; ++p) {
    const auto x = random_matrix(37, 3, 11 + p);
    const auto s = reference_similarity(x);
    const auto part = RowPartition::even(x.rows(), p);
    const auto blocks = split<float>(x, part);
    const RingSchedule schedule(p);
    std::vector<float> full(static_cast<std::size_t>(x.rows() * x.rows()), std::nanf(""));
    ThresholdConsumer<float> threshold(0.4f);
    for (int r = 0; r < p; ++r)
      for (int step = 0; step < schedule.steps(); ++step) {
        const auto a = schedule.assignment(r, step, part);
        compute_assignment<float>(blocks[r], part.begin(r), blocks[a.visiting_block], part.begin(a.visiting_block), a,
                                  TileGrid{5}, threshold, {});
        DenseConsumer<float> dense(a);
        compute_assignment<float>(blocks[r], part.begin(r), blocks[a.visiting_block], part.begin(a.visiting_block), a,
                                  TileGrid{5}, dense, {});
        for (auto i = a.own_begin; i < a.own_end; ++i)
          for (auto j = a.visiting_begin; j < a.visiting_end; ++j) {
            const auto gi = part.begin(r) + i, gj = part.begin(a.visiting_block) + j;
            const float v = dense.band()(i - a.own_begin, j - a.visiting_begin);
            full[gi * x.rows() + gj] = v;
            full[gj * x.rows() + gi] = v;
          }
      }
    EXPECT_EQ(check_full(s, full, 1e-5), "") << "P=" << p;
    std::vector<Pair> pairs;
    for (const auto& q : threshold.pairs()) pairs.push_back({q.i, q.j, q.score});
    std::sort(pairs.begin(), pairs.end(),
              [](auto a, auto b) { return std::make_pair(a.i, a.j) < std::make_pair(b.i, b.j); });
    EXPECT_EQ(check_threshold(s, pairs, 0.4, 1e-5), "") << "P=" << p;
  }
}

// A threshold consumer holds at most its cap: pairs past it are dropped and
// flagged (the engine fails the job on every rank), never thrown mid-ring.
// All 19 * 18 / 2 = 171 pairs of one diagonal block qualify at -2.
TEST(RingSimulation, ThresholdConsumerStopsAtItsCap) {
  RowMatrix<float> x = random_matrix(19, 3, 5);
  normalize_rows(x);
  const TileAssignment whole{0, 0, 0, x.rows(), 0, x.rows(), true};
  for (const std::int64_t cap : {std::int64_t{40}, std::int64_t{171}}) {
    ThresholdConsumer<float> threshold(-2, cap);
    compute_assignment<float>(x, 0, x, 0, whole, TileGrid{5}, threshold, {});
    EXPECT_EQ(threshold.pairs().size(), static_cast<std::size_t>(std::min<std::int64_t>(cap, 171))) << cap;
    EXPECT_EQ(threshold.over_cap(), cap < 171) << cap;
  }
}
