// A CSV file through probe and load: refused with InputError naming the
// file, or loaded; any slice of rows equals the same rows of the whole load.
#include <cstdint>
#include <string>

#include "common/errors.hpp"
#include "engine/matrix_source.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

template <class Scalar>
void load_and_compare(const ringsim::MatrixSource& source) {
  const auto all = source.load_rows<Scalar>(0, source.rows());
  if (source.rows() < 2) return;
  const std::int64_t begin = source.rows() / 2, count = source.rows() - begin;
  const auto part = source.load_rows<Scalar>(begin, count);
  for (std::int64_t r = 0; r < count; ++r)
    for (std::int64_t c = 0; c < source.cols(); ++c)
      if (!(part(r, c) == all(begin + r, c))) ringsim::fuzz::violated("a slice of rows differs from the whole");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ringsim::fuzz::write_scratch("input.csv", data, size);
  try {
    const auto source = ringsim::MatrixSource::open(path);
    load_and_compare<double>(source);
    load_and_compare<float>(source);
  } catch (const ringsim::InputError& e) {
    if (std::string(e.what()).find("input.csv") == std::string::npos)
      ringsim::fuzz::violated(std::string("an error that does not name the file: ") + e.what());
  }
  return 0;
}
