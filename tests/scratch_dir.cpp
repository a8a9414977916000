#include "tests/scratch_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ringsim::testing {

namespace {
std::string current_test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info ? info->name() : "none";
}
}  // namespace

ScratchDir::ScratchDir(const std::string& tag) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("ringsim-" + tag + "-" + current_test_name() + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) {
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;  // a destructor must not throw; a leftover folder only wastes space
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ringsim::testing
