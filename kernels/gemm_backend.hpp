#pragma once
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

}  // namespace ringsim
