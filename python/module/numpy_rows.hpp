#pragma once
// numpy arrays as the engine's in-memory rows (engine/io/in_memory_rows.hpp).
#include <pybind11/numpy.h>

#include "engine/io/in_memory_rows.hpp"

namespace ringsim {

// A view of a 2-D C-contiguous float32 or float64 array's own memory (no
// copy): the array must outlive the job, as the caller's reference keeps it.
// python/ringsim/_in_process.py converts other layouts and dtypes once before
// the call; anything else here is a bug there, refused as an InputError
// naming `label` ("X", "queries").
InMemoryRows rows_of(const pybind11::array& array, const char* label);

}  // namespace ringsim
