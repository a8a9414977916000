#include "common/fault_injection.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/errors.hpp"
#include "common/thread_rank.hpp"

namespace ringsim {

void inject_fault_at(const char* point, int rank) {
  // A thread rank reads the variable at each point (a test sets it between
  // jobs of one process); a process rank once.
  ThreadRank* thread = this_thread_rank();
  static const char* process_spec = std::getenv("RINGSIM_FAULT");
  const char* spec = thread ? std::getenv("RINGSIM_FAULT") : process_spec;
  if (spec == nullptr || rank < 0) return;
  const std::string text(spec);
  const auto first = text.find(':'), second = text.rfind(':');
  if (first == std::string::npos || second == first) return;
  if (text.substr(0, first) != std::to_string(rank) || text.substr(first + 1, second - first - 1) != point) return;
  const std::string name = text.substr(second + 1);
  // A signal would hit every thread rank of the process: a thread rank
  // throws instead, and ignores the signals.
  if (name == "THROW") throw InternalError(std::string("fault injected at ") + point + " (RINGSIM_FAULT)");
  if (thread) return;
  const int signal = name == "KILL" ? SIGKILL : name == "STOP" ? SIGSTOP : name == "TERM" ? SIGTERM : 0;
  if (signal != 0) std::raise(signal);
}

}  // namespace ringsim
