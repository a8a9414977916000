// The global tile grid, checked on geometry alone (no BLAS needed to see a
// difference): every pair is computed once, and with blocks cut on the grid
// every pair is computed by the same GEMM (the same rows on the left and on
// the right, the pair at the same place in the product) whatever the rank
// count, the rates and the middle split, so no BLAS kernel can give it
// another rounding.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/partition.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/tile_kernel.hpp"

using namespace ringsim;

namespace {

// (left begin, left rows, right begin, right rows, position in left, position in right)
using Geometry = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

class GeometryRecorder : public TileConsumer<float> {
 public:
  void consume(const ColMatrix<float>& tile, const TilePlace& place) override {
    record(tile, place.own_global0 + place.own_local, place.visiting_global0 + place.visiting_local, place.diagonal);
  }
  void consume_transposed(const ColMatrix<float>& tile, const TilePlace& place) override {
    EXPECT_FALSE(place.diagonal) << "transposed tile on the diagonal";
    record(tile, place.visiting_global0 + place.visiting_local, place.own_global0 + place.own_local, false);
  }
  std::map<std::pair<std::int64_t, std::int64_t>, Geometry> seen;
  int duplicates = 0;
  int left_not_first = 0;

 private:
  void record(const ColMatrix<float>& tile, std::int64_t left0, std::int64_t right0, bool diagonal) {
    if (left0 > right0) ++left_not_first;
    for (std::int64_t i = 0; i < tile.rows(); ++i)
      for (std::int64_t j = 0; j < tile.cols(); ++j) {
        const std::int64_t x = left0 + i, y = right0 + j;
        if (diagonal && !(x < y)) continue;
        if (x == y) continue;
        const auto key = std::make_pair(std::min(x, y), std::max(x, y));
        if (seen.count(key)) ++duplicates;
        seen[key] = Geometry{left0, tile.rows(), right0, tile.cols(), i, j};
      }
  }
};

GeometryRecorder run_all(const RowPartition& part, const RingSchedule& schedule, std::int64_t edge, std::int64_t d) {
  std::vector<RowMatrix<float>> blocks;
  for (int b = 0; b < part.blocks(); ++b) blocks.push_back(RowMatrix<float>::Zero(part.size(b), d));
  GeometryRecorder recorder;
  for (int r = 0; r < part.blocks(); ++r)
    for (int step = 0; step < schedule.steps(); ++step) {
      const auto a = schedule.assignment(r, step, part);
      compute_assignment<float>(blocks[r], part.begin(r), blocks[a.visiting_block], part.begin(a.visiting_block), a,
                                TileGrid{edge}, recorder, {});
    }
  return recorder;
}

}  // namespace

TEST(TileGrid, EveryPairOnceAndByTheSameGemmForAnyPlan) {
  std::mt19937 random(11);
  std::uniform_real_distribution<double> speed(0.05, 3.0);
  for (const std::int64_t edge : {1, 2, 3, 4, 5, 7, 16})
    for (const std::int64_t n : {0, 1, 2, 3, 5, 8, 13, 16, 17, 31, 40, 47, 100}) {
      const auto reference = run_all(RowPartition::even(n, 1, edge), RingSchedule(1, {}, edge), edge, 2);
      ASSERT_EQ(static_cast<std::int64_t>(reference.seen.size()), n * (n - 1) / 2);
      for (int p = 1; p <= 17; ++p)
        for (int plan = 0; plan < 4; ++plan) {
          std::vector<double> speeds(static_cast<std::size_t>(p));
          for (auto& s : speeds) s = speed(random);
          const RowPartition part =
              plan % 2 == 0 ? RowPartition::even(n, p, edge) : RowPartition::weighted(n, speeds, edge);
          const RingSchedule schedule(p, plan >= 2 ? speeds : std::vector<double>{}, edge);
          const auto got = run_all(part, schedule, edge, 2);
          const std::string where = "edge=" + std::to_string(edge) + " n=" + std::to_string(n) +
                                    " p=" + std::to_string(p) + " plan=" + std::to_string(plan);
          ASSERT_EQ(got.duplicates, 0) << where;
          ASSERT_EQ(got.left_not_first, 0) << where;
          ASSERT_EQ(got.seen.size(), reference.seen.size()) << where;
          for (const auto& [pair, geometry] : reference.seen) {
            const auto it = got.seen.find(pair);
            ASSERT_TRUE(it != got.seen.end()) << where;
            ASSERT_EQ(it->second, geometry) << where << " pair " << pair.first << "," << pair.second;
          }
        }
    }
}

// Blocks not on the grid (sharded input): every pair still once.
TEST(TileGrid, UnalignedBlocksStillCoverEveryPairOnce) {
  std::mt19937 random(3);
  for (const std::int64_t edge : {1, 3, 4, 16})
    for (int p = 1; p <= 17; ++p)
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<std::int64_t> sizes(static_cast<std::size_t>(p));
        std::int64_t n = 0;
        for (auto& s : sizes) n += s = std::uniform_int_distribution<std::int64_t>(0, 9)(random);
        const auto part = RowPartition::from_sizes(sizes);
        std::vector<double> speeds(static_cast<std::size_t>(p));
        for (auto& s : speeds) s = std::uniform_real_distribution<double>(0.05, 3.0)(random);
        for (const bool with_speeds : {false, true}) {
          const auto got = run_all(part, RingSchedule(p, with_speeds ? speeds : std::vector<double>{}, edge), edge, 2);
          ASSERT_EQ(got.duplicates, 0);
          ASSERT_EQ(static_cast<std::int64_t>(got.seen.size()), n * (n - 1) / 2)
              << "edge=" << edge << " p=" << p << " trial=" << trial;
        }
      }
}
