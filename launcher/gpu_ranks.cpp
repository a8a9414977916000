#include "launcher/gpu_ranks.hpp"

#include <algorithm>
#include <charconv>

#include "common/errors.hpp"

namespace ringsim {

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

}  // namespace ringsim
