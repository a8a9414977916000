// The .npy header parser on arbitrary bytes: it may refuse (InputError) but
// never crash, read out of bounds or overflow; a header it accepts with a
// supported dtype must survive a write / parse round trip.
#include <cstdint>
#include <string>

#include "common/errors.hpp"
#include "engine/io/npy.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  ringsim::NpyHeader header;
  try {
    header = ringsim::parse_npy_header(bytes, "fuzz.npy");
  } catch (const ringsim::InputError&) {
    return 0;
  }
  if (header.data_offset < 10 || static_cast<std::size_t>(header.data_offset) > size)
    ringsim::fuzz::violated("data offset outside the input");
  for (const auto extent : header.shape)
    if (extent < 0) ringsim::fuzz::violated("negative extent accepted");
  if (header.descr == "<f4" || header.descr == "<f8") {
    const auto again = ringsim::parse_npy_header(ringsim::make_npy_header(header.descr, header.shape), "again.npy");
    if (again.descr != header.descr || again.shape != header.shape || again.fortran_order)
      ringsim::fuzz::violated("make_npy_header / parse_npy_header round trip");
  }
  return 0;
}
