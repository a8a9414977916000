#pragma once
// `ringsim bench gemm`: the single-core GEMM rate for ringsim's tile shape
// (the "peak" reports compare against), and the same tiles with fused top-k
// selection, so the cost of selection is measured, not guessed; and the two
// float32 GEMMs the exact rule picks from (OpenBLAS, oneDNN), side by side.
#include <cstdint>

namespace ringsim {

struct GemmBenchOptions {
  std::int64_t tile = 1024;
  std::int64_t depth = 256;
  int k = 10;
  double seconds = 2.0;
};

void run_gemm_bench(const GemmBenchOptions& options);

}  // namespace ringsim
