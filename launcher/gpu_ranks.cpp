#include "launcher/gpu_ranks.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>
#include <set>

#include "common/errors.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

// NVML's device count, or -1 when the library is absent or answers with an
// error (a CPU instance, or a GPU container without the driver's library).
// Loaded at run time: the launcher links nothing of CUDA.
int nvml_device_count() {
  void* library = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) return -1;
  using Init = int (*)();
  using Count = int (*)(unsigned*);
  const auto init = reinterpret_cast<Init>(::dlsym(library, "nvmlInit_v2"));
  const auto count = reinterpret_cast<Count>(::dlsym(library, "nvmlDeviceGetCount_v2"));
  const auto shutdown = reinterpret_cast<Init>(::dlsym(library, "nvmlShutdown"));
  int devices = -1;
  if (init && count && shutdown && init() == 0) {  // NVML_SUCCESS
    unsigned n = 0;
    if (count(&n) == 0) devices = static_cast<int>(n);
    shutdown();
  }
  ::dlclose(library);
  return devices;
}

// The GPU device nodes under `dev_root`: nvidia0, nvidia1 ... (not
// nvidiactl, nvidia-uvm, nvidia-caps), in number order.
std::vector<int> device_nodes(const std::string& dev_root) {
  static const std::regex name("nvidia([0-9]+)");
  std::set<int> numbers;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dev_root, error)) {
    std::smatch match;
    const std::string file = entry.path().filename().string();
    if (std::regex_match(file, match, name)) numbers.insert(std::stoi(match[1].str()));
  }
  return {numbers.begin(), numbers.end()};
}

}  // namespace

int default_processes_per_host(int cpus, int gpus, bool device_cuda, int max_per_host) {
  const int wanted = device_cuda && gpus > 0 ? gpus : cpus;
  return std::clamp(wanted, 1, max_per_host);
}

int parse_gpu_count(const std::string& text) {
  if (text.empty()) return 0;
  int gpus = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), gpus);
  if (error != std::errc{} || end != text.data() + text.size() || gpus < 0 || gpus > 1 << 16)
    throw ConfigError("SM_NUM_GPUS must be a whole number of GPUs (0 or more), got '" + text + "'");
  return gpus;
}

GpuCount count_gpus(const std::string& sm_num_gpus, const std::string& dev_root, bool ask_nvml) {
  if (!sm_num_gpus.empty()) {
    const int gpus = parse_gpu_count(sm_num_gpus);
    return {gpus, std::to_string(gpus) + " (SM_NUM_GPUS, which overrides the count of the devices seen)"};
  }
  if (ask_nvml)
    if (const int gpus = nvml_device_count(); gpus >= 0) return {gpus, std::to_string(gpus) + " (NVML)"};
  const auto nodes = device_nodes(dev_root);
  if (nodes.empty()) return {0, "0 (no " + dev_root + "/nvidiaN device and no NVML)"};
  std::string list;
  for (const int n : nodes) list += (list.empty() ? "" : " ") + dev_root + "/nvidia" + std::to_string(n);
  return {static_cast<int>(nodes.size()), std::to_string(nodes.size()) + " (" + list + ")"};
}

}  // namespace ringsim
