#pragma once
// What the harnesses share: the loaders read files by path, so each input
// is written to a file in a scratch folder private to this process.
#include <cstddef>
#include <cstdint>
#include <string>

namespace ringsim::fuzz {

// A folder under $TMPDIR (or /tmp) made once per process and removed at exit.
const std::string& scratch_dir();
// Writes `size` bytes to scratch_dir()/name; returns the path.
std::string write_scratch(const std::string& name, const std::uint8_t* data, std::size_t size);
// Stops the run: a property the harness checks does not hold (a crash for libFuzzer).
[[noreturn]] void violated(const std::string& what);

}  // namespace ringsim::fuzz
