// The float32 GEMM under the exact rule (tile_backend.hpp, F32GemmChoice):
// the rule picks the faster measured rate, RINGSIM_F32_GEMM forces one, a
// rank too small to repay the timing keeps the BLAS, and oneDNN's float32
// product is the BLAS's up to summation order.
#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "kernels/gemm_backend.hpp"
#include "kernels/normalize.hpp"
#include "kernels/onednn_gemm.hpp"
#include "kernels/tile_backend.hpp"
#include "tests/reference.hpp"
#include "tests/scoped_env.hpp"

using namespace ringsim;
using namespace ringsim::testing;

TEST(TileGemmChoice, RulePicksTheFasterRateAndKeepsTheBlasOnATie) {
  EXPECT_EQ(faster_f32_gemm({180.0, 195.0}), F32Gemm::onednn);
  EXPECT_EQ(faster_f32_gemm({195.0, 180.0}), F32Gemm::openblas);
  EXPECT_EQ(faster_f32_gemm({190.0, 190.0}), F32Gemm::openblas);
  EXPECT_EQ(faster_f32_gemm({190.0, 0.0}), F32Gemm::openblas);  // no oneDNN built
}

TEST(TileGemmChoice, EnvironmentForcesOneOrMeasures) {
  {
    ScopedEnv env("RINGSIM_F32_GEMM", "onednn");
    EXPECT_EQ(forced_f32_gemm(), F32Gemm::onednn);
  }
  {
    ScopedEnv env("RINGSIM_F32_GEMM", "openblas");
    EXPECT_EQ(forced_f32_gemm(), F32Gemm::openblas);
  }
  {
    ScopedEnv env("RINGSIM_F32_GEMM", "auto");
    EXPECT_EQ(forced_f32_gemm(), std::nullopt);
  }
  ScopedEnv env("RINGSIM_F32_GEMM", "mkl");
  EXPECT_THROW(forced_f32_gemm(), InputError);
  // Refused when the backend is made, before any row is read.
  EXPECT_THROW(CpuTileBackend<float>(TileRule{true}), InputError);
  // Only the exact float32 rule reads it.
  EXPECT_NO_THROW(CpuTileBackend<float>(TileRule{}));
  EXPECT_NO_THROW(CpuTileBackend<double>(TileRule{true}));
}

TEST(TileGemmChoice, OnednnFloat32ProductIsTheBlasOneUpToSummationOrder) {
  if (!onednn_available()) GTEST_SKIP() << "built without oneDNN";
  RowMatrix<float> a = random_matrix(37, 300, 1), b = random_matrix(29, 300, 2);
  normalize_rows(a);
  normalize_rows(b);
  // Rows 3..33 of a against rows 5..25 of b, as a tile reads them.
  const ColMatrix<float> blas = a.middleRows(3, 30) * b.middleRows(5, 20).transpose();
  ColMatrix<float> onednn(30, 20);  // column-major: b x a^T row-major
  OnednnGemm gemm(OnednnInput::float32);
  gemm.multiply(b, 5, 20, a, 3, 30, onednn.data());
  // Unit rows, 300 terms: float32 summation orders differ by < 300 * 2^-24.
  EXPECT_LT((blas - onednn).cwiseAbs().maxCoeff(), 300.0f / (1 << 24));
  EXPECT_GT(onednn.cwiseAbs().maxCoeff(), 0.1f);
  EXPECT_THROW(gemm.multiply(Bf16Rows{}, 0, 0, Bf16Rows{}, 0, 0, onednn.data()), Error);
}

// What a backend chose, after uploading `rows` rows of `cols` columns.
F32GemmChoice choice_for(std::int64_t rows, std::int64_t cols) {
  CpuTileBackend<float> backend(TileRule{true}, 512);
  const RowMatrix<float> x = random_matrix(rows, cols, 3);
  backend.upload_own(x);
  return backend.rule_report().value().float32_gemm.value();
}

TEST(TileGemmChoice, SmallRankKeepsTheBlasLargeOneTimesBoth) {
  ScopedEnv env("RINGSIM_F32_GEMM", "auto");
  const F32GemmChoice small = choice_for(500, 256);
  EXPECT_EQ(small.gemm, F32Gemm::openblas);
  EXPECT_EQ(small.by, onednn_available() ? "small block" : "no onednn");
  if (!onednn_available()) return;
  // 20000 x 256: rows^2 x d = 1.02e11 flops, worth 2 x 50 ms of timing.
  const F32GemmChoice large = choice_for(20000, 256);
  EXPECT_EQ(large.by, "measured");
  EXPECT_GT(large.rates.openblas, 0.0);
  EXPECT_GT(large.rates.onednn, 0.0);
  EXPECT_EQ(large.gemm, faster_f32_gemm(large.rates));
}

TEST(TileGemmChoice, ForcedChoiceIsReportedAsForced) {
  if (!onednn_available()) GTEST_SKIP() << "built without oneDNN";
  ScopedEnv env("RINGSIM_F32_GEMM", "onednn");
  const F32GemmChoice forced = choice_for(40, 16);
  EXPECT_EQ(forced.gemm, F32Gemm::onednn);
  EXPECT_EQ(forced.by, "forced");
}
