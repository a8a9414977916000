#include "kernels/normalize.hpp"

#include <cmath>

namespace ringsim {

template <class Scalar>
std::int64_t normalize_rows(RowMatrix<Scalar>& rows) {
  std::int64_t zero_rows = 0;
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    double sum = 0.0;
    for (Eigen::Index c = 0; c < rows.cols(); ++c) {
      const double v = static_cast<double>(rows(r, c));
      sum += v * v;
    }
    if (sum == 0.0) {
      ++zero_rows;
      continue;
    }
    const double inverse = 1.0 / std::sqrt(sum);
    for (Eigen::Index c = 0; c < rows.cols(); ++c)
      rows(r, c) = static_cast<Scalar>(static_cast<double>(rows(r, c)) * inverse);
  }
  return zero_rows;
}

template std::int64_t normalize_rows<float>(RowMatrix<float>&);
template std::int64_t normalize_rows<double>(RowMatrix<double>&);

}  // namespace ringsim
