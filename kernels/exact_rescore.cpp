#include "kernels/exact_rescore.hpp"

#include <algorithm>
#include <cmath>

namespace ringsim {

// The order of the sums is the definition of the score, the same in every
// build and on every rank: eight lanes, lane l summing the products of
// columns l, l + 8, l + 16, ... in turn, the lanes then added pairwise
// ((0+1)+(2+3))+((4+5)+(6+7)), and the last d mod 8 columns one by one.
// Eight independent chains run about four times faster than one, and the
// compiler may put the lanes in one vector register without changing a
// bit; it may not fuse a product into an addition (fp-contract off, which
// is also why no fused multiply-add is written here). float32 values
// multiply exactly in double; only the sums round.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
namespace {

constexpr int kLanes = 8;

double lanes_total(const double* lane) {
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

}  // namespace

template <class Scalar>
double canonical_cosine(const Scalar* a, const Scalar* b, std::int64_t d) {
  double ab[kLanes] = {}, aa[kLanes] = {}, bb[kLanes] = {};
  const std::int64_t whole = d / kLanes * kLanes;
  for (std::int64_t i = 0; i < whole; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const double x = static_cast<double>(a[i + l]);
      const double y = static_cast<double>(b[i + l]);
      ab[l] += x * y;
      aa[l] += x * x;
      bb[l] += y * y;
    }
  double dot = lanes_total(ab), norm_a = lanes_total(aa), norm_b = lanes_total(bb);
  for (std::int64_t i = whole; i < d; ++i) {
    const double x = static_cast<double>(a[i]);
    const double y = static_cast<double>(b[i]);
    dot += x * y;
    norm_a += x * x;
    norm_b += y * y;
  }
  if (norm_a == 0 || norm_b == 0) return 0;
  const double norms = norm_a * norm_b;
  // Only float64 rows beyond float32's range get here (the product leaves
  // double's): the norms apart, exact copies then within an ulp of 1.
  if (norms == 0 || !std::isfinite(norms)) return std::clamp(dot / std::sqrt(norm_a) / std::sqrt(norm_b), -1.0, 1.0);
  return std::clamp(dot / std::sqrt(norms), -1.0, 1.0);
}
#if !defined(__clang__)
#pragma GCC pop_options
#endif

template double canonical_cosine<float>(const float*, const float*, std::int64_t);
template double canonical_cosine<double>(const double*, const double*, std::int64_t);

}  // namespace ringsim
