// The GPU's selection code (kernels/select_row.hpp, run by one CUDA thread
// per list in kernels/cuda/select_kernels.cu) run here by the host compiler,
// list by list as the threads would, against the CPU consumers on the same
// tiles: ties, zero rows, diagonal tiles, the transposed side, raised
// floors and k larger than the rows there are.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/normalize.hpp"
#include "kernels/select_row.hpp"
#include "kernels/tile_backend.hpp"
#include "kernels/tile_kernel.hpp"
#include "tests/kernels/same_topk_lists.hpp"

namespace ringsim {
namespace {

// Rows drawn from a few distinct vectors (so many scores tie exactly), with
// every fifth row zero (it scores 0 with everything), normalised.
RowMatrix<float> tied_rows(std::int64_t n, std::int64_t d, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> level(-2, 2);
  RowMatrix<float> prototypes(4, d);
  for (std::int64_t i = 0; i < prototypes.size(); ++i) prototypes.data()[i] = static_cast<float>(level(random));
  RowMatrix<float> rows(n, d);
  for (std::int64_t r = 0; r < n; ++r)
    rows.row(r) = r % 5 == 4 ? RowMatrix<float>::Zero(1, d) : RowMatrix<float>(prototypes.row(random() % 4));
  normalize_rows(rows);
  return rows;
}

// What the GPU does with a tile: every list selected by select_tile_list
// from the lists' floors at the tile's start, then offered back.
void select_like_gpu(const ColMatrix<float>& tile, const SelectTileShape& shape, TopKAccumulator<float>& rows,
                     TopKAccumulator<float>& columns) {
  const int k = rows.k();
  std::vector<float> row_floor(rows.kth_scores() + shape.row_local, rows.kth_scores() + shape.row_local + shape.m);
  std::vector<float> col_floor(columns.kth_scores() + shape.col_local,
                               columns.kth_scores() + shape.col_local + shape.nc);
  const std::size_t lists = static_cast<std::size_t>(shape.m + shape.nc);
  std::vector<float> scores(lists * k);
  std::vector<std::int64_t> ids(lists * k);
  for (std::int64_t list = 0; list < shape.m + shape.nc; ++list)
    select_tile_list(tile.data(), shape, list, row_floor.data(), col_floor.data(), k, scores.data(), ids.data(),
                     scores.data() + shape.m * k, ids.data() + shape.m * k);
  offer_selected(shape, k, scores.data(), ids.data(), rows, columns);
}

struct Case {
  std::int64_t n_own, n_visiting, edge;
  int k;
  bool same_block;  // own == visiting (the diagonal step)
  bool visiting_first;
};

class SelectRow : public ::testing::TestWithParam<Case> {};

// A whole assignment tile by tile through both selections, from lists that
// already hold candidates (floors raised by an earlier step).
TEST_P(SelectRow, TopKListsEqualTheCpuConsumers) {
  const Case c = GetParam();
  const RowMatrix<float> own = tied_rows(c.n_own, 8, 1);
  const RowMatrix<float> visiting = c.same_block ? own : tied_rows(c.n_visiting, 8, 2);
  const std::int64_t own_global0 = c.visiting_first ? c.n_visiting : 0;
  const std::int64_t visiting_global0 = c.same_block ? own_global0 : c.visiting_first ? 0 : c.n_own;
  TileAssignment assignment{0, c.same_block ? 0 : 1, 0, own.rows(), 0, visiting.rows(), c.same_block};
  const TileGrid grid{c.edge};

  TopKAccumulator<float> cpu_own(own.rows(), c.k), cpu_visiting(visiting.rows(), c.k);
  TopKAccumulator<float> gpu_own(own.rows(), c.k), gpu_visiting(visiting.rows(), c.k);
  // Floors from elsewhere: some rows already know a k-th score (ties included).
  std::vector<float> floor(static_cast<std::size_t>(own.rows()), -std::numeric_limits<float>::infinity());
  for (std::size_t r = 0; r < floor.size(); r += 3) floor[r] = 0.5f;
  cpu_own.raise_floor(floor);
  gpu_own.raise_floor(floor);

  TopKConsumer<float> cpu(cpu_own, c.same_block ? cpu_own : cpu_visiting);
  compute_assignment<float>(own, own_global0, visiting, visiting_global0, assignment, grid, cpu, {});

  // The same walk, each tile selected as the GPU does.
  struct GpuLike : TileConsumer<float> {
    TopKAccumulator<float>& own;
    TopKAccumulator<float>& visiting;
    GpuLike(TopKAccumulator<float>& o, TopKAccumulator<float>& v) : own(o), visiting(v) {}
    void consume(const ColMatrix<float>& tile, const TilePlace& place) override {
      select_like_gpu(tile, select_shape(place, tile.rows(), tile.cols(), false), own, visiting);
    }
    void consume_transposed(const ColMatrix<float>& tile, const TilePlace& place) override {
      select_like_gpu(tile, select_shape(place, tile.cols(), tile.rows(), true), visiting, own);
    }
  } gpu(gpu_own, c.same_block ? gpu_own : gpu_visiting);
  compute_assignment<float>(own, own_global0, visiting, visiting_global0, assignment, grid, gpu, {});

  expect_same_lists(cpu_own, gpu_own);
  if (!c.same_block) expect_same_lists(cpu_visiting, gpu_visiting);
}

INSTANTIATE_TEST_SUITE_P(Tiles, SelectRow,
                         ::testing::Values(Case{37, 37, 16, 3, true, false},   // diagonal, tiles cut unevenly
                                           Case{37, 37, 64, 50, true, false},  // k > n - 1: empty slots stay empty
                                           Case{20, 33, 8, 4, false, false},   // own rows first
                                           Case{20, 33, 8, 4, false, true},    // visiting rows first: transposed
                                           Case{9, 11, 4, 30, false, true}));  // k > every side

// k larger than the rows: the list holds every other row, then empty slots
// (-inf, the empty id) in order, as TopKAccumulator's.
TEST(SelectRow, ShortRowsLeaveEmptySlots) {
  const float values[] = {0.5f, 0.25f, 0.5f};
  float scores[5];
  std::int64_t ids[5];
  select_row_topk(values, 1, 0, 3, 100, -std::numeric_limits<float>::infinity(), 5, scores, ids);
  EXPECT_EQ(std::vector<std::int64_t>(ids, ids + 5),
            (std::vector<std::int64_t>{100, 102, 101, kSelectEmptyId, kSelectEmptyId}));
  EXPECT_EQ(scores[3], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(kSelectEmptyId, TopKAccumulator<float>::kEmptyId);
}

// A zero row scores 0 with every row: it is a candidate like any other
// (no NaN), and ties at 0 go to the smaller id.
TEST(SelectRow, ZeroRowsTieAtZero) {
  const float values[] = {0.f, 0.f, 0.f, 0.f};
  float scores[2];
  std::int64_t ids[2];
  select_row_topk(values, 1, 0, 4, 10, -std::numeric_limits<float>::infinity(), 2, scores, ids);
  EXPECT_EQ(ids[0], 10);
  EXPECT_EQ(ids[1], 11);
  EXPECT_EQ(scores[0], 0.f);
  // A floor equal to a score admits it (offer rejects only what is below).
  select_row_topk(values, 1, 0, 4, 10, 0.f, 2, scores, ids);
  EXPECT_EQ(ids[1], 11);
  select_row_topk(values, 1, 0, 4, 10, 0.1f, 2, scores, ids);
  EXPECT_EQ(ids[0], kSelectEmptyId);
}

// Threshold mode: the GPU's per-column pairs are the CPU consumer's pairs,
// on a diagonal tile and on a transposed one.
TEST(SelectRow, ThresholdPairsEqualTheCpuConsumer) {
  for (const bool diagonal : {true, false}) {
    const RowMatrix<float> own = tied_rows(29, 8, 3);
    const RowMatrix<float> visiting = diagonal ? own : tied_rows(23, 8, 4);
    const std::int64_t own_global0 = diagonal ? 0 : 23, visiting_global0 = 0;
    TileAssignment assignment{0, diagonal ? 0 : 1, 0, own.rows(), 0, visiting.rows(), diagonal};
    ThresholdConsumer<float> cpu(0.5f), gpu_pairs(0.5f);
    compute_assignment<float>(own, own_global0, visiting, visiting_global0, assignment, TileGrid{8}, cpu, {});
    struct GpuLike : TileConsumer<float> {
      ThresholdConsumer<float>& out;
      explicit GpuLike(ThresholdConsumer<float>& o) : out(o) {}
      void select(const ColMatrix<float>& tile, const SelectTileShape& shape) {
        for (std::int64_t c = 0; c < shape.nc; ++c) {
          auto emit = [&](std::int64_t i, float score) { out.add(shape.row_id0 + i, shape.col_id0 + c, score); };
          select_tile_column_pairs(tile.data(), shape, c, out.threshold(), emit);
        }
      }
      void consume(const ColMatrix<float>& tile, const TilePlace& place) override {
        select(tile, select_shape(place, tile.rows(), tile.cols(), false));
      }
      void consume_transposed(const ColMatrix<float>& tile, const TilePlace& place) override {
        select(tile, select_shape(place, tile.cols(), tile.rows(), true));
      }
    } gpu(gpu_pairs);
    compute_assignment<float>(own, own_global0, visiting, visiting_global0, assignment, TileGrid{8}, gpu, {});
    const auto sorted = [](std::vector<ScoredPair<float>> pairs) {
      std::vector<std::tuple<std::int64_t, std::int64_t, float>> out;
      for (const auto& p : pairs) out.emplace_back(p.i, p.j, p.score);
      std::sort(out.begin(), out.end());
      return out;
    };
    EXPECT_FALSE(cpu.pairs().empty());
    EXPECT_EQ(sorted(cpu.pairs()), sorted(gpu_pairs.pairs())) << (diagonal ? "diagonal" : "transposed");
  }
}

}  // namespace
}  // namespace ringsim
