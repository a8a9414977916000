#include "common/clock.hpp"

#include <fstream>
#include <string>

namespace ringsim {

double now_seconds() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

std::int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::int64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    std::string rest;
    std::getline(status, rest);
  }
  return 0;
}

}  // namespace ringsim
