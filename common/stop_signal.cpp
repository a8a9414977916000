#include "common/stop_signal.hpp"

#include <csignal>
#include <string>

namespace ringsim {

namespace {
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_stop(int signal) { g_signal = signal; }
}  // namespace

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

int stop_signal() { return g_signal; }

void throw_if_stopped() {
  if (g_signal != 0)
    throw StoppedError("stopped by signal " + std::to_string(g_signal) + (g_signal == SIGTERM ? " (SIGTERM)" : ""));
}

}  // namespace ringsim
