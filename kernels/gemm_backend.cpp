#include "kernels/gemm_backend.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>

#include "kernels/matrix.hpp"

#ifdef RINGSIM_OPENBLAS
extern "C" {
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
}
#endif

namespace ringsim {

std::string gemm_backend() {
#ifdef RINGSIM_OPENBLAS
  return std::string("openblas (") + openblas_get_corename() + " kernels)";
#else
  return std::string("eigen (") + Eigen::SimdInstructionSetsInUse() + ")";
#endif
}

void use_single_threaded_gemm() {
#ifdef RINGSIM_OPENBLAS
  if (!std::getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
#endif
}

void force_single_threaded_gemm() {
#ifdef RINGSIM_OPENBLAS
  openblas_set_num_threads(1);
#endif
}

std::string preferred_openblas_coretype() {
#ifdef RINGSIM_OPENBLAS
  if (std::getenv("OPENBLAS_CORETYPE")) return "";
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  std::string core = openblas_get_corename();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool has_avx512_kernels = core == "skylakex" || core == "cooperlake" || core == "sapphirerapids";
  if (avx512 && !has_avx512_kernels) return "SkylakeX";
#endif
  return "";
}

double measure_gemm_gflops(long rows, long cols, long depth, double seconds) {
  RowMatrix<float> a = RowMatrix<float>::Random(rows, depth);
  RowMatrix<float> b = RowMatrix<float>::Random(cols, depth);
  ColMatrix<float> c(rows, cols);
  c.noalias() = a * b.transpose();  // warm-up
  long repetitions = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    c.noalias() = a * b.transpose();
    ++repetitions;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * rows * cols * depth * repetitions / elapsed / 1e9;
}

}  // namespace ringsim
