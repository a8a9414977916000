#pragma once
// A matrix in the caller's memory (a numpy array, a test's vector) given to
// a job instead of an input file: rows are read from it straight into the
// rank's own block, the one copy the normalisation needs anyway, with no
// temporary files.
#include <cstdint>

#include "common/job_config.hpp"

namespace ringsim {

struct InMemoryRows {
  const void* data = nullptr;
  Dtype dtype = Dtype::float32;     // float32 or float64
  std::int64_t rows = 0, cols = 0;  // C-contiguous, row-major
};

}  // namespace ringsim
