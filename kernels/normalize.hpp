#pragma once
#include "kernels/matrix.hpp"

namespace ringsim {

// Scales every row to unit L2 norm in place, accumulating the norm in double.
// A zero row stays zero, so its cosine similarity with every row, itself
// included, is 0 (the limit is undefined; 0 is the neutral choice and what
// "no signal" should score). Returns the number of zero rows.
template <class Scalar>
std::int64_t normalize_rows(RowMatrix<Scalar>& rows);

}  // namespace ringsim
