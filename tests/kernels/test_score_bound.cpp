// The bound B of kernels/score_bound.hpp holds for what the kernels really
// compute: each GEMM (float32 by Eigen / OpenBLAS, float64, bfloat16 by
// oneDNN) on rows normalised by normalize_rows, against the canonical score
// of the rows as given, on random and worst-case rows from d = 3 to 4096.
// And the canonical score's promises: copies score exactly 1, zero rows 0.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/exact_rescore.hpp"
#include "kernels/normalize.hpp"
#include "kernels/onednn_gemm.hpp"
#include "kernels/score_bound.hpp"

using namespace ringsim;

namespace {

// Rows that push each error term: random Gaussian; all entries equal (every
// product the same sign, so rounding errors add up); alternating signs with
// one large entry (cancellation); magnitudes from 1e-30 to 1e30 in one row
// (subnormal components after normalisation); near copies of row 0 and
// exact copies; a one-hot row.
RowMatrix<float> worst_case_rows(std::int64_t d, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> gauss;
  std::uniform_real_distribution<float> exponent(-30, 30);
  const std::int64_t n = 12;
  RowMatrix<float> x(n, d);
  for (std::int64_t c = 0; c < d; ++c) {
    x(0, c) = gauss(random);
    x(1, c) = x(0, c) * (1 + 1e-6f * gauss(random));
    x(2, c) = x(0, c);
    x(3, c) = 0.1f;
    x(4, c) = c % 2 ? -0.3f : 0.3f + 1e-3f * gauss(random);
    x(5, c) = c == 0 ? 1e3f : (c % 2 ? -1.0f : 1.0f);
    x(6, c) = gauss(random) * std::pow(10.0f, exponent(random));
    x(7, c) = x(6, c) * 4;
    x(8, c) = c == d / 2 ? 1.0f : 0.0f;
    x(9, c) = std::abs(gauss(random));
    x(10, c) = gauss(random) * 1e-30f;
    x(11, c) = gauss(random) * 1e30f;
  }
  return x;
}

RowMatrix<float> random_rows(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> gauss;
  RowMatrix<float> x(n, d);
  for (std::int64_t i = 0; i < x.size(); ++i) x.data()[i] = gauss(random) + (i % 3 == 0 ? 0.5f : 0.0f);
  return x;
}

// The largest |fast - canonical| over all pairs of x, and its B.
struct Worst {
  double error = 0, bound = 0;
};

template <class Scalar>
Worst float_gemm_error(const RowMatrix<float>& given, GemmPrecision precision) {
  RowMatrix<Scalar> raw = given.cast<Scalar>();
  RowMatrix<Scalar> unit = raw;
  normalize_rows(unit);
  const ColMatrix<Scalar> fast = unit * unit.transpose();
  Worst worst{0, score_bound(precision, given.cols())};
  for (std::int64_t i = 0; i < raw.rows(); ++i)
    for (std::int64_t j = 0; j < raw.rows(); ++j) {
      const double c = canonical_cosine(raw.row(i).data(), raw.row(j).data(), raw.cols());
      worst.error = std::max(worst.error, std::abs(static_cast<double>(fast(i, j)) - c));
    }
  return worst;
}

Worst bfloat16_gemm_error(const RowMatrix<float>& given) {
  RowMatrix<float> unit = given;
  normalize_rows(unit);
  Bf16Rows bf16;
  to_bfloat16(unit, bf16);
  std::vector<float> fast(static_cast<std::size_t>(given.rows() * given.rows()));
  OnednnGemm gemm(OnednnInput::bfloat16);
  gemm.multiply(bf16, 0, given.rows(), bf16, 0, given.rows(), fast.data());
  Worst worst{0, score_bound(GemmPrecision::bfloat16, given.cols())};
  for (std::int64_t i = 0; i < given.rows(); ++i)
    for (std::int64_t j = 0; j < given.rows(); ++j) {
      const double c = canonical_cosine(given.row(i).data(), given.row(j).data(), given.cols());
      worst.error = std::max(worst.error, std::abs(static_cast<double>(fast[i * given.rows() + j]) - c));
    }
  return worst;
}

// The sharper bound per pair for the bfloat16 GEMM: |fast - canonical| <=
// pair_bound + row_term(x) + row_term(y), each row's term from its own
// rounding residual. Returns the largest ratio of error to that bound (at
// most 1 where it holds) with the row terms scaled by `term_scale`.
double bfloat16_pair_bound_ratio(const RowMatrix<float>& given, double term_scale) {
  RowMatrix<float> unit = given;
  normalize_rows(unit);
  Bf16Rows bf16;
  to_bfloat16(unit, bf16);
  std::vector<double> terms = bfloat16_residual_norms(unit, bf16);
  for (double& t : terms) t = term_scale * row_term(GemmPrecision::bfloat16, given.cols(), t);
  std::vector<float> fast(static_cast<std::size_t>(given.rows() * given.rows()));
  OnednnGemm gemm(OnednnInput::bfloat16);
  gemm.multiply(bf16, 0, given.rows(), bf16, 0, given.rows(), fast.data());
  const double pair = pair_bound(GemmPrecision::bfloat16, given.cols());
  double ratio = 0;
  for (std::int64_t i = 0; i < given.rows(); ++i)
    for (std::int64_t j = 0; j < given.rows(); ++j) {
      const double c = canonical_cosine(given.row(i).data(), given.row(j).data(), given.cols());
      const double error = std::abs(static_cast<double>(fast[i * given.rows() + j]) - c);
      ratio = std::max(ratio, error / (pair + terms[i] + terms[j]));
    }
  return ratio;
}

// The GPU's tensor-core GEMMs as the host can mimic them: unit rows with
// `dropped` low mantissa bits cut (TF32: 13, the conversion the bound
// assumes) or rounded to nearest even (bfloat16: 16), products summed in
// float32. Not the tensor cores themselves (no GPU here): a check that the
// conversion terms of the bound are large enough.
Worst rounded_copy_gemm_error(const RowMatrix<float>& given, int dropped, bool nearest, GemmPrecision precision) {
  RowMatrix<float> unit = given;
  normalize_rows(unit);
  for (std::int64_t i = 0; i < unit.size(); ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, unit.data() + i, sizeof bits);
    if (nearest) bits += (1u << (dropped - 1)) - 1 + ((bits >> dropped) & 1u);
    bits &= ~((1u << dropped) - 1);
    std::memcpy(unit.data() + i, &bits, sizeof bits);
  }
  const ColMatrix<float> fast = unit * unit.transpose();
  Worst worst{0, score_bound(precision, given.cols())};
  for (std::int64_t i = 0; i < given.rows(); ++i)
    for (std::int64_t j = 0; j < given.rows(); ++j) {
      const double c = canonical_cosine(given.row(i).data(), given.row(j).data(), given.cols());
      worst.error = std::max(worst.error, std::abs(static_cast<double>(fast(i, j)) - c));
    }
  return worst;
}

