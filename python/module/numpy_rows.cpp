#include "python/module/numpy_rows.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"

namespace ringsim {

namespace py = pybind11;

InMemoryRows rows_of(const py::array& array, const char* label) {
  if (array.ndim() != 2) throw InputError(fmt::format("{} must be 2-D, got {} dimensions", label, array.ndim()));
  if (!(array.flags() & py::array::c_style))
    throw InputError(fmt::format("{} must be C-contiguous (np.ascontiguousarray)", label));
  InMemoryRows rows;
  if (array.dtype().is(py::dtype::of<float>())) {
    rows.dtype = Dtype::float32;
  } else if (array.dtype().is(py::dtype::of<double>())) {
    rows.dtype = Dtype::float64;
  } else {
    throw InputError(
        fmt::format("{} must be float32 or float64, got {}", label, py::str(array.dtype()).cast<std::string>()));
  }
  rows.data = array.data();
  rows.rows = array.shape(0);
  rows.cols = array.shape(1);
  return rows;
}

}  // namespace ringsim
