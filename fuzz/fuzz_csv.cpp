// A CSV file through probe and load: refused with InputError naming the
// file, or loaded; any slice of rows equals the same rows of the whole load.
#include <cstdint>
#include <string>

#include "common/errors.hpp"
#include "engine/io/matrix_source.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/slices_agree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ringsim::fuzz::write_scratch("input.csv", data, size);
  try {
    const auto source = ringsim::MatrixSource::open(path);
    ringsim::fuzz::check_slices_agree<double>(source);
    ringsim::fuzz::check_slices_agree<float>(source);
  } catch (const ringsim::InputError& e) {
    if (std::string(e.what()).find("input.csv") == std::string::npos)
      ringsim::fuzz::violated(std::string("an error that does not name the file: ") + e.what());
  }
  return 0;
}