const std::int64_t kWidths[] = {3, 4, 7, 31, 64, 256, 257, 1000, 4096};

}  // namespace

TEST(ScoreBound, HoldsForFloat32AndFloat64Gemms) {
  for (const std::int64_t d : kWidths)
    for (const std::uint64_t seed : {1, 2}) {
      for (const auto& x : {worst_case_rows(d, seed), random_rows(40, d, seed)}) {
        const Worst f32 = float_gemm_error<float>(x, GemmPrecision::float32);
        EXPECT_LE(f32.error, f32.bound) << "float32 d=" << d;
        const Worst f64 = float_gemm_error<double>(x, GemmPrecision::float64);
        EXPECT_LE(f64.error, f64.bound) << "float64 d=" << d;
      }
    }
}

TEST(ScoreBound, HoldsForTheBfloat16Gemm) {
  if (!onednn_available()) GTEST_SKIP() << "built without oneDNN";
  for (const std::int64_t d : kWidths)
    for (const std::uint64_t seed : {1, 2})
      for (const auto& x : {worst_case_rows(d, seed), random_rows(40, d, seed)}) {
        const Worst w = bfloat16_gemm_error(x);
        EXPECT_LE(w.error, w.bound) << "bfloat16 d=" << d;
        // Not vacuous: bfloat16 really errs by more than float32's bound.
        if (d == 256 && x.rows() == 40) {
          EXPECT_GT(w.error, score_bound(GemmPrecision::float32, d));
        }
      }
}

TEST(ScoreBound, PairBoundHoldsForTheBfloat16Gemm) {
  if (!onednn_available()) GTEST_SKIP() << "built without oneDNN";
  double tightest = 0;
  for (const std::int64_t d : kWidths)
    for (const std::uint64_t seed : {1, 2, 3})
      for (const auto& x : {worst_case_rows(d, seed), random_rows(60, d, seed)}) {
        const double ratio = bfloat16_pair_bound_ratio(x, 1);
        EXPECT_LE(ratio, 1) << "bfloat16 d=" << d << " seed=" << seed;
        tightest = std::max(tightest, ratio);
      }
  // Not vacuous: with the row terms a fifth of what they are, some pair errs
  // beyond the bound (the terms carry the rounding of the inputs).
  double cut = 0;
  for (const std::uint64_t seed : {1, 2, 3})
    cut = std::max(cut, bfloat16_pair_bound_ratio(random_rows(60, 256, seed), 0.2));
  EXPECT_GT(cut, 1);
  EXPECT_GT(tightest, 0.2);
}

// Typical rows round by much less than the worst case: their terms, and so
// the per-pair bound, are well below B (what makes it worth having).
TEST(ScoreBound, RowTermsOfTypicalRowsAreFarBelowTheWorstCase) {
  if (!onednn_available()) GTEST_SKIP() << "built without oneDNN";
  RowMatrix<float> unit = random_rows(200, 256, 7);
  normalize_rows(unit);
  Bf16Rows bf16;
  to_bfloat16(unit, bf16);
  double largest = 0;
  for (const double e : bfloat16_residual_norms(unit, bf16))
    largest = std::max(largest, row_term(GemmPrecision::bfloat16, 256, e));
  const double b = score_bound(GemmPrecision::bfloat16, 256);
  EXPECT_LT(pair_bound(GemmPrecision::bfloat16, 256) + 2 * largest, 0.6 * b);
  EXPECT_EQ(pair_bound(GemmPrecision::float32, 256), score_bound(GemmPrecision::float32, 256));
}

