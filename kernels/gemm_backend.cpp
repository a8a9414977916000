#include "kernels/gemm_backend.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "common/errors.hpp"
#include "kernels/matrix.hpp"
#include "kernels/normalize.hpp"
#include "kernels/onednn_gemm.hpp"

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

namespace {

// GFLOP/s of `product` (`flops` each) repeated for about `seconds` (once at
// least).
template <class Product>
double timed_rate(double flops, double seconds, const Product& product) {
  long products = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    product();
    ++products;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return flops * static_cast<double>(products) / elapsed / 1e9;
}

}  // namespace

double measure_gemm_gflops(long rows, long cols, long depth, double seconds) {
  RowMatrix<float> a = RowMatrix<float>::Random(rows, depth);
  RowMatrix<float> b = RowMatrix<float>::Random(cols, depth);
  ColMatrix<float> c(rows, cols);
  const auto product = [&] { c.noalias() = a * b.transpose(); };
  product();  // warm-up
  return timed_rate(2.0 * static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(depth), seconds,
                    product);
}

const char* name_of(F32Gemm gemm) { return gemm == F32Gemm::onednn ? "onednn" : "openblas"; }

std::optional<F32Gemm> forced_f32_gemm() {
  const char* value = std::getenv("RINGSIM_F32_GEMM");
  const std::string_view name = value ? value : "";
  if (name.empty() || name == "auto") return std::nullopt;
  if (name == "openblas") return F32Gemm::openblas;
  if (name == "onednn") return F32Gemm::onednn;
  throw InputError("RINGSIM_F32_GEMM=" + std::string(name) + ": expected openblas, onednn or auto");
}

F32GemmRates measure_f32_gemms(std::int64_t rows, std::int64_t cols, std::int64_t depth, int rounds, double seconds) {
  RowMatrix<float> a = RowMatrix<float>::Random(rows, depth);
  RowMatrix<float> b = RowMatrix<float>::Random(cols, depth);
  normalize_rows(a);
  normalize_rows(b);
  // The tile's layouts: column-major for the BLAS, whose transpose is the
  // row-major product oneDNN writes (tile_backend.cpp).
  ColMatrix<float> tile(rows, cols);
  std::optional<OnednnGemm> onednn;
  if (onednn_available()) onednn.emplace(OnednnInput::float32);
  const auto blas_product = [&] { tile.noalias() = a * b.transpose(); };
  const auto onednn_product = [&] { onednn->multiply(b, 0, cols, a, 0, rows, tile.data()); };
  const double flops = 2.0 * static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(depth);
  // Warm-up: the BLAS's buffers, oneDNN's primitive (made on first use).
  blas_product();
  if (onednn) onednn_product();
  F32GemmRates best;
  for (int round = 0; round < rounds; ++round) {
    best.openblas = std::max(best.openblas, timed_rate(flops, seconds, blas_product));
    if (onednn) best.onednn = std::max(best.onednn, timed_rate(flops, seconds, onednn_product));
  }
  return best;
}

F32Gemm faster_f32_gemm(const F32GemmRates& rates) {
  return rates.onednn > rates.openblas ? F32Gemm::onednn : F32Gemm::openblas;
}

}  // namespace ringsim
