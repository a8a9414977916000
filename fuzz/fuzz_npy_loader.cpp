// A whole .npy file through probe and load, as `ringsim run --input` reads
// it: refused with InputError or loaded; any slice of rows equals the same
// rows of the whole load.
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
  const auto part = source.load_rows<Scalar>(begin, count, 7);
  for (std::int64_t r = 0; r < count; ++r)
    for (std::int64_t c = 0; c < source.cols(); ++c)
      if (!(part(r, c) == all(begin + r, c))) ringsim::fuzz::violated("a slice of rows differs from the whole");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ringsim::fuzz::write_scratch("input.npy", data, size);
  try {
    const auto source = ringsim::MatrixSource::open(path);
    // The file holds every byte the header promises, so rows * cols is
    // bounded by the input size: loading cannot ask for more than it holds.
    if (source.rows() * source.cols() > static_cast<std::int64_t>(size))
      ringsim::fuzz::violated("accepted a shape larger than the file");
    load_and_compare<float>(source);
    load_and_compare<double>(source);
  } catch (const ringsim::InputError&) {
  }
  return 0;
}