// The backend's one-pass conversion (no float32 copy of the block) gives
// the copies and residuals that the bound tests above check.
TEST(ScoreBound, OnePassConversionEqualsNormaliseThenRound) {
  for (const std::int64_t d : {3, 256, 1000}) {
    const RowMatrix<float> x = random_rows(700, d, 9);  // more rows than one chunk
    RowMatrix<float> unit = x;
    normalize_rows(unit);
    Bf16Rows expected, got;
    to_bfloat16(unit, expected);
    const std::vector<double> residuals = normalised_bfloat16(x, got);
    EXPECT_EQ(got.values, expected.values) << "d=" << d;
    EXPECT_EQ(residuals, bfloat16_residual_norms(unit, expected)) << "d=" << d;
  }
}

TEST(ScoreBound, HoldsForTensorCoreCopies) {
  for (const std::int64_t d : kWidths)
    for (const std::uint64_t seed : {1, 2})
      for (const auto& x : {worst_case_rows(d, seed), random_rows(40, d, seed)}) {
        const Worst tf32 = rounded_copy_gemm_error(x, 13, false, GemmPrecision::tf32);
        EXPECT_LE(tf32.error, tf32.bound) << "tf32 d=" << d;
        const Worst bf16 = rounded_copy_gemm_error(x, 16, true, GemmPrecision::bfloat16_tensor_cores);
        EXPECT_LE(bf16.error, bf16.bound) << "bfloat16 tensor cores d=" << d;
        // Not vacuous: TF32 copies err by more than float32's bound.
        if (d == 256 && x.rows() == 40) {
          EXPECT_GT(tf32.error, score_bound(GemmPrecision::float32, d));
        }
      }
}

// The bound grows with d as gamma_d does and is ordered by precision; at
// d = 256 it is 2^-7 and a little for bfloat16 (the 0.0078).
TEST(ScoreBound, ScalesAsDerived) {
  EXPECT_LT(score_bound(GemmPrecision::float64, 256), score_bound(GemmPrecision::float32, 256));
  EXPECT_LT(score_bound(GemmPrecision::float32, 256), score_bound(GemmPrecision::bfloat16, 256));
  EXPECT_LT(score_bound(GemmPrecision::float32, 64), score_bound(GemmPrecision::float32, 4096));
  EXPECT_NEAR(score_bound(GemmPrecision::float32, 256), 258 * 0x1p-24, 4 * 0x1p-24);
  EXPECT_NEAR(score_bound(GemmPrecision::bfloat16, 256), 0x1p-7 + 0x1p-16 + 262 * 0x1p-24, 4 * 0x1p-24);
  // TF32: 2 x 2^-10 for the copies, 256 x 16u for tensor-core accumulation.
  EXPECT_LT(score_bound(GemmPrecision::tf32, 256), score_bound(GemmPrecision::bfloat16_tensor_cores, 256));
  EXPECT_NEAR(score_bound(GemmPrecision::tf32, 256), 0x1p-9 + 0x1p-20 + 256 * 0x1p-20, 0x1p-15);
}

TEST(CanonicalCosine, CopiesScoreExactlyOneAndZeroRowsZero) {
  const RowMatrix<float> x = random_rows(20, 256, 5);
  for (std::int64_t i = 0; i < x.rows(); ++i) {
    const RowMatrix<float> doubled = x.row(i) * 2.0f;
    const RowMatrix<float> quarter = x.row(i) * 0.25f;
    EXPECT_EQ(canonical_cosine(x.row(i).data(), x.row(i).data(), x.cols()), 1.0) << i;
    EXPECT_EQ(canonical_cosine(x.row(i).data(), doubled.data(), x.cols()), 1.0) << i;
    EXPECT_EQ(canonical_cosine(quarter.data(), x.row(i).data(), x.cols()), 1.0) << i;
    const RowMatrix<double> wide = x.row(i).cast<double>();
    EXPECT_EQ(canonical_cosine(wide.data(), wide.data(), x.cols()), 1.0) << i;
  }
  const std::vector<float> zero(256, 0.0f);
  EXPECT_EQ(canonical_cosine(zero.data(), x.row(0).data(), 256), 0.0);
  EXPECT_EQ(canonical_cosine(zero.data(), zero.data(), 256), 0.0);
}

// One score whatever the precision the rows are held in: float32 rows and
// the same values in double give the same double.
TEST(CanonicalCosine, SameForFloat32AndFloat64Rows) {
  const RowMatrix<float> x = random_rows(10, 300, 9);
  const RowMatrix<double> x64 = x.cast<double>();
  for (std::int64_t i = 0; i < x.rows(); ++i)
    for (std::int64_t j = 0; j < x.rows(); ++j)
      EXPECT_EQ(canonical_cosine(x.row(i).data(), x.row(j).data(), 300),
                canonical_cosine(x64.row(i).data(), x64.row(j).data(), 300));
}
