#pragma once
// The loaders' property both input harnesses check: the second half of the
// rows, loaded on its own, equals the same rows of a load of the whole file.
#include <cstdint>

#include "engine/io/matrix_source.hpp"
#include "fuzz/fuzz_support.hpp"

namespace ringsim::fuzz {

// `global_row0`: the global id of the slice's first row, for messages.
template <class Scalar>
void check_slices_agree(const MatrixSource& source, std::int64_t global_row0 = 0) {
  const auto all = source.load_rows<Scalar>(0, source.rows());
  if (source.rows() < 2) return;
  const std::int64_t begin = source.rows() / 2, count = source.rows() - begin;
  const auto part = source.load_rows<Scalar>(begin, count, global_row0);
  for (std::int64_t r = 0; r < count; ++r)
    for (std::int64_t c = 0; c < source.cols(); ++c)
      if (!(part(r, c) == all(begin + r, c))) violated("a slice of rows differs from the whole");
}

}  // namespace ringsim::fuzz
