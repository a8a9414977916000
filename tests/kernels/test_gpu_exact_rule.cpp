// The CUDA backend's exact rule (kernels/cuda/cuda_backend.cpp) run here by
// the host compiler: a backend that does what the GPU does with each tile
// (a GEMM on bfloat16 copies of the unit rows, float32 accumulation; the
// candidates nominated by select_row.hpp's code with that GEMM's bound;
// offer_candidates re-scoring them) decides exactly as the CPU backend's
// float32 exact rule, on rows built to tie and to lie within 1e-6 of each
// other, diagonal, across and transposed, top-k and threshold.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/exact_rescore.hpp"
#include "kernels/normalize.hpp"
#include "kernels/score_bound.hpp"
#include "kernels/select_row.hpp"
#include "kernels/tile_backend.hpp"
#include "kernels/tile_kernel.hpp"
#include "tests/kernels/same_topk_lists.hpp"

namespace ringsim {
namespace {

// x rounded to nearest even at 8 significant bits, as __float2bfloat16_rn.
float to_bfloat16_value(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  bits &= 0xffff0000u;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

// Rows as given: a few prototypes, their copies, copies scaled by powers of
// two, near copies (1e-6 and 3e-3 apart) and zero rows, in an order drawn by `seed`
// (the prototypes are the same for every seed, so two blocks share them).
RowMatrix<float> adversarial_rows(std::int64_t n, std::int64_t d, unsigned seed) {
  std::mt19937 random(7);
  std::normal_distribution<float> gauss;
  RowMatrix<float> prototypes(5, d);
  for (std::int64_t i = 0; i < prototypes.size(); ++i) prototypes.data()[i] = gauss(random);
  random.seed(seed);
  RowMatrix<float> rows(n, d);
  for (std::int64_t r = 0; r < n; ++r) {
    rows.row(r) = prototypes.row(random() % 5);
    switch (random() % 6) {
      case 0:
        rows.row(r) *= 4.0f;
        break;
      case 1:
        for (std::int64_t c = 0; c < d; ++c) rows(r, c) *= 1 + 1e-6f * gauss(random);
        break;
      case 3:  // within bfloat16's error: the fast order is not the exact one
        for (std::int64_t c = 0; c < d; ++c) rows(r, c) *= 1 + 3e-3f * gauss(random);
        break;
      case 2:
        if (r % 7 == 6) rows.row(r).setZero();
        break;
      default:
        break;
    }
  }
  return rows;
}

// What CudaTileBackend does under the exact rule with bfloat16, on the host.
class GpuLikeBackend final : public TileBackend<float> {
 public:
  std::string name() const override { return "gpu-like"; }
  void upload_own(const RowMatrix<float>& rows) override {
    prepare(rows, own_);
    rescore_.set_own(rows);
  }
  void upload_visiting(const RowMatrix<float>& rows) override {
    prepare(rows, visiting_);
    rescore_.set_visiting(rows);
  }
  void tile(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first,
            TileConsumer<float>& consumer) override {
    consumer.set_rescore(&rescore_);
    const SelectTileShape shape = select_shape(place, m, nc, visiting_first);
    const auto own = own_.middleRows(place.own_local, m), visiting = visiting_.middleRows(place.visiting_local, nc);
    ColMatrix<float> tile =
        visiting_first ? ColMatrix<float>(visiting * own.transpose()) : ColMatrix<float>(own * visiting.transpose());
    std::vector<SelectCandidate> found;
    auto emit = [&](std::int64_t i, std::int64_t j, bool column_list) {
      found.push_back({static_cast<std::int32_t>(i), static_cast<std::int32_t>(j), column_list ? 1 : 0});
    };
    if (auto* topk = dynamic_cast<TopKConsumer<float>*>(&consumer)) {
      nominate_topk(tile, shape, visiting_first ? topk->visiting_lists() : topk->own_lists(),
                    visiting_first ? topk->own_lists() : topk->visiting_lists(), emit);
    } else {
      const float bar = dynamic_cast<ThresholdConsumer<float>&>(consumer).exact_bar();
      for (std::int64_t c = 0; c < shape.nc; ++c) {
        auto column = [&](std::int64_t i, float) { emit(i, c, false); };
        select_tile_column_pairs(tile.data(), shape, c, bar, column);
      }
    }
    offer_candidates(shape, place, visiting_first, found.data(), static_cast<std::int64_t>(found.size()), consumer);
  }

 private:
  static void prepare(const RowMatrix<float>& given, RowMatrix<float>& unit) {
    unit = given;
    normalize_rows(unit);
    for (std::int64_t i = 0; i < unit.size(); ++i) unit.data()[i] = to_bfloat16_value(unit.data()[i]);
  }
  template <class Emit>
  void nominate_topk(const ColMatrix<float>& tile, const SelectTileShape& shape, const TopKAccumulator<float>& rows,
                     const TopKAccumulator<float>& columns, Emit& emit) {
    const int k = rows.k();
    std::vector<float> floors(rows.kth_scores() + shape.row_local, rows.kth_scores() + shape.row_local + shape.m);
    floors.insert(floors.end(), columns.kth_scores() + shape.col_local,
                  columns.kth_scores() + shape.col_local + shape.nc);
    std::vector<float> scratch(static_cast<std::size_t>(k));
    std::vector<std::int64_t> scratch_ids(static_cast<std::size_t>(k));
    const float bound = static_cast<float>(rescore_.bound());
    for (std::int64_t list = 0; list < shape.m + shape.nc; ++list)
      select_tile_list_candidates(tile.data(), shape, list, floors.data(), floors.data() + shape.m, k,
                                  static_cast<float>(2 * rescore_.bound() + kCandidateRoundingSlack),
                                  static_cast<float>(bound + kCandidateRoundingSlack), scratch.data(),
                                  scratch_ids.data(), emit);
  }

  ExactRescore<float> rescore_{score_bound(GemmPrecision::bfloat16_tensor_cores, 6)};
  RowMatrix<float> own_, visiting_;
};

struct Case {
  std::int64_t n_own, n_visiting, edge;
  int k;
  bool same_block, visiting_first;
};

class GpuExactRule : public ::testing::TestWithParam<Case> {};

// One assignment through the CPU's exact float32 rule and the GPU's rule.
template <class Consumer, class Make>
void run_both(const Case& c, Make make, std::function<void(Consumer&, Consumer&)> compare) {
  constexpr std::int64_t kCols = 6;
  const RowMatrix<float> own = adversarial_rows(c.n_own, kCols, 1);
  const RowMatrix<float> visiting = c.same_block ? own : adversarial_rows(c.n_visiting, kCols, 2);
  const std::int64_t own_global0 = c.visiting_first ? c.n_visiting : 0;
  const std::int64_t visiting_global0 = c.same_block ? own_global0 : c.visiting_first ? 0 : c.n_own;
  const TileAssignment assignment{0, c.same_block ? 0 : 1, 0, own.rows(), 0, visiting.rows(), c.same_block};
  CpuTileBackend<float> cpu(TileRule{true, false});
  GpuLikeBackend gpu;
  std::optional<Consumer> results[2];
  TileBackend<float>* backends[2] = {&cpu, &gpu};
  for (int b = 0; b < 2; ++b) {
    backends[b]->upload_own(own);
    backends[b]->upload_visiting(c.same_block ? own : visiting);
    Consumer& consumer = make(results[b]);
    compute_assignment<float>(*backends[b], own_global0, visiting_global0, assignment, TileGrid{c.edge}, consumer, {});
  }
  compare(*results[0], *results[1]);
}

struct TopKRun {
  TopKAccumulator<float> own, visiting;
  TopKConsumer<float> consumer;
  TopKRun(std::int64_t n_own, std::int64_t n_visiting, int k, bool same)
      : own(n_own, k), visiting(n_visiting, k), consumer(own, same ? own : visiting) {}
};

TEST_P(GpuExactRule, TopKListsEqualTheCpuExactRule) {
  const Case c = GetParam();
  std::optional<TopKRun> runs[2];
  int made = 0;
  run_both<TopKConsumer<float>>(
      c,
      [&](std::optional<TopKConsumer<float>>&) -> TopKConsumer<float>& {
        runs[made].emplace(c.n_own, c.same_block ? c.n_own : c.n_visiting, c.k, c.same_block);
        return runs[made++]->consumer;
      },
      [](TopKConsumer<float>&, TopKConsumer<float>&) {});
  expect_same_lists(runs[0]->own, runs[1]->own);
  if (!c.same_block) expect_same_lists(runs[0]->visiting, runs[1]->visiting);
}

TEST_P(GpuExactRule, ThresholdPairsEqualTheCpuExactRule) {
  const Case c = GetParam();
  for (const double threshold : {1.0, 0.9999995, 0.3}) {
    std::vector<std::tuple<std::int64_t, std::int64_t, float>> pairs[2];
    int made = 0;
    run_both<ThresholdConsumer<float>>(
        c,
        [&](std::optional<ThresholdConsumer<float>>& slot) -> ThresholdConsumer<float>& {
          return slot.emplace(threshold);
        },
        [&](ThresholdConsumer<float>& a, ThresholdConsumer<float>& b) {
          for (ThresholdConsumer<float>* consumer : {&a, &b}) {
            for (const auto& p : consumer->pairs()) pairs[made].emplace_back(p.i, p.j, p.score);
            std::sort(pairs[made].begin(), pairs[made].end());
            ++made;
          }
        });
    EXPECT_FALSE(pairs[0].empty()) << threshold;
    EXPECT_EQ(pairs[0], pairs[1]) << "threshold " << threshold;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiles, GpuExactRule,
                         ::testing::Values(Case{61, 61, 16, 3, true, false},   // diagonal, tiles cut unevenly
                                           Case{37, 37, 64, 50, true, false},  // k > n - 1
                                           Case{40, 53, 8, 5, false, false},   // own rows first
                                           Case{40, 53, 8, 5, false, true},    // visiting rows first: transposed
                                           Case{9, 11, 4, 30, false, true}));  // k > every side

}  // namespace
}  // namespace ringsim
