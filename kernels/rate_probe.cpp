#include "kernels/rate_probe.hpp"

#include <chrono>

#include "kernels/normalize.hpp"
#include "kernels/tile_kernel.hpp"
#include "kernels/topk.hpp"

namespace ringsim {

double measure_fused_topk_gflops(std::int64_t tile, std::int64_t depth, int k, double seconds) {
  RowMatrix<float> own = RowMatrix<float>::Random(tile, depth);
  RowMatrix<float> visiting = RowMatrix<float>::Random(tile, depth);
  normalize_rows(own);
  normalize_rows(visiting);
  TopKAccumulator<float> own_acc(tile, k), visiting_acc(tile, k);
  TopKConsumer<float> consumer(own_acc, visiting_acc);
  const TileAssignment assignment{0, 1, 0, tile, 0, tile, false};
  std::int64_t entries = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    entries += compute_assignment<float>(own, 0, visiting, tile, assignment, TileGrid{tile}, consumer, {});
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * static_cast<double>(entries) * static_cast<double>(depth) / elapsed / 1e9;
}

}  // namespace ringsim
