#include "kernels/score_bound.hpp"

#include <cmath>
#include <string>

#include "common/errors.hpp"

namespace ringsim {

namespace {

constexpr double kFloat32Roundoff = 0x1p-24;    // u: float32, round to nearest
constexpr double kFloat64Roundoff = 0x1p-53;    // double
constexpr double kBfloat16Roundoff = 0x1p-8;    // bfloat16: 8 significant bits
constexpr double kFloat32MinNormal = 0x1p-126;  // below it: flushed, or 2^-149 steps
// TF32 keeps 10 mantissa bits: 2^-11 if rounded to nearest, 2^-10 if the
// low bits are cut; cuBLAS does not say which, so the larger.
constexpr double kTf32Conversion = 0x1p-10;
// Tensor cores add a block of products to the accumulator at once, aligned
// to the largest and cut, not rounded (Fasi, Higham, Mikaitis, Pranesh,
// "Numerical behavior of NVIDIA tensor cores", 2021): up to 2u per addend
// for up to 8 addends in a block, 16u per addition.
constexpr double kTensorCoreAccumulation = 16 * kFloat32Roundoff;

// gamma_n = n u / (1 - n u): the relative error bound of a sum of n
// products in any order (Higham, Accuracy and Stability, 3.1).
double gamma(double n, double u) {
  RINGSIM_ENFORCE(n * u < 0.5, "score_bound: too many columns for this precision (" + std::to_string(n) + ")");
  return n * u / (1 - n * u);
}

// B's terms, each as docs/precision.md derives it.
struct BoundTerms {
  double theta = 0;           // relative error of a normalised component
  double normalisation = 0;   // unit rows' exact dot against the exact cosine
  double input_rounding = 0;  // the GEMM's inputs rounded (bfloat16, TF32)
  double accumulation = 0;    // d products summed in the accumulator
  double absolute = 0;        // subnormal products and sums flushed
  double canonical = 0;       // the canonical score's own arithmetic
  double conversion = 0;      // u of the inputs' rounding (0: none)
};

BoundTerms bound_terms(GemmPrecision precision, std::int64_t d) {
  RINGSIM_ENFORCE(d >= 1, "score_bound needs d >= 1");
  const double n = static_cast<double>(d);
  BoundTerms t;
  // Normalisation (normalize_rows): the squared norm summed in double (d
  // terms), sqrt, 1 / sqrt and one product, then the component rounded to
  // the compute precision: each unit component is x_i / |x| (1 + theta_i).
  const double in_double = gamma(n + 3, kFloat64Roundoff);
  t.theta = precision == GemmPrecision::float64 ? in_double : (1 + kFloat32Roundoff) * (1 + in_double) - 1;
  // Those rows' exact dot differs from the exact cosine by at most
  // (1 + theta)^2 - 1 (Cauchy-Schwarz on sum |x_i y_i| / (|x| |y|) <= 1).
  t.normalisation = (1 + t.theta) * (1 + t.theta) - 1;
  const double unit_norms = (1 + t.theta) * (1 + t.theta);  // sum |x^_i y^_i| <= |x^| |y^|
  // The GEMM: inputs rounded (bfloat16: relative 2^-8 each, TF32 2^-10,
  // their products exact in float32), then d products summed in the
  // accumulator's precision.
  double accumulator = kFloat32Roundoff;
  switch (precision) {
    case GemmPrecision::float64:
      accumulator = kFloat64Roundoff;
      break;
    case GemmPrecision::float32:
      // Products and partial sums below float32's normal range: at most
      // one 2^-126 each if flushed (2 d + 1 operations).
      t.absolute = (2 * n + 1) * kFloat32MinNormal;
      break;
    case GemmPrecision::bfloat16:
      t.conversion = kBfloat16Roundoff;
      break;
    case GemmPrecision::tf32:
      t.conversion = kTf32Conversion;
      accumulator = kTensorCoreAccumulation;
      break;
    case GemmPrecision::bfloat16_tensor_cores:
      t.conversion = kBfloat16Roundoff;
      accumulator = kTensorCoreAccumulation;
      break;
  }
  const double inputs = (1 + t.conversion) * (1 + t.conversion);
  t.input_rounding = (inputs - 1) * unit_norms;
  t.accumulation = gamma(n, accumulator) * inputs * unit_norms;
  // VDPBF16PS and tensor cores may treat subnormal inputs and results as
  // zero: one 2^-126 per input, product and partial sum.
  if (t.conversion > 0) t.absolute = (4 * n + 1) * kFloat32MinNormal;
  // The canonical score itself, in double: three sums of d exact products,
  // one product, sqrt and one quotient.
  t.canonical = 2 * gamma(n + 3, kFloat64Roundoff);
  return t;
}

// Rounding of the bound's own arithmetic, and of the fast score to its type.
double finish(double bound, GemmPrecision precision) {
  return bound * (1 + 1e-6) + 2 * kFloat32Roundoff * (precision == GemmPrecision::float64 ? 0 : 1);
}

}  // namespace

double score_bound(GemmPrecision precision, std::int64_t d) {
  const BoundTerms t = bound_terms(precision, d);
  return finish(t.normalisation + t.input_rounding + t.accumulation + t.absolute + t.canonical, precision);
}

double pair_bound(GemmPrecision precision, std::int64_t d) {
  const BoundTerms t = bound_terms(precision, d);
  return finish(t.normalisation + t.accumulation + t.absolute + t.canonical, precision);
}

// With x~ = x^ + r, y~ = y^ + s the rounded rows, |x~.y~ - x^.y^| =
// |r.y^ + x^.s + r.s| <= |r| |y^| + |x^| |s| + |r| |s| <= e_x (1 + theta)
// + e_y (1 + theta) + e_x u (1 + theta): each row's share at most
// e (1 + theta)(1 + u).
double row_term(GemmPrecision precision, std::int64_t d, double residual_norm) {
  const BoundTerms t = bound_terms(precision, d);
  return residual_norm * (1 + t.theta) * (1 + t.conversion) * (1 + 1e-6);
}

}  // namespace ringsim
