// Top-k with tiles of 65 rows and more on thread ranks: the kernels work in
// blocks of 64 rows inside a tile, so a tile of 65, 100 or 128 rows has a
// block boundary inside it (and a partial block), which tiles of 64 or less
// never show. A kernel that skipped row 63 of each 64-row block would drop
// candidates here and fail against the reference.
#include <gtest/gtest.h>

#include <string>

#include "tests/engine/thread_job_fixture.hpp"

using namespace ringsim;
using namespace ringsim::testing;

TEST_F(ThreadJob, TopKWithTilesOf65RowsAndMore) {
  const auto x = random_matrix(300, 16, 65);
  const RowMatrix<double> x64 = x.cast<double>();
  for (const int tile : {65, 100, 128})
    for (const int ranks : {1, 3}) {
      auto o = options("topk", "tile" + std::to_string(tile) + "-" + std::to_string(ranks));
      o.k = 10;
      o.tile = tile;
      EXPECT_EQ(run_and_check(x, o, ranks, 1e-5), "") << "tile=" << tile << " P=" << ranks;
      o.out += "-float64";
      o.dtype = Dtype::float64;
      EXPECT_EQ(run_and_check(x64, o, ranks, Tolerance(1e-12, 1e-7)), "") << "float64 tile=" << tile << " P=" << ranks;
    }
}

// Every row a neighbour of exactly one other (pairs of equal rows, score
// 1): k = 1 names that one row, so a row missing anywhere in a tile shows
// as a wrong id, not only a slightly lower score.
TEST_F(ThreadJob, TopKFindsEveryRowOfLargeTiles) {
  const auto half = random_matrix(150, 12, 66);
  RowMatrix<float> x(300, 12);
  for (std::int64_t r = 0; r < 150; ++r) {
    x.row(2 * r) = half.row(r);
    x.row(2 * r + 1) = half.row(r) * 2.0f;
  }
  for (const int tile : {65, 100, 128}) {
    auto o = options("topk", "pairs" + std::to_string(tile));
    o.k = 1;
    o.tile = tile;
    EXPECT_EQ(run_and_check(x, o, 2, 1e-5, /*exact_ids=*/true), "") << "tile=" << tile;
  }
}
