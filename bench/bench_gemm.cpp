#include "bench/bench_gemm.hpp"

#include <fmt/format.h>

#include "kernels/gemm_backend.hpp"
#include "kernels/rate_probe.hpp"

namespace ringsim {

void run_gemm_bench(const GemmBenchOptions& options) {
  use_single_threaded_gemm();
  const double peak = measure_gemm_gflops(options.tile, options.tile, options.depth, options.seconds);
  // The same products through the tile kernel with top-k selection.
  const double fused = measure_fused_topk_gflops(options.tile, options.depth, options.k, options.seconds);
  fmt::print("gemm_backend={}\n", gemm_backend());
  fmt::print("gemm_shape={}x{}x{}\n", options.tile, options.tile, options.depth);
  fmt::print("gemm_peak_gflops={:.2f}\n", peak);
  fmt::print("gemm_fused_topk_gflops={:.2f}\n", fused);
  fmt::print("selection_overhead_fraction={:.4f}\n", 1.0 - fused / peak);
  // The float32 GEMMs the exact rule chooses between (tile_backend.hpp),
  // alternating in rounds of a tenth of --seconds, best round of each.
  const F32GemmRates rates = measure_f32_gemms(options.tile, options.tile, options.depth, 10, options.seconds / 10);
  fmt::print("gemm_f32_openblas_gflops={:.2f}\n", rates.openblas);
  fmt::print("gemm_f32_onednn_gflops={:.2f}\n", rates.onednn);
  fmt::print("gemm_f32_faster={}\n", name_of(faster_f32_gemm(rates)));
}

}  // namespace ringsim
