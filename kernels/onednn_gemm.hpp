#pragma once
// oneDNN's matmul on bfloat16 or float32 rows, float32 accumulation and
// output (brgemm kernels; bfloat16 natively with AVX512_BF16 / AMX,
// emulated on plain AVX-512 otherwise). The exact rule's tiles use it for
// --precision bfloat16, and for float32 where it outruns the BLAS
// (gemm_backend.hpp). Built where libdnnl-dev is found (RINGSIM_ONEDNN);
// elsewhere making a gemm throws InputError.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/matrix.hpp"

namespace ringsim {

// Rows in bfloat16 (row-major), rounded to nearest, ties to even, from
// float32; converted once per block, not per tile.
struct Bf16Rows {
  std::vector<std::uint16_t> values;
  std::int64_t rows = 0, cols = 0;
  const std::uint16_t* row(std::int64_t r) const { return values.data() + r * cols; }
};
void to_bfloat16(const RowMatrix<float>& rows, Bf16Rows& out);
float bfloat16_value(std::uint16_t bits);
// Per row, |bf16 copy - row| (Euclidean), rounded up: each row's share of
// the error bound (score_bound.hpp's row_term).
std::vector<double> bfloat16_residual_norms(const RowMatrix<float>& rows, const Bf16Rows& copy);
// The GEMM operand of a bfloat16 job: `rows` normalised (normalize_rows),
// then rounded, a chunk of rows at a time, so that no float32 copy of the
// block is kept; returns each row's residual norm as above.
std::vector<double> normalised_bfloat16(const RowMatrix<float>& rows, Bf16Rows& out);

// Whether oneDNN runs bfloat16 natively here (AVX512_BF16 or AMX), and the
// instruction set it reports, for logs ("avx512_core_bf16", ...).
bool onednn_native_bfloat16();
std::string onednn_isa_name();
bool onednn_available();

// What a OnednnGemm multiplies.
enum class OnednnInput { bfloat16, float32 };

class OnednnGemm {
 public:
  explicit OnednnGemm(OnednnInput input);
  ~OnednnGemm();
  OnednnGemm(const OnednnGemm&) = delete;
  OnednnGemm& operator=(const OnednnGemm&) = delete;
  OnednnInput input() const { return input_; }
  // out (ra x rb, row-major, float32) = a rows [a0, a0 + ra) times the
  // transpose of b rows [b0, b0 + rb). One primitive per (ra, rb, cols),
  // made on first use and kept. The rows' type must be input()'s.
  void multiply(const Bf16Rows& a, std::int64_t a0, std::int64_t ra, const Bf16Rows& b, std::int64_t b0,
                std::int64_t rb, float* out);
  void multiply(const RowMatrix<float>& a, std::int64_t a0, std::int64_t ra, const RowMatrix<float>& b, std::int64_t b0,
                std::int64_t rb, float* out);

 private:
  struct Impl;
  // The product of ra rows and rb rows of `cols` values each, starting at
  // a and b, stored row after row; `a` and `b` hold input()'s type.
  void run(const void* a, std::int64_t ra, const void* b, std::int64_t rb, std::int64_t cols, float* out);
  OnednnInput input_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringsim
