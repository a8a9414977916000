#pragma once
#include <cstdint>
#include <string>

#include "kernels/matrix.hpp"

namespace ringsim {

struct GenerateOptions {
  std::int64_t rows = 1000;
  std::int64_t cols = 64;
  std::uint64_t seed = 1;
  std::int64_t clusters = 16;  // rows are noisy copies of this many centres
  double noise = 0.5;          // noise standard deviation relative to the centres
};

// Seeded float32 rows drawn around `clusters` random centres, so that a
// row's nearest neighbours are (mostly) its cluster mates. Same seed, same
// bits.
RowMatrix<float> generate_clustered(const GenerateOptions& options);

// Writes a C-order float32 .npy (or a headerless CSV when `path` ends in
// .csv), atomically.
void write_matrix(const std::string& path, const RowMatrix<float>& matrix);

}  // namespace ringsim
