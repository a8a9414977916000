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
// bit; it may not fuse a product into an addition (fp-contract off: the
// pragma below, and the file's -ffp-contract=off in kernels/CMakeLists.txt
// for the target clones, which GCC's pragma does not reach; also why no
// fused multiply-add is written here). float32 values
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

// Compiled for AVX-512, AVX2 and baseline, picked at run time: the lanes
// fill one vector register, or two, or four; each lane's sums are the same.
template <class Scalar>
__attribute__((target_clones("avx512f", "avx2", "default"))) double canonical_dot(const Scalar* a, const Scalar* b,
                                                                                  std::int64_t d) {
  double lanes[kLanes] = {};
  const std::int64_t whole = d / kLanes * kLanes;
  for (std::int64_t i = 0; i < whole; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(a[i + l]) * static_cast<double>(b[i + l]);
  double total = lanes_total(lanes);
  for (std::int64_t i = whole; i < d; ++i) total += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return total;
}
#if !defined(__clang__)
#pragma GCC pop_options
#endif

double canonical_from(double dot, double norm_a, double norm_b) {
  if (norm_a == 0 || norm_b == 0) return 0;
  const double norms = norm_a * norm_b;
  // Only float64 rows beyond float32's range get here (the product leaves
  // double's): the norms apart, exact copies then within an ulp of 1.
  if (norms == 0 || !std::isfinite(norms)) return std::clamp(dot / std::sqrt(norm_a) / std::sqrt(norm_b), -1.0, 1.0);
  return std::clamp(dot / std::sqrt(norms), -1.0, 1.0);
}

template <class Scalar>
double canonical_cosine(const Scalar* a, const Scalar* b, std::int64_t d) {
  return canonical_from(canonical_dot(a, b, d), canonical_dot(a, a, d), canonical_dot(b, b, d));
}

template <class Scalar>
void canonical_norms(const RowMatrix<Scalar>& rows, std::vector<double>& norms) {
  norms.resize(static_cast<std::size_t>(rows.rows()));
  for (std::int64_t r = 0; r < rows.rows(); ++r)
    norms[static_cast<std::size_t>(r)] = canonical_dot(rows.row(r).data(), rows.row(r).data(), rows.cols());
}

#define RINGSIM_INSTANTIATE(S)                                           \
  template double canonical_dot<S>(const S*, const S*, std::int64_t);    \
  template double canonical_cosine<S>(const S*, const S*, std::int64_t); \
  template void canonical_norms<S>(const RowMatrix<S>&, std::vector<double>&);
RINGSIM_INSTANTIATE(float)
RINGSIM_INSTANTIATE(double)
#undef RINGSIM_INSTANTIATE

}  // namespace ringsim
