#include "bench/bench_gemm.hpp"

#include <fmt/format.h>

#include <chrono>

#include "kernels/gemm_backend.hpp"
#include "kernels/normalize.hpp"
#include "kernels/tile_kernel.hpp"

namespace ringsim {

void run_gemm_bench(const GemmBenchOptions& options) {
  use_single_threaded_gemm();
  const double peak = measure_gemm_gflops(options.tile, options.tile, options.depth, options.seconds);
  // The same products through the tile kernel with top-k selection.
  RowMatrix<float> own = RowMatrix<float>::Random(options.tile, options.depth);
  RowMatrix<float> visiting = RowMatrix<float>::Random(options.tile, options.depth);
  normalize_rows(own);
  normalize_rows(visiting);
  TopKAccumulator<float> own_acc(options.tile, options.k), visiting_acc(options.tile, options.k);
  TopKConsumer<float> consumer(own_acc, visiting_acc);
  TileAssignment assignment{0, 1, 0, options.tile, 0, options.tile, false};
  std::int64_t entries = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    entries += compute_assignment<float>(own, 0, visiting, options.tile, assignment, {options.tile, options.tile},
                                         consumer, {});
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < options.seconds);
  const double fused = 2.0 * static_cast<double>(entries) * options.depth / elapsed / 1e9;
  fmt::print("gemm_backend={}\n", gemm_backend());
  fmt::print("gemm_shape={}x{}x{}\n", options.tile, options.tile, options.depth);
  fmt::print("gemm_peak_gflops={:.2f}\n", peak);
  fmt::print("gemm_fused_topk_gflops={:.2f}\n", fused);
  fmt::print("selection_overhead_fraction={:.4f}\n", 1.0 - fused / peak);
}

}  // namespace ringsim
