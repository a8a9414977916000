#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace ringsim {

// Which GEMM the tiles use ("openblas (...)" or "eigen (...)"), for reports.
std::string gemm_backend();

// One rank is one core: keep OpenBLAS from starting its own thread pool
// (P ranks x N threads would oversubscribe every core), unless the user
// asked for threads with OPENBLAS_NUM_THREADS.
void use_single_threaded_gemm();
// The same whatever OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say: for ranks
// that are threads of one process (run_thread_job), where the ranks are the
// parallelism and an inherited thread count would start that many BLAS
// threads per rank. OpenBLAS's count is the process's, not the thread's.
void force_single_threaded_gemm();

// Debian's OpenBLAS 0.3.21 takes some AVX-512 CPUs (e.g. AMD Zen 4) for
// Haswell and runs AVX2 kernels at half the speed (measured here: 105 vs 202
// GFLOP/s per core). OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so
// the fix has to be in the environment before the process starts: returns
// the core type to force ("" when the user set one, or nothing is gained).
std::string preferred_openblas_coretype();

// Measured single-core GEMM rate (GFLOP/s) for products of the given shape:
// the "peak" that achieved rates are reported against.
double measure_gemm_gflops(long rows, long cols, long depth, double seconds);

// Which library runs the float32 tile GEMMs where any summation order gives
// the same results (the exact rule, tile_backend.hpp): the BLAS above
// (OpenBLAS; Eigen's own where built without it) or oneDNN's matmul.
enum class F32Gemm { openblas, onednn };
const char* name_of(F32Gemm gemm);

// RINGSIM_F32_GEMM=openblas|onednn forces one (tests, benchmarks); unset,
// empty or "auto": nullopt, measure. Any other value throws InputError.
std::optional<F32Gemm> forced_f32_gemm();

// Both GEMMs' single-core rates (GFLOP/s) on rows x cols x depth products
// of unit rows, the tile's shape and layout: `rounds` alternations of about
// `seconds` each per GEMM, the best round of each, so that a burst of load
// from another process slows one round, not one GEMM's figure. onednn is 0
// where oneDNN is not built.
struct F32GemmRates {
  double openblas = 0, onednn = 0;
};
F32GemmRates measure_f32_gemms(std::int64_t rows, std::int64_t cols, std::int64_t depth, int rounds, double seconds);

// The rule: the faster of the two measured rates; a tie, or no oneDNN
// rate, keeps the BLAS.
F32Gemm faster_f32_gemm(const F32GemmRates& rates);

}  // namespace ringsim
