#include "common/fault_injection.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ringsim {

void inject_fault_at(const char* point, int rank) {
  static const char* spec = std::getenv("RINGSIM_FAULT");
  if (spec == nullptr || rank < 0) return;
  const std::string text(spec);
  const auto first = text.find(':'), second = text.rfind(':');
  if (first == std::string::npos || second == first) return;
  if (text.substr(0, first) != std::to_string(rank) || text.substr(first + 1, second - first - 1) != point) return;
  const std::string name = text.substr(second + 1);
  const int signal = name == "KILL" ? SIGKILL : name == "STOP" ? SIGSTOP : name == "TERM" ? SIGTERM : 0;
  if (signal != 0) std::raise(signal);
}

}  // namespace ringsim
