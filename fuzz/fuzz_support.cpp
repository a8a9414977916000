#include "fuzz/fuzz_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ringsim::fuzz {

namespace fs = std::filesystem;

namespace {

struct Scratch {
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    path = (fs::path(tmp && *tmp ? tmp : "/tmp") / ("ringsim-fuzz-" + std::to_string(::getpid()))).string();
    fs::create_directories(path);
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string path;
};

}  // namespace

const std::string& scratch_dir() {
  static const Scratch scratch;
  return scratch.path;
}

std::string write_scratch(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) violated("cannot write the scratch file " + path);
  return path;
}

void violated(const std::string& what) {
  std::fprintf(stderr, "ringsim fuzz: property violated: %s\n", what.c_str());
  std::abort();
}

}  // namespace ringsim::fuzz
