#pragma once
// A scratch SageMaker root (/opt/ml) with its input/config folder, for the
// tests that read SageMaker's config and plan the launch from it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "launcher/sagemaker_config.hpp"
#include "tests/scratch_dir.hpp"

namespace ringsim::testing {

class MlRoot : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(root_ / "input/config"); }
  void write(const std::string& name, const std::string& text) { std::ofstream(root_ / "input/config" / name) << text; }
  // The word after `option` in `argv` (a planned command), or "(absent)".
  static std::string value_after(const std::vector<std::string>& argv, const std::string& option) {
    const auto it = std::find(argv.begin(), argv.end(), option);
    return it == argv.end() || it + 1 == argv.end() ? std::string("(absent)") : *(it + 1);
  }
  // Loading the config, as a callable for the exception matchers.
  auto loading(const Environment& environment = {}) {
    return [this, environment] { load_sagemaker_config(root_.string(), environment); };
  }
  ScratchDir scratch_{"ml"};
  const std::filesystem::path& root_ = scratch_.path();
};

}  // namespace ringsim::testing
