// A whole .npy file through probe and load, as `ringsim run --input` reads
// it: refused with InputError or loaded; any slice of rows equals the same
// rows of the whole load.
#include <cstdint>
#include <string>

#include "common/errors.hpp"
#include "engine/io/matrix_source.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/slices_agree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ringsim::fuzz::write_scratch("input.npy", data, size);
  try {
    const auto source = ringsim::MatrixSource::open(path);
    // The file holds every byte the header promises, so rows * cols is
    // bounded by the input size: loading cannot ask for more than it holds.
    if (source.rows() * source.cols() > static_cast<std::int64_t>(size))
      ringsim::fuzz::violated("accepted a shape larger than the file");
    ringsim::fuzz::check_slices_agree<float>(source, 7);
    ringsim::fuzz::check_slices_agree<double>(source, 7);
  } catch (const ringsim::InputError&) {
  }
  return 0;
}
