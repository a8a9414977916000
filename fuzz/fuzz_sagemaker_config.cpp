// The SageMaker configuration a container is started with: resourceconfig.json,
// hyperparameters.json and inputdataconfig.json (or the SM_* variables that
// stand in for them), then the hyperparameters as job settings. Malformed
// input must be a ConfigError, never a crash or another exception.
//
// Input layout: the first byte picks files or environment variables; the
// rest is split at NUL bytes into resourceconfig / hyperparameters /
// inputdataconfig / SM_NUM_CPUS / SM_CURRENT_HOST.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "fuzz/fuzz_support.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/sagemaker_config.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool as_files = data[0] & 1;
  std::vector<std::string> parts(1);
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == 0 && parts.size() < 5)
      parts.emplace_back();
    else
      parts.back().push_back(static_cast<char>(data[i]));
  }
  parts.resize(5);
  const std::string ml_root = ringsim::fuzz::scratch_dir() + "/ml";
  ringsim::Environment environment;
  std::error_code ignored;
  fs::remove_all(ml_root, ignored);
  if (as_files) {
    fs::create_directories(ml_root + "/input/config");
    const char* names[] = {"resourceconfig.json", "hyperparameters.json", "inputdataconfig.json"};
    for (int i = 0; i < 3; ++i) {
      const std::string name = std::string("input/config/") + names[i];
      if (!parts[i].empty())
        ringsim::fuzz::write_scratch("ml/" + name, reinterpret_cast<const std::uint8_t*>(parts[i].data()),
                                     parts[i].size());
    }
  } else {
    environment["SM_HOSTS"] = parts[0];
    environment["SM_HPS"] = parts[1];
    environment["SM_INPUT_DATA_CONFIG"] = parts[2];
    environment["SM_CURRENT_HOST"] = parts[4];
  }
  if (!parts[3].empty()) environment["SM_NUM_CPUS"] = parts[3];
  // No machine's own CPU topology or GPUs: SM_NUM_CPUS decides, every run alike.
  environment["RINGSIM_SYSFS_ROOT"] = ml_root + "/no-sysfs";
  environment["RINGSIM_DEV_ROOT"] = ml_root + "/no-dev";
  try {
    const auto config = ringsim::load_sagemaker_config(ml_root, environment);
    if (config.hosts.empty()) ringsim::fuzz::violated("a configuration without hosts");
    if (config.cpus < 1) ringsim::fuzz::violated("cpus < 1 accepted");
    ringsim::parse_launch_settings(config.hyperparameters);
  } catch (const ringsim::ConfigError&) {
  } catch (const ringsim::InputError&) {
  }
  for (const auto& part : parts) ringsim::decode_hyperparameter(part);
  return 0;
}
