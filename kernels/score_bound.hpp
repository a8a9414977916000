#pragma once
// How far a tile's fast score may lie from the canonical score of the same
// pair (exact_rescore.hpp), for the GEMM that computed it. The derivation is
// docs/precision.md's; every term there is one term here.
#include <cstdint>

namespace ringsim {

// What a tile's GEMM multiplies: float32 or float64 unit rows, or bfloat16
// copies of float32 unit rows (oneDNN, float32 accumulation); on a GPU's
// tensor cores (cuBLAS) bfloat16 or TF32 copies, float32 accumulation.
enum class GemmPrecision { float32, float64, bfloat16, tf32, bfloat16_tensor_cores };

// B(precision, d): |fast score - canonical score| <= B for every pair of
// rows of d columns, cosine score, rows normalised by normalize_rows.
// Conservative (worst case over every summation order the GEMM may use).
double score_bound(GemmPrecision precision, std::int64_t d);

// For a GEMM on rounded copies of the rows, B's largest part is the
// rounding of the inputs, and each row's share of it is known exactly once
// the row is rounded: e = |round(x^) - x^| (Euclidean; u |x^| at worst,
// about u / 2.4 on average for bfloat16 at d = 256). Then for every pair
//   |fast score - canonical score| <= pair_bound + row_term(x) + row_term(y)
// (docs/precision.md). pair_bound is all of B less the inputs' rounding
// (all of B where the GEMM multiplies the rows themselves: float32,
// float64); row_term is 0 there.
double pair_bound(GemmPrecision precision, std::int64_t d);
double row_term(GemmPrecision precision, std::int64_t d, double residual_norm);

// The margin a candidate test adds to B to stay sound when the scores it
// compares are the canonical ones rounded to float32 (top-k lists) and the
// comparison itself is made in float32: two float32 half-units at 1 and one
// unit of the subtraction, rounded up.
inline constexpr double kCandidateRoundingSlack = 1.0 / (1 << 21);

}  // namespace ringsim
